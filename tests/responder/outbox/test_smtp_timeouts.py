"""SMTP sends are time-bounded: a relay quiet during DATA is an unknown outcome, quiet before DATA a retry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports.smtp import SmtpTransport
from services.responder.settings import MailSettings
from shared.db.session import Database
from shared.stack.smtp import SmtpServer
from tests.responder.exactly_once_support import CIPHER, apply, outbox_rows
from tests.responder.support import classified

pytestmark = pytest.mark.integration

QUIET_S = 3.0  # how long the relay stays silent; far longer than the timeouts below
TIMEOUT_S = 0.5


class _QuietRelay(SmtpServer):
    """Answers RCPT TO late (``quiet_rcpt``) or with a temporary refusal (``refuse_rcpt``)."""

    quiet_rcpt = False
    refuse_rcpt = False

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        """aiosmtpd hook for RCPT TO."""
        if self.refuse_rcpt:
            return "451 4.3.0 try again later"
        if self.quiet_rcpt:
            await asyncio.sleep(QUIET_S)
        envelope.rcpt_tos.append(address)
        return "250 OK"


def _sender(db: Database, relay: SmtpServer, clock: list[datetime]) -> OutboxSender:
    mail = MailSettings(
        smtp_host=relay.host,
        smtp_port=relay.port,
        smtp_connect_timeout_s=TIMEOUT_S,
        smtp_data_timeout_s=TIMEOUT_S,
    )
    transport = SmtpTransport(mail)
    return OutboxSender(
        db=db,
        transports={"email": transport},
        cipher=CIPHER,
        config=SenderConfig(backoff_s=10),
        clock=lambda: clock[0],
    )


async def test_a_relay_quiet_during_data_leaves_the_reply_unknown_and_never_resends(
    db: Database, smtp_server: SmtpServer
) -> None:
    await apply(db, classified())
    smtp_server.inject("hang", hang_s=QUIET_S)  # the relay takes the message, then says nothing
    clock = [datetime.now(UTC)]
    sender = _sender(db, smtp_server, clock)
    assert await sender.tick() == 1
    clock[0] += timedelta(hours=1)
    assert await sender.tick() == 0
    async with db.sessions() as session:
        (row,) = await outbox_rows(session)
    assert row.status == "unknown"
    assert "during DATA" in (row.last_error or "")
    assert len(smtp_server.messages) == 1  # it did arrive once, and only once


@pytest.mark.parametrize("fault", ["quiet", "refuse"])
async def test_a_relay_quiet_or_refusing_before_data_leaves_the_reply_due_for_a_retry(
    db: Database, fault: str
) -> None:
    await apply(db, classified())
    relay = _QuietRelay()
    relay.quiet_rcpt, relay.refuse_rcpt = fault == "quiet", fault == "refuse"
    await relay.start()
    try:
        clock = [datetime.now(UTC)]
        sender = _sender(db, relay, clock)
        assert await sender.tick() == 1
        async with db.sessions() as session:
            (row,) = await outbox_rows(session)
        assert row.status == "pending"
        assert row.not_before is not None
        assert relay.messages == []
        relay.quiet_rcpt = relay.refuse_rcpt = False
        clock[0] += timedelta(minutes=10)
        assert await sender.tick() == 1  # after its backoff it goes out, once
        async with db.sessions() as session:
            (row,) = await outbox_rows(session)
        assert row.status == "sent"
        assert len(relay.messages) == 1
    finally:
        await relay.stop()
