"""The identical-message cap: the 51st automatic message with the same text in a day is held for a person,
never sent as-is and never dropped; the count is in PostgreSQL, so two sender replicas agree."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from services.responder.handlers import ResponderDeps, handle_complaints
from services.responder.outbox.identical import IdenticalCap, body_digest, normalise_body, rows_over_cap
from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports.smtp import SmtpTransport
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import MailSettings, ResponderSettings
from services.responder.tables import OutboxMessage
from shared.db.session import Database, unit_of_work
from shared.stack.smtp import SmtpServer
from tests.responder.exactly_once_support import (
    CIPHER,
    apply,
    new_order_id,
    outbox_rows,
    ticket_of,
    timeline_kinds,
)
from tests.responder.support import classified


def _seller() -> str:
    return f"A2I{uuid.uuid4().hex[:11].upper()}"


def _sender(db: Database, smtp: SmtpServer, clock: list[datetime], cap: int) -> OutboxSender:
    transport = SmtpTransport(MailSettings(smtp_host=smtp.host, smtp_port=smtp.port))
    return OutboxSender(
        db=db,
        transports={"email": transport},
        cipher=CIPHER,
        config=SenderConfig(batch=100, per_seller=100, identical_cap=cap),
        clock=lambda: clock[0],
    )


def test_texts_differing_only_in_numbers_case_or_spacing_are_the_same_text() -> None:
    a = "Dear Jane,\n\nYour order 111-2223334-4445556 ships on 3 March."
    b = "dear jane, your order 999-8887776-6655544  ships on 14 march."
    assert normalise_body(a) == normalise_body(b)
    assert body_digest(a) == body_digest(b)
    assert body_digest(a) != body_digest("Dear Jane, your order # was refunded.")


def test_rows_past_the_cap_are_the_later_ones_and_the_rest_are_counted() -> None:
    key, other = ("S", "d1"), ("S", "d2")
    over, added = rows_over_cap([key, other, key, key], sent=Counter({key: 1}), cap=2)
    assert over == [2, 3]
    assert added == Counter({key: 1, other: 1})


@pytest.mark.integration
async def test_the_51st_identical_message_is_held_for_a_person_nothing_is_lost_and_replicas_agree(
    db: Database, smtp_server: SmtpServer
) -> None:
    seller = _seller()
    orders = [new_order_id() for _ in range(51)]
    await apply(db, *(classified(seller_id=seller, order_id=o) for o in orders))
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    clock = [noon]
    before = len(smtp_server.messages)
    sender = _sender(db, smtp_server, clock, cap=50)

    assert await sender.tick() == 50
    assert await sender.tick() == 0  # a held row is never picked up again by itself
    async with db.sessions() as session:
        rows = await outbox_rows(session, seller_ids=[seller])
        held = [r for r in rows if r.status == "held"]
        assert len(held) == 1
        ticket = await ticket_of(session, held[0].order_id or "")
        kinds = await timeline_kinds(session, ticket)
    assert Counter(r.status for r in rows) == Counter({"sent": 50, "held": 1})
    assert held[0].order_id == orders[-1]  # the newest waits, the older ones went out
    assert CIPHER.decrypt(held[0].body_enc)  # the text is kept for the person
    assert "identical_message_cap" in (held[0].last_error or "")
    assert ticket.status == "escalated"
    assert kinds[-1] == "reply_held"
    assert len(smtp_server.messages) - before == 50

    # The next UTC day the count starts again.
    late = new_order_id()
    await apply(db, classified(seller_id=seller, order_id=late))
    clock[0] = noon + timedelta(days=1)
    assert await sender.tick() == 1
    assert len(smtp_server.messages) - before == 51

    # Two sender replicas share one count (a second seller, cap 4).
    seller = _seller()
    clock = [noon]
    await apply(db, *(classified(seller_id=seller, order_id=new_order_id()) for _ in range(3)))
    assert await _sender(db, smtp_server, clock, cap=4).tick() == 3
    # Another replica, with nothing in memory, takes the seller over: the database remembers the three.
    await apply(db, *(classified(seller_id=seller, order_id=new_order_id()) for _ in range(3)))
    assert await _sender(db, smtp_server, clock, cap=4).tick() == 1
    async with db.sessions() as session:
        rows = await outbox_rows(session, seller_ids=[seller])
    assert Counter(r.status for r in rows) == Counter({"sent": 4, "held": 2})


async def _queue(db: Database, seller: str, count: int, *, cap: int) -> None:
    """Complaints through the responder's handler with the cap set, each in its own transaction."""
    handler_deps = ResponderDeps(
        cipher=CIPHER, composer=ReplyComposer(responder=ResponderSettings()), identical_cap=cap
    )
    for _ in range(count):
        async with unit_of_work(db) as session:
            event = classified(seller_id=seller, order_id=new_order_id())
            await handle_complaints([event], session=session, deps=handler_deps, now=datetime.now(UTC))


@pytest.mark.integration
async def test_a_text_at_the_cap_is_queued_in_the_templates_other_wordings_before_any_is_held(
    db: Database, smtp_server: SmtpServer
) -> None:
    seller = _seller()
    clock = [datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)]
    sender = _sender(db, smtp_server, clock, cap=2)
    await _queue(db, seller, 2, cap=2)
    assert await sender.tick() == 2  # the main text, twice: at the cap now
    await _queue(db, seller, 4, cap=2)  # two in the second wording, two in the third
    assert await sender.tick() == 4
    await _queue(db, seller, 1, cap=2)  # every wording at the cap: queued as it is, held by the sender
    assert await sender.tick() == 0
    async with db.sessions() as session:
        rows = await outbox_rows(session, seller_ids=[seller])
    assert [(r.template_version, r.status) for r in rows] == [
        ("1", "sent"),
        ("1", "sent"),
        ("1+v1", "sent"),
        ("1+v1", "sent"),
        ("1+v2", "sent"),
        ("1+v2", "sent"),
        ("1", "held"),
    ]
    bodies = {r.template_version: CIPHER.decrypt(r.body_enc) or "" for r in rows}
    assert len({body_digest(b) for b in bodies.values()}) == 3  # three different texts


@pytest.mark.integration
async def test_rows_without_a_text_of_ours_such_as_review_requests_are_never_capped(db: Database) -> None:
    # A solicitation row is automatic but carries no body (Amazon writes the text): before this check all of a
    # seller's review requests hashed to the empty text, and the 51st of a day was held.
    seller = _seller()
    now = datetime.now(UTC)
    rows = [
        OutboxMessage(
            id=uuid.uuid4(),
            seller_id=seller,
            created_by="auto",
            channel="solicitation",
            body_enc=None,
            created_at=now + timedelta(seconds=i),
        )
        for i in range(3)
    ]
    async with unit_of_work(db) as session:
        assert await IdenticalCap(1, CIPHER).over_cap(session, claimed=rows, now=now) == []
