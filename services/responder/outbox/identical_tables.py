"""How many automatic messages with the same normalised body a seller sent on one UTC day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base

__all__ = ["IdenticalBodyCount"]


class IdenticalBodyCount(Base):
    """``sent``: counted by the sender under the seller's budget lock, so every replica sees the same number (the
    cap's guard); ``queued``: counted by the consumer as it queues replies, to choose another wording in time."""

    __tablename__ = "outbox_identical_bodies"

    seller_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    body_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    sent: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")  # counted by the sender
    queued: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")  # by the consumer
