"""All SQL of the API, one module per area; callers pass the session and never commit."""

__all__: list[str] = []
