"""pytest plugin modules, registered from ``tests/conftest.py`` via ``pytest_plugins``."""
