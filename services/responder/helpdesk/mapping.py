"""What a ticket and its timeline look like in Zendesk (pure): status, priority, tags, fields, internal notes.

Every comment we write is internal (``public: false``): Zendesk never mails anyone on our behalf; replies to
the buyer leave only through our outbox. A note ends with a reference (``[complaints:<entry id>]``) so a note
whose first attempt may have reached Zendesk is found again instead of written twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

__all__ = [
    "Snapshot",
    "create_payload",
    "note_for",
    "note_ref",
    "remote_status_for",
    "snapshot",
    "status_from_remote",
    "update_payload",
]

Snapshot = dict[str, Any]
"""What we last pushed: status, priority, tags and custom field values (kept on the link)."""

_STATUS = {
    "new": "new",
    "awaiting_reply": "open",
    "escalated": "open",
    "replied": "pending",
    "waiting_on_buyer": "pending",
    "resolved": "solved",
    "closed": "solved",
    "no_response_needed": "solved",
}
_PRIORITY = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}
_DONE_HERE = frozenset({"resolved", "closed", "no_response_needed"})


def remote_status_for(status: str) -> str:
    """Our status as a Zendesk status (Zendesk closes solved tickets itself)."""
    return _STATUS.get(status, "open")


def status_from_remote(ours: str, remote: str) -> str | None:
    """Our new status after an agent set ``remote`` in Zendesk, or None when ours stays as it is.

    Solving there resolves here; reopening a ticket solved here makes it owe a reply again. Zendesk's
    'pending' and 'hold' say nothing we could act on.
    """
    if remote in ("solved", "closed") and ours not in _DONE_HERE:
        return "resolved"
    if remote in ("new", "open") and ours in _DONE_HERE:
        return "awaiting_reply"
    return None


def _tag(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower())[:80]


def snapshot(
    *,
    status: str,
    priority: str,
    category: str,
    language: str | None,
    order_id: str | None,
    due_at: datetime | None,
    order_field_id: int | None,
    sla_due_field_id: int | None,
) -> Snapshot:
    """The Zendesk view of a ticket's current state."""
    tags = [f"cmp_category_{_tag(category)}", f"cmp_priority_{_tag(priority)}"]
    if language:
        tags.append(f"cmp_lang_{_tag(language)}")
    fields: dict[str, Any] = {}
    if order_field_id is not None:
        fields[str(order_field_id)] = order_id
    if sla_due_field_id is not None:
        fields[str(sla_due_field_id)] = due_at.isoformat() if due_at else None
    return {
        "status": remote_status_for(status),
        "priority": _PRIORITY.get(priority, "normal"),
        "tags": sorted(tags),
        "fields": fields,
    }


def _custom_fields(fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"id": int(k), "value": v} for k, v in sorted(fields.items())]


def note_ref(entry_id: int) -> str:
    """The reference a note carries."""
    return f"[complaints:{entry_id}]"


def create_payload(
    state: Snapshot, *, ticket_id: str, order_id: str | None, category: str, description: str, entry_id: int
) -> dict[str, Any]:
    """POST /api/v2/tickets body: our ticket id as external_id, the first message as an internal comment."""
    return {
        "ticket": {
            "external_id": ticket_id,
            "subject": f"Amazon order {order_id or '(none)'}: {category}",
            "comment": {"body": f"{description}\n\n{note_ref(entry_id)}", "public": False},
            "status": state["status"],
            "priority": state["priority"],
            "tags": state["tags"],
            "custom_fields": _custom_fields(state["fields"]),
        }
    }


def update_payload(state: Snapshot, pushed: Snapshot, *, note: str | None) -> dict[str, Any] | None:
    """PUT /api/v2/tickets/{id} body with what changed since ``pushed`` (tags added and removed, so an
    agent's own tags stay), or None when there is nothing to say."""
    ticket: dict[str, Any] = {}
    for key in ("status", "priority"):
        if state[key] != pushed.get(key):
            ticket[key] = state[key]
    old, new = set(pushed.get("tags", [])), set(state["tags"])
    if new - old:
        ticket["additional_tags"] = sorted(new - old)
    if old - new:
        ticket["remove_tags"] = sorted(old - new)
    before = pushed.get("fields", {})
    changed = {k: v for k, v in state["fields"].items() if before.get(k, object()) != v}
    if changed:
        ticket["custom_fields"] = _custom_fields(changed)
    if note is not None:
        ticket["comment"] = {"body": note, "public": False}
    return {"ticket": ticket} if ticket else None


def note_for(kind: str, data: Mapping[str, Any], *, text: str | None, entry_id: int) -> str | None:
    """The internal note a timeline entry becomes, or None (classifications and field changes travel as
    status, priority, tags and fields instead)."""
    body = _note_body(kind, data, text=text)
    return None if body is None else f"{body}\n\n{note_ref(entry_id)}"


def _rules(lint: Sequence[Any]) -> str:
    ids = sorted({str(v.get("rule_id", "?")) if isinstance(v, dict) else str(v) for v in lint})
    return ", ".join(ids) or "(none listed)"


def _note_body(kind: str, data: Mapping[str, Any], *, text: str | None) -> str | None:
    if kind == "signal":
        return f"The buyer wrote:\n\n{text or '(no text)'}"
    if kind == "reply_blocked":
        return (
            "A reply was NOT sent: the compliance linter blocked it. Rules: "
            f"{_rules(data.get('lint', []))}. Edit the text and send it again."
        )
    if kind == "reply_queued":
        return f"Reply queued to the buyer ({data.get('channel')}, {data.get('template_id') or 'written by an agent'})."
    if kind.startswith("reply_") and kind != "reply_deferred":
        return f"Reply {kind.removeprefix('reply_')}" + (f": {data['error']}" if data.get("error") else ".")
    if kind == "reply_deferred":
        return f"Reply held back by the daily send budget until {data.get('not_before')}."
    if kind == "sla_alert":
        return f"SLA {data.get('state')}: reply due {data.get('due_at')}."
    if kind == "context":
        parts = [data.get("order_status"), data.get("tracking_milestone")]
        return "Order update: " + (
            ", ".join(str(p) for p in parts if p) or str(data.get("notification_type"))
        )
    return None
