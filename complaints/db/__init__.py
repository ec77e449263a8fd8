"""The database of the whole system: every service's tables in one metadata, and its migrations."""
