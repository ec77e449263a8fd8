"""Database access: declarative base, engine and the unit of work."""
