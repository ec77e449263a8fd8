"""API tables: keys for the internal HTTP API (only an HMAC of the secret is stored)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, String, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.db.types import JSON, Timestamp, created_at_column

__all__ = ["ApiKey"]


class ApiKey(Base):
    """A bearer key: its visible prefix, HMAC-SHA256 of the whole key, scopes and the sellers it may touch."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False, server_default=text("'[]'::jsonb"))
    sellers: Mapped[list[str]] = mapped_column(JSON, nullable=False, server_default=text("'[]'::jsonb"))
    rate_limit_per_s: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)
