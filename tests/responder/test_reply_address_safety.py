"""Replies go only to the ticket's relay alias: a spoofed Reply-To or a later alias never becomes a recipient.

Real PostgreSQL; the signals of the attack are what the ingest parser makes of the spoofed fixture mail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import select

from services.ingest.parse.relay import parse_relay_email
from services.responder.handlers import ResponderDeps, handle_complaints
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderSettings
from services.responder.tables import OutboxMessage, Ticket, TicketEvent
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.events import ComplaintClassified, ComplaintSignalReceived
from shared.settings import DatabaseSettings
from tests.responder.support import classified

pytestmark = pytest.mark.integration

CIPHER = PiiCipher("test-key")
MAIL = Path(__file__).resolve().parents[1] / "ingest" / "fixtures" / "mail"
ORDER = "112-3456789-0123456"  # the order of the spoofed fixture mail
ALIAS = "k3xq9wz7m2bd5tf@marketplace.amazon.com"
OTHER_ALIAS = "zz9spoofed00001@marketplace.amazon.com"
ATTACKER = "attacker@evil.example"


@pytest_asyncio.fixture
async def db(migrated_db: str) -> AsyncIterator[Database]:
    database = Database(DatabaseSettings(url=SecretStr(migrated_db)))
    yield database
    await database.dispose()


def _deps() -> ResponderDeps:
    return ResponderDeps(cipher=CIPHER, composer=ReplyComposer(responder=ResponderSettings()))


async def _apply(db: Database, event: ComplaintClassified) -> None:
    async with unit_of_work(db) as session:
        await handle_complaints([event], session=session, deps=_deps(), now=datetime.now(UTC))


def _with_signal(event: ComplaintClassified, **signal: object) -> ComplaintClassified:
    return event.model_copy(update={"signal": event.signal.model_copy(update=signal)})


def _parsed(fixture: str) -> ComplaintSignalReceived:
    return parse_relay_email(
        (MAIL / fixture).read_bytes(),
        seller_for_recipient=lambda _a: None,
        default_seller_id="A2SELLER",
        received_at=datetime.now(UTC),
        correlation_id="c",
    )


async def _state(db: Database) -> tuple[Ticket, list[OutboxMessage], list[TicketEvent]]:
    async with db.sessions() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        rows = list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.created_at))).scalars()
        )
        timeline = list((await session.execute(select(TicketEvent).order_by(TicketEvent.id))).scalars())
    return ticket, rows, timeline


def _recipients(rows: list[OutboxMessage]) -> list[str | None]:
    return [CIPHER.decrypt(row.to_enc) for row in rows]


async def test_the_spoofed_reply_to_attack_queues_the_reply_to_the_relay_alias_only(db: Database) -> None:
    signal = _parsed("en_spoofed_reply_to.eml")  # relay-looking From, real order, Reply-To: attacker
    event = classified(order_id=ORDER, alias=ALIAS)
    await _apply(db, event.model_copy(update={"signal": signal.model_copy(update={"seller_id": "A2SELLER"})}))
    ticket, rows, _ = await _state(db)
    assert _recipients(rows) == [ALIAS]
    assert CIPHER.decrypt(ticket.buyer_alias_enc) == ALIAS


async def test_an_event_naming_a_non_relay_reply_to_writes_no_outbox_row_to_it(db: Database) -> None:
    # Defence in depth: even an event that carries the attacker as reply_to (an older ingest, a bad producer).
    await _apply(db, classified(order_id=ORDER, alias=ATTACKER))
    ticket, rows, timeline = await _state(db)
    assert ATTACKER not in _recipients(rows)
    assert [(row.status, row.to_enc) for row in rows] == [("draft", None)]
    assert ticket.status == "escalated"
    assert ticket.buyer_alias_enc is None
    [refused] = [entry for entry in timeline if entry.kind == "reply_address_refused"]
    assert CIPHER.decrypt_json(refused.pii_enc) == {"alias": ATTACKER}
    [queued] = [entry for entry in timeline if entry.kind == "reply_queued"]
    assert "no_reply_address" in queued.data["decision"]


async def test_an_alias_of_another_marketplace_is_not_answered(db: Database) -> None:
    await _apply(db, classified(order_id=ORDER, alias="abc123def456@marketplace.amazon.de"))
    ticket, rows, _ = await _state(db)
    assert [(row.status, row.to_enc) for row in rows] == [("draft", None)]
    assert ticket.buyer_alias_enc is None


async def test_a_later_message_from_another_alias_keeps_the_stored_one_and_is_not_answered(
    db: Database,
) -> None:
    genuine = classified(order_id=ORDER, alias=ALIAS, category="not_received")
    await _apply(db, genuine)
    # The attack on the existing ticket: another relay-looking alias, another complaint, a refund to promise.
    attack = _with_signal(
        classified(order_id=ORDER, alias=OTHER_ALIAS, category="defective"),
        message_id="<attack-1@mx.evil.example>",
        subject="Refund confirmed, reply to my new address",
    )
    await _apply(db, attack)
    ticket, rows, timeline = await _state(db)
    assert CIPHER.decrypt(ticket.buyer_alias_enc) == ALIAS
    assert ticket.last_message_id == genuine.signal.message_id
    assert CIPHER.decrypt(ticket.subject_enc) == genuine.signal.subject
    assert OTHER_ALIAS not in _recipients(rows)
    first, second = rows
    assert (first.status, CIPHER.decrypt(first.to_enc)) == ("pending", ALIAS)
    assert second.status == "draft"  # held for a human, addressed to the stored alias if sent at all
    assert CIPHER.decrypt(second.to_enc) == ALIAS
    [changed] = [entry for entry in timeline if entry.kind == "buyer_alias_changed"]
    assert changed.data["kept"] == "stored"
    assert changed.data["same_buyer"] is False
    assert changed.data["message_id"] == "<attack-1@mx.evil.example>"
    assert CIPHER.decrypt_json(changed.pii_enc) == {"alias": OTHER_ALIAS}
    assert "zz9spoofed" not in str(changed.data)  # the alias is on the timeline encrypted only
    assert ticket.status == "escalated"


async def test_a_later_message_without_any_relay_alias_changes_nothing(db: Database) -> None:
    await _apply(db, classified(order_id=ORDER, alias=ALIAS))
    signal = _parsed("en_relay_only_in_reply_to.eml")  # attacker's From, the alias only in Reply-To/Sender
    assert signal.reply_to is None
    later = classified(order_id=ORDER, alias=ALIAS, category="defective")
    await _apply(db, later.model_copy(update={"signal": signal.model_copy(update={"seller_id": "A2SELLER"})}))
    ticket, rows, _ = await _state(db)
    assert CIPHER.decrypt(ticket.buyer_alias_enc) == ALIAS
    assert [row.status for row in rows] == ["pending", "draft"]
    assert set(_recipients(rows)) == {ALIAS}


async def test_a_stored_address_that_is_no_relay_alias_is_replaced_by_the_buyers_alias(db: Database) -> None:
    await _apply(db, classified(order_id=ORDER, alias=ALIAS))
    async with unit_of_work(db) as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        ticket.buyer_alias_enc = CIPHER.encrypt(ATTACKER)  # what the old code stored from a spoofed Reply-To
    await _apply(db, classified(order_id=ORDER, alias=ALIAS, category="defective"))
    ticket, rows, timeline = await _state(db)
    assert CIPHER.decrypt(ticket.buyer_alias_enc) == ALIAS
    assert ATTACKER not in _recipients(rows)
    assert "buyer_alias_replaced" in [entry.kind for entry in timeline]
