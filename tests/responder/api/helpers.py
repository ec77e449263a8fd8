"""Seeding helpers for the API tests: tickets, timeline, outbox rows and keys through the ORM models."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from services.responder.api.keystore import issue_key
from services.responder.tables import OrderContextRow, OutboxMessage, Ticket, TicketEvent
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work

__all__ = [
    "CIPHER",
    "PEPPER",
    "PII_KEY",
    "T0",
    "add_event",
    "add_key",
    "add_order",
    "add_outbox",
    "add_ticket",
    "bearer",
]

PEPPER = "test-pepper"
PII_KEY = "test-pii-key"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CIPHER = PiiCipher(PII_KEY)


def bearer(key: str) -> dict[str, str]:
    """Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}


async def add_key(
    db: Database,
    *,
    sellers: Iterable[str],
    scopes: Iterable[str],
    name: str = "ops",
    rate_limit_per_s: float | None = None,
) -> str:
    """Store a key and return its plaintext."""
    async with unit_of_work(db) as session:
        plaintext, _ = await issue_key(
            session,
            name=name,
            scopes=list(scopes),
            sellers=list(sellers),
            pepper=PEPPER,
            rate_limit_per_s=rate_limit_per_s,
        )
    return plaintext


async def add_ticket(
    db: Database,
    *,
    seller_id: str = "SELLER-A",
    buyer_alias: str | None = "buyer-x@marketplace.amazon.com",
    subject: str | None = "Where is my parcel?",
    created_at: datetime = T0,
    **fields: Any,
) -> Ticket:
    """Insert one ticket; ``fields`` override the defaults of any Ticket column."""
    ticket_id = fields.pop("id", None) or uuid.uuid4()
    values: dict[str, Any] = {
        "id": ticket_id,
        "seller_id": seller_id,
        "marketplace_id": "ATVPDKIKX0DER",
        "order_id": None,
        "thread_key": f"t:{ticket_id}",
        "status": "new",
        "priority": "P3",
        "category": "not_received",
        "tags": [],
        "reasons": [],
        "language": "en",
        "message_count": 1,
        "version": 1,
        "no_response_needed": False,
        "ageing": False,
        "buyer_alias_enc": CIPHER.encrypt(buyer_alias),
        "subject_enc": CIPHER.encrypt(subject),
        "created_at": created_at,
        "updated_at": fields.pop("updated_at", created_at),
    }
    values.update(fields)
    ticket = Ticket(**values)
    async with unit_of_work(db) as session:
        session.add(ticket)
    return ticket


async def add_event(
    db: Database,
    ticket_id: uuid.UUID,
    *,
    kind: str,
    occurred_at: datetime = T0,
    data: dict[str, Any] | None = None,
    pii: dict[str, Any] | None = None,
) -> None:
    """Append a timeline entry (``pii`` is encrypted like the responder does)."""
    async with unit_of_work(db) as session:
        session.add(
            TicketEvent(
                ticket_id=ticket_id,
                kind=kind,
                occurred_at=occurred_at,
                data=data or {},
                pii_enc=CIPHER.encrypt_json(pii) if pii is not None else None,
            )
        )


async def add_outbox(
    db: Database,
    ticket: Ticket,
    *,
    status: str = "sent",
    created_by: str = "auto",
    body: str = "Hello, your parcel is on its way.",
    created_at: datetime = T0,
    lint: list[Any] | None = None,
) -> uuid.UUID:
    """Insert an outbox row for the ticket."""
    row_id = uuid.uuid4()
    async with unit_of_work(db) as session:
        session.add(
            OutboxMessage(
                id=row_id,
                idempotency_key=f"seed:{row_id}",
                ticket_id=ticket.id,
                seller_id=ticket.seller_id,
                marketplace_id=ticket.marketplace_id,
                order_id=ticket.order_id,
                channel="email",
                status=status,
                lint=lint or [],
                mail_headers={},
                to_enc=CIPHER.encrypt("buyer-x@marketplace.amazon.com"),
                subject_enc=CIPHER.encrypt("Re: Where is my parcel?"),
                body_enc=CIPHER.encrypt(body),
                created_by=created_by,
                created_at=created_at,
                sent_at=created_at if status == "sent" else None,
            )
        )
    return row_id


async def add_order(
    db: Database, *, seller_id: str, order_id: str, latest_delivery_date: datetime | None, **fields: Any
) -> None:
    """Insert an order context row."""
    async with unit_of_work(db) as session:
        session.add(
            OrderContextRow(
                seller_id=seller_id,
                order_id=order_id,
                latest_delivery_date=latest_delivery_date,
                last_event_at=fields.pop("last_event_at", T0 - timedelta(days=3)),
                **fields,
            )
        )
