"""Buyer history models (the buyer is known only by a salted hash)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from services.responder.api.schemas.common import Model
from services.responder.api.schemas.tickets import TicketSummary

__all__ = ["AbuseOut", "BuyerEventOut", "BuyerHistoryOut", "BuyerOut", "ReasonOut"]


class BuyerEventOut(Model):
    """One return, complaint or A-to-z claim."""

    event_id: uuid.UUID
    seller_id: str
    order_id: str | None
    kind: str
    reason: str | None
    long_use: bool
    occurred_at: datetime


class BuyerHistoryOut(Model):
    """Rolling-window counts over the caller's sellers."""

    returns_30d: int
    returns_90d: int
    returns_365d: int
    complaints_90d: int
    a_to_z_claims_365d: int
    contradicting_reasons_90d: int
    long_use_returns_365d: int


class ReasonOut(Model):
    """Why: a rule id, what it saw and its weight."""

    rule_id: str
    detail: str
    weight: float | None


class AbuseOut(Model):
    """Abusive-returner score in [0, 1]: it only routes to a human, it never refuses the buyer anything."""

    score: float | None
    abusive: bool
    threshold: float
    source: Literal["recomputed", "latest_ticket", "none"] = Field(
        description="Recomputed from the history, or the classifier's score on the latest ticket."
    )
    reasons: list[ReasonOut]


class BuyerOut(Model):
    """A buyer's history with the caller's sellers and the abuse score with its explanation."""

    buyer_hash: str
    history: BuyerHistoryOut
    abuse: AbuseOut
    events: list[BuyerEventOut]
    tickets: list[TicketSummary]
