"""Ticket rows to API models (pure): effective priority, SLA state, PII decrypted only when allowed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Row

from services.responder.api.schemas.tickets import (
    Classification,
    OrderContextOut,
    ReplyOut,
    TagOut,
    TicketDetail,
    TicketPii,
    TicketSummary,
    TimelineEntry,
)
from services.responder.tables import OrderContextRow, OutboxMessage, Ticket, TicketEvent
from services.responder.tickets.sla import a_to_z, sla_state
from shared.crypto import PiiCipher
from shared.errors import PermanentError

__all__ = ["detail_json", "detail_of", "etag_of", "lint_entries", "page_json", "reply_of", "summary_of"]


def etag_of(version: int) -> str:
    """Strong ETag of a ticket: its version."""
    return f'"{version}"'


def _summary_fields(ticket: Ticket | Row[Any], *, now: datetime, window: timedelta) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "seller_id": ticket.seller_id,
        "marketplace_id": ticket.marketplace_id,
        "order_id": ticket.order_id,
        "status": ticket.status,
        "priority": ticket.priority_override or ticket.priority,
        "priority_auto": ticket.priority,
        "priority_override": ticket.priority_override,
        "category": ticket.category,
        "tags": [TagOut(name=str(t["name"]), confidence=float(t["confidence"])) for t in ticket.tags or []],
        "confidence": ticket.confidence,
        "language": ticket.language,
        "asin": ticket.asin,
        "sku": ticket.sku,
        "assignee": ticket.assignee,
        "no_response_needed": ticket.no_response_needed,
        "due_at": ticket.due_at,
        "sla_state": sla_state(
            status=ticket.status,
            due_at=ticket.due_at,
            now=now,
            window=window,
        ),
        "sla_alerted": ticket.sla_alerted,
        "a_to_z": a_to_z(ticket.reasons),
        "ageing": ticket.ageing,
        "first_response_at": ticket.first_response_at,
        "last_buyer_message_at": ticket.last_buyer_message_at,
        "message_count": ticket.message_count,
        "abusive_score": ticket.abusive_score,
        "buyer_hash": ticket.buyer_hash,
        "version": ticket.version,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "pii_redacted_at": ticket.pii_redacted_at,
    }


def summary_of(ticket: Ticket | Row[Any], *, now: datetime, window: timedelta) -> TicketSummary:
    """A list row (a Ticket or a row of its summary columns)."""
    return TicketSummary(**_summary_fields(ticket, now=now, window=window))


_BOOL = {True: "true", False: "false"}


def page_json(rows: Sequence[Mapping[str, Any]], *, next_cursor: str | None) -> bytes:
    """A list page as JSON from rows of ``summary_doc`` and ``sla_state`` (see ``ticket_reads``).

    ``summary_doc`` is what ``TicketSummary`` serialises to without ``sla_state`` and ``a_to_z`` (computed
    per page in SQL), kept by a trigger
    (migration 5e0c2a9d41b7), so a page costs string joins instead of 50 model validations.
    """
    # A state is one of a few words and a cursor base64url text: neither needs JSON escaping.
    items = [
        f'{row["summary_doc"][:-1]},"sla_state":"{row["sla_state"]}","a_to_z":{_BOOL[row["a_to_z"]]}}}'
        for row in rows
    ]
    cursor = "null" if next_cursor is None else f'"{next_cursor}"'
    return f'{{"items":[{",".join(items)}],"next_cursor":{cursor}}}'.encode()


_LINT_KEYS = ("rule_id", "message", "start", "end", "field")


def lint_entries(value: Any) -> list[Any]:
    """Stored lint results as shown: rule ids and offsets only. Rows written before excerpts were dropped
    still carry the offending text (a phone number, an e-mail address); it never leaves the API."""
    if not isinstance(value, list):
        return []
    return [
        {k: v[k] for k in _LINT_KEYS if k in v} if isinstance(v, dict) else v
        for v in value
        if isinstance(v, dict | str)
    ]


def _event_data(data: Mapping[str, Any] | None) -> dict[str, Any]:
    doc = dict(data or {})
    if "lint" in doc:
        doc["lint"] = lint_entries(doc["lint"])
    return doc


def _text(cipher: PiiCipher, token: bytes | None) -> str | None:
    try:
        return cipher.decrypt(token)
    except PermanentError:
        return None  # encrypted under a retired key: shown as absent rather than failing the request


def _doc(cipher: PiiCipher, token: bytes | None) -> dict[str, Any] | None:
    try:
        doc = cipher.decrypt_json(token)
    except PermanentError:
        return None
    return doc if isinstance(doc, dict) else None


def _timeline(events: Sequence[TicketEvent], cipher: PiiCipher | None) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            id=e.id,
            kind=e.kind,
            actor=e.actor,
            occurred_at=e.occurred_at,
            recorded_at=e.recorded_at,
            event_id=e.event_id,
            data=_event_data(e.data),
            pii=_doc(cipher, e.pii_enc) if cipher is not None else None,
        )
        for e in events
    ]


def reply_of(r: OutboxMessage, cipher: PiiCipher | None) -> ReplyOut:
    """An outbox row; subject and body only with a cipher (tickets:read)."""
    return ReplyOut(
        id=r.id,
        status=r.status,
        channel=r.channel,
        action=r.action,
        template_id=r.template_id,
        template_version=r.template_version,
        language=r.language,
        fallback=r.fallback,
        lint=lint_entries(r.lint),
        attempts=r.attempts,
        last_error=r.last_error,
        created_by=r.created_by,
        created_at=r.created_at,
        sent_at=r.sent_at,
        subject=_text(cipher, r.subject_enc) if cipher is not None else None,
        body=_text(cipher, r.body_enc) if cipher is not None else None,
    )


def _order(row: OrderContextRow | None) -> OrderContextOut | None:
    if row is None:
        return None
    return OrderContextOut(
        order_id=row.order_id,
        marketplace_id=row.marketplace_id,
        order_status=row.order_status,
        fulfillment_type=row.fulfillment_type,
        purchase_date=row.purchase_date,
        earliest_delivery_date=row.earliest_delivery_date,
        latest_delivery_date=row.latest_delivery_date,
        latest_ship_date=row.latest_ship_date,
        tracking_milestone=row.tracking_milestone,
        carrier=row.carrier,
        order_amount=row.order_amount,
        currency=row.currency,
        last_event_at=row.last_event_at,
    )


def detail_of(
    ticket: Ticket,
    *,
    events: Sequence[TicketEvent],
    replies: Sequence[OutboxMessage],
    order: OrderContextRow | None,
    cipher: PiiCipher | None,
    now: datetime,
    window: timedelta,
) -> TicketDetail:
    """The full view; ``cipher`` is None for keys that may not see PII."""
    pii = (
        TicketPii(
            buyer_alias=_text(cipher, ticket.buyer_alias_enc), subject=_text(cipher, ticket.subject_enc)
        )
        if cipher is not None
        else None
    )
    return TicketDetail(
        **_summary_fields(ticket, now=now, window=window),
        classification=Classification(
            category=ticket.category,
            confidence=ticket.confidence,
            language=ticket.language,
            model_version=ticket.model_version,
            abusive_score=ticket.abusive_score,
            reasons=list(ticket.reasons or []),
        ),
        pii=pii,
        order=_order(order),
        timeline=_timeline(events, cipher),
        replies=[reply_of(r, cipher) for r in replies],
    )


def _hex(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value)


def detail_json(
    row: Mapping[str, Any], *, cipher: PiiCipher | None, now: datetime, window: timedelta
) -> bytes:
    """The full view as JSON from ``get_ticket_detail``'s row; PII decrypted only with a cipher.

    Equal to ``TicketDetail`` serialised (tests/responder/api compare them); built with orjson around the stored
    summary because validating the model again cost more than the rest of the request.
    """
    timeline = orjson.loads(row["timeline_json"]) if row["timeline_json"] else []
    replies = orjson.loads(row["replies_json"]) if row["replies_json"] else []
    for e in timeline:
        e["data"] = _event_data(e.get("data"))
        token = _hex(e.pop("pii_enc"))
        e["pii"] = _doc(cipher, token) if cipher is not None else None
    for r in replies:
        r["lint"] = lint_entries(r.get("lint"))
        subject, body = _hex(r.pop("subject_enc")), _hex(r.pop("body_enc"))
        r["subject"] = _text(cipher, subject) if cipher is not None else None
        r["body"] = _text(cipher, body) if cipher is not None else None
    pii = (
        {
            "buyer_alias": _text(cipher, row["buyer_alias_enc"]),
            "subject": _text(cipher, row["subject_enc"]),
        }
        if cipher is not None
        else None
    )
    rest = orjson.dumps(
        {
            "sla_state": sla_state(status=row["status"], due_at=row["due_at"], now=now, window=window),
            "a_to_z": a_to_z(orjson.loads(row["reasons_json"] or "[]")),
            "classification": {
                "category": row["category"],
                "confidence": row["confidence"],
                "language": row["language"],
                "model_version": row["model_version"],
                "abusive_score": row["abusive_score"],
                "reasons": orjson.Fragment(row["reasons_json"] or "[]"),
            },
            "pii": pii,
            "order": orjson.Fragment(row["order_json"]) if row["order_json"] else None,
            "timeline": timeline,
            "replies": replies,
        }
    )
    summary: str = row["summary_doc"]
    return summary[:-1].encode() + b"," + rest[1:]
