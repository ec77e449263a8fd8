"""Column helpers shared by the services' table modules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

__all__ = ["JSON", "Timestamp", "created_at_column", "updated_at_column"]

JSON = JSONB(none_as_null=True)
Timestamp = DateTime(timezone=True)


def created_at_column() -> Mapped[datetime]:
    """A creation timestamp set by the database."""
    return mapped_column(Timestamp, server_default=func.now(), nullable=False)


def updated_at_column() -> Mapped[datetime]:
    """A modification timestamp set by the database."""
    return mapped_column(Timestamp, server_default=func.now(), onupdate=func.now(), nullable=False)


JsonDoc = dict[str, Any]
