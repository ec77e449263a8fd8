"""JSON-lines adapters for the CLI: an input line to a signal (+ context, history), a verdict to a line."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.classifier.domain import BuyerHistory, OrderContext, TextVerdict, Verdict
from shared.events import (
    ComplaintSignalReceived,
    Reason,
    SignalKind,
    SignalSource,
    event_id_for,
    utc_from_iso,
)

__all__ = ["line_to_inputs", "text_verdict_to_line", "verdict_to_line"]

_SIGNAL_FIELDS = (
    "subject",
    "marketplace_id",
    "order_id",
    "return_reason_code",
    "return_reason",
    "a_to_z_claim",
    "feedback_rating",
    "currency",
    "notice_type",
    "asin",
    "sku",
)
_CONTEXT_DATES = ("purchase_date", "latest_delivery_date", "first_contact_at")


def _context(line: dict[str, Any]) -> OrderContext | None:
    names = {f.name for f in fields(OrderContext)}
    raw = {k: v for k, v in line.items() if k in names and v is not None}
    if not raw:
        return None
    for key in _CONTEXT_DATES:
        if key in raw:
            raw[key] = utc_from_iso(str(raw[key]))
    if "tracking_milestones" in raw:
        raw["tracking_milestones"] = tuple(str(m) for m in raw["tracking_milestones"])
    if "order_amount" in raw:
        raw["order_amount"] = Decimal(str(raw["order_amount"]))
    return OrderContext(**raw)


def _history(line: dict[str, Any]) -> BuyerHistory | None:
    raw = line.get("history")
    if not isinstance(raw, dict):
        return None
    names = {f.name for f in fields(BuyerHistory)}
    return BuyerHistory(**{k: v for k, v in raw.items() if k in names})


def line_to_inputs(
    line: dict[str, Any], *, now: datetime
) -> tuple[ComplaintSignalReceived, OrderContext | None, BuyerHistory | None]:
    """Build a signal from ``{"id", "text", "language"?, ...signal and order fields, "history"?}``."""
    line_id = str(line["id"])
    occurred = utc_from_iso(line.get("occurred_at")) or now
    extra = {k: line[k] for k in _SIGNAL_FIELDS if line.get(k) is not None}
    if line.get("order_amount") is not None:
        extra["order_amount"] = Decimal(str(line["order_amount"]))
    signal = ComplaintSignalReceived(
        event_id=event_id_for(f"cli:{line_id}"),
        occurred_at=occurred,
        seller_id=str(line.get("seller_id") or "cli"),
        dedup_key=f"cli:{line_id}",
        correlation_id=line_id,
        source=SignalSource.DEMO,
        kind=SignalKind(line.get("kind") or SignalKind.BUYER_MESSAGE),
        text=str(line.get("text") or ""),
        language_hint=line.get("language"),
        **extra,
    )
    return signal, _context(line), _history(line)


def _reasons(reasons: tuple[Reason, ...]) -> list[dict[str, Any]]:
    return [r.model_dump(exclude_none=True) for r in reasons]


def verdict_to_line(line_id: str, verdict: Verdict) -> dict[str, Any]:
    """The output line of ``classify``."""
    return {
        "id": line_id,
        "category": verdict.category,
        "tags": [t.model_dump() for t in verdict.tags],
        "confidence": verdict.confidence,
        "language": verdict.language,
        "priority": verdict.priority.value,
        "due_at": verdict.due_at.isoformat() if verdict.due_at else None,
        "ageing": verdict.ageing,
        "auto_reply": verdict.auto_reply,
        "abusive_score": verdict.abusive_score,
        "reasons": _reasons(verdict.reasons),
        "model_version": verdict.model_version,
    }


def text_verdict_to_line(line_id: str, verdict: TextVerdict) -> dict[str, Any]:
    """A compact output line for the text-only path."""
    return {
        "id": line_id,
        "category": verdict.category,
        "label": verdict.label,
        "confidence": verdict.confidence,
        "language": verdict.language,
        "reasons": _reasons(verdict.reasons),
    }
