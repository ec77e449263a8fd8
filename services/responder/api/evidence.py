"""The evidence pack from a ticket's detail view and its order's milestones (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from services.responder.api.schemas.evidence import (
    ClaimDeadline,
    EvidenceMessage,
    EvidencePack,
    MilestoneOut,
    ProductOut,
    ReplyOutcome,
    ReturnFact,
    ShipmentProof,
)
from services.responder.api.schemas.tickets import TicketDetail, TimelineEntry
from services.responder.shipments.milestones import DELIVERED
from services.responder.shipments.tables import OrderMilestone

__all__ = ["A_TO_Z_WINDOW", "SAFE_T_TAG", "evidence_kind", "evidence_pack"]

A_TO_Z_WINDOW = timedelta(hours=72)
"""Amazon gives the seller 72 hours to answer an A-to-z claim."""
SAFE_T_TAG = "abusive_returner"
_RETURN_KINDS = frozenset(
    {"return_request", "return_report_row", "refund_issued", "cancellation_request", "a_to_z_claim"}
)
_REPLY_OUTCOMES = frozenset({"reply_sent", "reply_unknown", "reply_failed", "reply_deferred", "reply_held"})


def evidence_kind(detail: TicketDetail) -> str | None:
    """'a_to_z' for a claim, 'safe_t' for a return tagged abusive_returner, else None (no pack)."""
    if detail.a_to_z or any(_claim_signal(e) for e in detail.timeline):
        return "a_to_z"
    if any(t.name == SAFE_T_TAG for t in detail.tags):
        return "safe_t"
    return None


def _claim_signal(entry: TimelineEntry) -> bool:
    return entry.kind == "signal" and (
        entry.data.get("a_to_z_claim") is True or entry.data.get("kind") == "a_to_z_claim"
    )


def _deadline(detail: TicketDetail, *, now: datetime) -> ClaimDeadline:
    claims = [e.occurred_at for e in detail.timeline if _claim_signal(e)]
    received = min(claims) if claims else detail.created_at
    respond_by = received + A_TO_Z_WINDOW
    left = (respond_by - now).total_seconds() / 3600
    return ClaimDeadline(
        claim_received_at=received,
        respond_by=respond_by,
        hours_left=round(left, 2),
        overdue=left <= 0,
        ticket_due_at=detail.due_at,
    )


def _shipment(detail: TicketDetail, milestones: Sequence[OrderMilestone]) -> ShipmentProof:
    order = detail.order
    delivered = [m.occurred_at for m in milestones if m.code == DELIVERED]
    delivered_at = max(delivered) if delivered else None
    latest = milestones[-1] if milestones else None
    tracking = next((m.tracking_number for m in reversed(milestones) if m.tracking_number), None)
    carrier = (order.carrier if order else None) or next(
        (m.carrier for m in reversed(milestones) if m.carrier), None
    )
    due = order.latest_delivery_date if order else None
    return ShipmentProof(
        carrier=carrier,
        tracking_number=tracking,
        latest_milestone=latest.code if latest else (order.tracking_milestone if order else None),
        delivered_at=delivered_at,
        earliest_delivery_date=order.earliest_delivery_date if order else None,
        latest_delivery_date=due,
        delivered_on_time=None if delivered_at is None or due is None else delivered_at <= due,
        milestones=[
            MilestoneOut(
                code=m.code,
                occurred_at=m.occurred_at,
                description=m.description,
                carrier=m.carrier,
                tracking_number=m.tracking_number,
            )
            for m in milestones
        ],
    )


def _text(pii: dict[str, Any] | None, key: str) -> str | None:
    value = (pii or {}).get(key)
    return value if isinstance(value, str) else None


def _messages(timeline: Sequence[TimelineEntry]) -> list[EvidenceMessage]:
    return [
        EvidenceMessage(
            occurred_at=e.occurred_at,
            kind=str(e.data.get("kind") or "signal"),
            source=e.data.get("source"),
            notice_type=e.data.get("notice_type"),
            subject=_text(e.pii, "subject"),
            text=_text(e.pii, "text"),
            attachments=[str(a) for a in e.data.get("attachments") or []],
        )
        for e in timeline
        if e.kind == "signal"
    ]


def _returns(timeline: Sequence[TimelineEntry]) -> list[ReturnFact]:
    return [
        ReturnFact(
            occurred_at=e.occurred_at,
            kind=str(e.data["kind"]),
            return_reason=e.data.get("return_reason"),
            notice_type=e.data.get("notice_type"),
        )
        for e in timeline
        if e.kind == "signal" and e.data.get("kind") in _RETURN_KINDS
    ]


def _replies(detail: TicketDetail) -> list[ReplyOutcome]:
    outcomes: dict[str, list[TimelineEntry]] = {}
    for e in detail.timeline:
        if e.kind in _REPLY_OUTCOMES and isinstance(e.data.get("outbox_id"), str):
            outcomes.setdefault(e.data["outbox_id"], []).append(e)
    return [ReplyOutcome(reply=r, outcomes=outcomes.get(str(r.id), [])) for r in detail.replies]


def evidence_pack(
    detail: TicketDetail, *, kind: str, milestones: Sequence[OrderMilestone], now: datetime
) -> EvidencePack:
    """The pack of one ticket: deadline, order and shipment proof, messages, replies and their outcomes."""
    returns = _returns(detail.timeline)
    return EvidencePack(
        kind="a_to_z" if kind == "a_to_z" else "safe_t",
        ticket_id=detail.id,
        seller_id=detail.seller_id,
        marketplace_id=detail.marketplace_id,
        order_id=detail.order_id,
        status=detail.status,
        category=detail.category,
        generated_at=now,
        deadline=_deadline(detail, now=now) if kind == "a_to_z" else None,
        order=detail.order,
        shipment=_shipment(detail, milestones),
        product=ProductOut(asin=detail.asin, sku=detail.sku),
        returns=returns,
        refunded=any(r.kind == "refund_issued" for r in returns),
        messages=_messages(detail.timeline),
        replies=_replies(detail),
        timeline=detail.timeline,
    )
