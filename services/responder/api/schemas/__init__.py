"""Request and response models of the API (documented in its OpenAPI schema)."""

__all__: list[str] = []
