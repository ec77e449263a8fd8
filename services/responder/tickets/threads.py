"""Pure ticket logic: which thread a signal joins, how a ticket changes when it does, outbox keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.responder.tickets.transitions import after_signal
from shared.cleaning import bound_key
from shared.events import ComplaintClassified, Priority, SignalKind, Tag

__all__ = [
    "OUTBOX_KEY_MAX",
    "THREAD_KEY_MAX",
    "TicketChange",
    "apply_signal",
    "merge_tags",
    "outbox_key",
    "thread_key",
]

THREAD_KEY_MAX = 256  # tickets.thread_key
OUTBOX_KEY_MAX = 512  # outbox_messages.idempotency_key
_BUYER_SPEAKS = {SignalKind.BUYER_MESSAGE, SignalKind.A_TO_Z_CLAIM, SignalKind.RETURN_REQUEST}


def thread_key(event: ComplaintClassified) -> str:
    """One thread per seller + order (+ buyer when there is no order)."""
    s = event.signal
    if s.order_id:
        return f"order:{s.order_id}"
    if s.case_id:
        return f"case:{s.case_id}"
    if event.buyer_hash:
        return f"buyer:{event.buyer_hash}"
    return bound_key(f"signal:{s.dedup_key}", THREAD_KEY_MAX)


def merge_tags(old: Sequence[dict[str, Any]], new: Sequence[Tag]) -> list[dict[str, Any]]:
    """Union by name, keeping the higher confidence."""
    merged = {t["name"]: float(t["confidence"]) for t in old}
    for tag in new:
        merged[tag.name] = max(merged.get(tag.name, 0.0), tag.confidence)
    return [{"name": k, "confidence": v} for k, v in sorted(merged.items())]


def _higher(a: str, b: str) -> str:
    return min(a, b, key=lambda p: Priority(p).value)


@dataclass(frozen=True, slots=True)
class TicketChange:
    """New values for a ticket after a classified signal joined it."""

    status: str
    priority: str
    category: str
    due_at: datetime | None
    last_buyer_message_at: datetime | None
    buyer_spoke: bool


def apply_signal(
    *,
    status: str | None,
    priority: str | None,
    category: str | None,
    due_at: datetime | None,
    last_buyer_message_at: datetime | None,
    event: ComplaintClassified,
) -> TicketChange:
    """How a ticket changes (``status is None`` means the ticket is new).

    The reply clock restarts with each new buyer message; a buyer writing again reopens a replied ticket.
    Priority only goes up automatically; a known category is not overwritten by ``none``.
    """
    buyer_spoke = event.signal.kind in _BUYER_SPEAKS or event.signal.a_to_z_claim
    new_status = after_signal(status, buyer_spoke=buyer_spoke)
    new_priority = event.priority.value if priority is None else _higher(priority, event.priority.value)
    new_category = event.category if (category in (None, "none") or event.category != "none") else category
    new_due = due_at
    last_msg = last_buyer_message_at
    if buyer_spoke and event.due_at is not None:
        if last_msg is None or event.signal.occurred_at >= last_msg:
            new_due = event.due_at
            last_msg = event.signal.occurred_at
    elif new_due is None:
        new_due = event.due_at
    return TicketChange(
        status=new_status,
        priority=new_priority,
        category=new_category or "none",
        due_at=new_due,
        last_buyer_message_at=last_msg,
        buyer_spoke=buyer_spoke,
    )


def outbox_key(*, seller_id: str, order_id: str | None, thread: str, template_id: str, version: str) -> str:
    """Idempotency key of an automatic reply: seller, order, thread and template version."""
    return bound_key(f"{seller_id}|{order_id or '-'}|{thread}|{template_id}@{version}", OUTBOX_KEY_MAX)
