"""One bad outbox row never stops the sender: it ends 'failed' with its reason, the other rows go out.

Also the PII key ring: rows written under a retired key are still sent after a rotation.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports.messaging import MessagingTransport
from services.responder.outbox.transports.smtp import SmtpTransport
from services.responder.settings import MailSettings
from services.responder.tables import OutboxMessage
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.errors import PermanentError
from shared.events import SignalKind
from shared.stack.smtp import SmtpServer
from shared.stack.spapi_standin import StandinHandle
from tests.responder.exactly_once_support import (
    CIPHER,
    apply,
    eventually,
    new_order_id,
    new_sellers,
    outbox_rows,
    spapi_client,
    ticket_of,
)
from tests.responder.support import classified

pytestmark = pytest.mark.integration

FOREIGN = PiiCipher("a-key-this-responder-never-had")


def _smtp(server: SmtpServer) -> SmtpTransport:
    return SmtpTransport(MailSettings(smtp_host=server.host, smtp_port=server.port))


async def _statuses(db: Database, orders: list[str]) -> dict[str, str]:
    async with db.sessions() as session:
        return {r.order_id or "": r.status for r in await outbox_rows(session) if r.order_id in orders}


async def _reencrypt(db: Database, order_id: str, cipher: PiiCipher) -> None:
    """Rewrite one row's PII under another key, as if it had been written before a key change."""
    async with unit_of_work(db) as session:
        (row,) = [r for r in await outbox_rows(session) if r.order_id == order_id]
        values = {
            "to_enc": cipher.encrypt(CIPHER.decrypt(row.to_enc)),
            "subject_enc": cipher.encrypt(CIPHER.decrypt(row.subject_enc)),
            "body_enc": cipher.encrypt(CIPHER.decrypt(row.body_enc)),
        }
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))


async def _running(sender: OutboxSender, body: Callable[[asyncio.Task[None]], Any]) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    try:
        await body(task)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await task


async def test_a_row_no_key_opens_fails_alone_and_the_sender_keeps_running(
    db: Database, smtp_server: SmtpServer
) -> None:
    complaints = [classified(order_id=f"111-0000000-000000{i}") for i in range(4)]
    await apply(db, *complaints)
    orders = [c.order_id or "" for c in complaints]
    poisoned = orders[1]
    await _reencrypt(db, poisoned, FOREIGN)
    config = SenderConfig(poll_interval_s=0.05, claim_gap_s=0.01, loop_error_pause_s=0.05)
    sender = OutboxSender(db=db, transports={"email": _smtp(smtp_server)}, cipher=CIPHER, config=config)

    later = classified(order_id="111-0000000-0000009")

    async def scenario(task: asyncio.Task[None]) -> None:
        final: dict[str, str] = await eventually(
            lambda: _statuses(db, orders),
            until=lambda s: "pending" not in s.values() and "sending" not in s.values(),
        )
        assert final == {o: "failed" if o == poisoned else "sent" for o in orders}
        assert not task.done()  # the sender task is still alive...
        await apply(db, later)  # ...and still sends what comes next
        await eventually(
            lambda: _statuses(db, ["111-0000000-0000009"]), until=lambda s: s == {later.order_id: "sent"}
        )
        assert not task.done()

    await _running(sender, scenario)
    async with db.sessions() as session:
        (row,) = [r for r in await outbox_rows(session) if r.order_id == poisoned]
        ticket = await ticket_of(session, poisoned)
    assert "pii_key" in (row.last_error or "")
    assert ticket.status == "escalated"  # a person looks at it; nothing was sent
    sent_to = sorted(m.rcpt_tos[0] for m in smtp_server.messages)
    expected = sorted(c.signal.reply_to or "" for c in [*complaints, later] if c.order_id != poisoned)
    assert sent_to == expected


class _Exploding:
    """A transport with a bug for one recipient: an exception no one classified."""

    def __init__(self, inner: SmtpTransport, bad_to: str) -> None:
        self._inner = inner
        self._bad_to = bad_to

    async def send(self, message: Any) -> None:
        if message.buyer_alias == self._bad_to:
            raise RuntimeError("a bug in a transport")
        await self._inner.send(message)


async def test_an_unexpected_error_in_one_send_is_unknown_for_that_row_only(
    db: Database, smtp_server: SmtpServer
) -> None:
    complaints = [classified(order_id=f"222-0000000-000000{i}") for i in range(3)]
    await apply(db, *complaints)
    orders = [c.order_id or "" for c in complaints]
    transport = _Exploding(_smtp(smtp_server), complaints[0].signal.reply_to or "")
    sender = OutboxSender(
        db=db, transports={"email": transport}, cipher=CIPHER, config=SenderConfig(per_seller=10)
    )
    assert await sender.tick() == 3
    assert await sender.tick() == 0  # the possibly-delivered row is never re-sent
    final = await _statuses(db, orders)
    assert final == {orders[0]: "unknown", orders[1]: "sent", orders[2]: "sent"}


async def test_rows_under_a_retired_key_are_sent_after_the_key_rotation(
    db: Database, smtp_server: SmtpServer
) -> None:
    old_key, new_key = "the-key-before-rotation-0123456789", "the-key-after-rotation-0123456789"
    complaints = [classified(order_id=f"333-0000000-000000{i}") for i in range(3)]
    await apply(db, *complaints)
    orders = [c.order_id or "" for c in complaints]
    for order in orders:  # written while the old key was primary
        await _reencrypt(db, order, PiiCipher(old_key))
    ring = PiiCipher(new_key, old=[old_key])
    sender = OutboxSender(
        db=db, transports={"email": _smtp(smtp_server)}, cipher=ring, config=SenderConfig(per_seller=10)
    )
    assert await sender.tick() == 3
    assert await _statuses(db, orders) == dict.fromkeys(orders, "sent")
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == sorted(
        c.signal.reply_to or "" for c in complaints
    )


def test_the_ring_encrypts_with_the_new_key_and_decrypts_with_every_key() -> None:
    old, new = PiiCipher("old-secret"), PiiCipher("new-secret")
    ring = PiiCipher.from_secrets(*_secrets("new-secret", "old-secret"))
    assert ring.decrypt(old.encrypt("written before")) == "written before"
    assert ring.decrypt_json(old.encrypt_json({"a": 1})) == {"a": 1}
    token = ring.encrypt("written after")
    assert new.decrypt(token) == "written after"  # the primary key encrypted it
    with pytest.raises(PermanentError, match="any configured key"):
        old.decrypt(token)
    with pytest.raises(PermanentError):
        ring.decrypt(b"\x00not a token")


def _secrets(primary: str, *old: str) -> tuple[Any, list[Any]]:
    from pydantic import SecretStr

    return SecretStr(primary), [SecretStr(o) for o in old]


class _TemplateGone:
    """A renderer whose template disappeared between queueing and sending."""

    def rerender(self, message: Any, *, action: str, locale: str) -> str | None:
        raise KeyError(message.template_id)


async def test_a_proactive_row_whose_template_is_gone_fails_without_a_post(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers = new_sellers(state, 1)
    seller = next(iter(sellers))
    order = new_order_id()
    state.add_order(order, seller)
    await apply(
        db,
        classified(order_id=order, seller_id=seller, kind=SignalKind.RETURN_REPORT_ROW, category="defective"),
    )
    async with spapi_client(standin, sellers) as client:
        transport = MessagingTransport(client, _TemplateGone())
        sender = OutboxSender(
            db=db, transports={"messaging": transport}, cipher=CIPHER, config=SenderConfig()
        )
        assert await sender.tick() == 1
    assert await _statuses(db, [order]) == {order: "failed"}
    assert state.messages_for(order) == []
    async with db.sessions() as session:
        (row,) = [r for r in await outbox_rows(session) if r.order_id == order]
    assert (row.last_error or "").startswith("render:")
