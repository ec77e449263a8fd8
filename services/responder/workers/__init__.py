"""Background workers of the API process: SLA alerts and PII retention, and their runner."""

__all__: list[str] = []
