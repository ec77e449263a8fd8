"""Placeholder classifier engine (replaced by the real model); keeps the public API stable."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

from shared.events import ComplaintSignalReceived, Priority, Reason, SignalKind, Tag
from shared.settings import ClassifierSettings

__all__ = ["BuyerHistory", "Classifier", "OrderContext", "TextVerdict", "Verdict", "buyer_hash"]

Category = Literal["not_received", "not_as_described", "defective", "none"]


@dataclass(frozen=True, slots=True)
class OrderContext:
    """What earlier events say about the order."""

    order_status: str | None = None
    fulfillment_type: str | None = None
    purchase_date: datetime | None = None
    latest_delivery_date: datetime | None = None
    tracking_milestones: tuple[str, ...] = ()
    order_amount: Decimal | None = None
    currency: str | None = None
    account_status: str | None = None
    buyer_cancel_requested: bool = False
    prior_contacts: int = 0
    first_contact_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class BuyerHistory:
    """A buyer's returns and complaints in rolling windows."""

    returns_30d: int = 0
    returns_90d: int = 0
    returns_365d: int = 0
    complaints_90d: int = 0
    a_to_z_claims_365d: int = 0
    contradicting_reasons_90d: int = 0
    long_use_returns_365d: int = 0
    orders_365d: int | None = None


@dataclass(frozen=True, slots=True)
class TextVerdict:
    """Text-only result."""

    category: Category
    confidence: float
    language: str | None
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The full decision on one signal."""

    category: Category
    tags: tuple[Tag, ...]
    confidence: float
    language: str | None
    priority: Priority
    due_at: datetime | None
    ageing: bool
    reasons: tuple[Reason, ...]
    abusive_score: float | None
    auto_reply: bool
    model_version: str


_NOT_RECEIVED = ("never arrived", "not received", "nicht angekommen", "届いて", "not arrived")


class Classifier:
    """First rule: 'never arrived' means not_received."""

    model_version = "rules-0"

    @classmethod
    def load(cls, path: Path | None = None) -> Classifier:
        """Load the shipped model."""
        return cls()

    def classify_texts(
        self, texts: Sequence[str], languages: Sequence[str | None] | None = None
    ) -> list[TextVerdict]:
        """Classify texts only."""
        out = []
        for text in texts:
            hit = any(k in text.lower() for k in _NOT_RECEIVED)
            out.append(
                TextVerdict(
                    category="not_received" if hit else "none",
                    confidence=0.9 if hit else 0.5,
                    language=None,
                    reasons=(Reason(rule_id="text.never_arrived"),) if hit else (),
                )
            )
        return out

    def classify(
        self,
        signal: ComplaintSignalReceived,
        *,
        context: OrderContext | None,
        history: BuyerHistory | None,
        now: datetime,
        settings: ClassifierSettings,
    ) -> Verdict:
        """Classify one signal with its context."""
        tv = self.classify_texts([signal.text])[0]
        p1 = signal.kind is SignalKind.A_TO_Z_CLAIM or signal.a_to_z_claim
        hours = settings.a_to_z_sla_hours if p1 else settings.buyer_message_sla_hours
        return Verdict(
            category=tv.category,
            tags=(Tag(name=tv.category, confidence=tv.confidence),) if tv.category != "none" else (),
            confidence=tv.confidence,
            language=signal.language_hint,
            priority=Priority.P1 if p1 else Priority.P3,
            due_at=signal.occurred_at + timedelta(hours=hours),
            ageing=False,
            reasons=tv.reasons,
            abusive_score=None,
            auto_reply=not p1,
            model_version=self.model_version,
        )


def buyer_hash(alias: str, salt: str) -> str:
    """Salted HMAC-SHA256 of the buyer alias."""
    return hmac.new(salt.encode(), alias.strip().lower().encode(), hashlib.sha256).hexdigest()
