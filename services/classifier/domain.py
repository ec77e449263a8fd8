"""Value objects the classifier reads and returns (no behaviour, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from shared.abuse import BuyerHistory  # re-exported: the classifier reads it as its own value object
from shared.events import Priority, Reason, Tag

__all__ = [
    "CATEGORIES",
    "LABEL_TO_CATEGORY",
    "BuyerHistory",
    "Category",
    "Evidence",
    "OrderContext",
    "TextVerdict",
    "Verdict",
]

Category = Literal["not_received", "not_as_described", "defective", "none"]
CATEGORIES: tuple[Category, ...] = ("not_received", "not_as_described", "defective", "none")
LABEL_TO_CATEGORY: dict[str, Category] = {
    "NOT_RECEIVED": "not_received",
    "NOT_AS_DESCRIBED": "not_as_described",
    "DEFECTIVE": "defective",
    "OTHER": "none",
}


@dataclass(frozen=True, slots=True)
class OrderContext:
    """What is known about the order from stored events (built by the service's repository)."""

    order_status: str | None = None
    fulfillment_type: str | None = None  # AFN / MFN
    purchase_date: datetime | None = None
    latest_delivery_date: datetime | None = None
    tracking_milestones: tuple[str, ...] = ()  # in order, e.g. ("IN_TRANSIT", "DELIVERED")
    order_amount: Decimal | None = None
    currency: str | None = None
    account_status: str | None = None  # NORMAL / AT_RISK / DEACTIVATED
    buyer_cancel_requested: bool = False
    prior_contacts: int = 0  # earlier complaint signals on the same order/thread
    first_contact_at: datetime | None = None  # for the ageing flag


@dataclass(frozen=True, slots=True)
class Evidence:
    """One explainable rule firing: it adds ``weight`` to the score of ``category``."""

    rule_id: str
    category: Category | None
    weight: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TextVerdict:
    """Text-only result of the batch path; ``reasons`` holds language and top features when explained."""

    category: Category
    confidence: float
    language: str | None
    reasons: tuple[Reason, ...] = ()
    label: str = "OTHER"  # the upper-case training label (NOT_RECEIVED, ..., OTHER)
    probabilities: tuple[float, ...] = ()  # in CATEGORIES order
    second_opinion: bool = False  # the encoder was consulted (the text model alone was below its threshold)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The classifier's decision on one complaint signal, with every reason."""

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
