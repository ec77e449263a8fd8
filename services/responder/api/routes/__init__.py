"""Thin routes: decode the request, call a use case, return its model."""

__all__: list[str] = []
