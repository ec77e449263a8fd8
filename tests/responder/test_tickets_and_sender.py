"""Tickets, outbox and sender on the real PostgreSQL and the loopback SMTP server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import select

from services.responder.handlers import ResponderDeps, handle_complaints
from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports import OutboundMessage, OutcomeUnknown
from services.responder.outbox.transports.ses import SesTransport
from services.responder.outbox.transports.smtp import SmtpTransport
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import MailSettings, ResponderSettings
from services.responder.tables import OutboxMessage, Ticket, TicketEvent
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.errors import PermanentError, RetryableError
from shared.events import ComplaintClassified
from shared.settings import AwsSettings, DatabaseSettings
from shared.stack.aws import AwsEnvironment, aws_client
from shared.stack.smtp import SmtpServer
from tests.responder.support import classified

pytestmark = pytest.mark.integration

CIPHER = PiiCipher("test-key")


@pytest_asyncio.fixture
async def db(migrated_db: str) -> AsyncIterator[Database]:
    from pydantic import SecretStr

    database = Database(DatabaseSettings(url=SecretStr(migrated_db)))
    yield database
    await database.dispose()


def _deps(**responder: object) -> ResponderDeps:
    settings = ResponderSettings(**responder)  # type: ignore[arg-type]
    return ResponderDeps(cipher=CIPHER, composer=ReplyComposer(responder=settings))


async def _apply(db: Database, event: ComplaintClassified, deps: ResponderDeps | None = None) -> None:
    async with unit_of_work(db) as session:
        await handle_complaints([event], session=session, deps=deps or _deps(), now=datetime.now(UTC))


async def test_classified_complaint_opens_ticket_and_queues_one_linted_reply(db: Database) -> None:
    event = classified()
    await _apply(db, event)
    async with db.sessions() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        outbox = (await session.execute(select(OutboxMessage))).scalar_one()
        kinds = [e.kind for e in (await session.execute(select(TicketEvent))).scalars()]
    assert ticket.category == "not_received"
    assert ticket.status == "awaiting_reply"
    assert ticket.due_at == event.due_at
    assert outbox.status == "pending"
    assert outbox.lint == []
    assert CIPHER.decrypt(outbox.to_enc) == event.signal.reply_to
    body = CIPHER.decrypt(outbox.body_enc) or ""
    assert event.order_id is not None
    assert event.order_id in body
    assert outbox.mail_headers["In-Reply-To"] == event.signal.message_id
    assert kinds == ["signal", "classification", "reply_queued"]


async def test_a_second_message_in_the_thread_joins_the_ticket_and_restarts_the_clock(db: Database) -> None:
    first = classified()
    await _apply(db, first)
    second = classified(order_id=first.order_id or "", text="Any news? Still nothing.")
    await _apply(db, second)
    async with db.sessions() as session:
        tickets = (await session.execute(select(Ticket))).scalars().all()
        replies = (await session.execute(select(OutboxMessage))).scalars().all()
    assert len(tickets) == 1
    assert tickets[0].message_count == 2
    assert tickets[0].due_at == second.due_at
    assert len(replies) == 1  # same thread + same template version: the buyer gets one auto reply


async def test_low_confidence_is_escalated_with_a_draft_not_sent(db: Database) -> None:
    await _apply(db, classified(auto_reply=False))
    async with db.sessions() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        outbox = (await session.execute(select(OutboxMessage))).scalar_one()
    assert ticket.status == "escalated"
    assert outbox.status == "draft"
    assert CIPHER.decrypt(outbox.body_enc)


async def test_sender_delivers_once_and_records_it(db: Database, smtp_server: SmtpServer) -> None:
    event = classified()
    await _apply(db, event)
    transport = SmtpTransport(MailSettings(smtp_host=smtp_server.host, smtp_port=smtp_server.port))
    sender = OutboxSender(db=db, transports={"email": transport}, cipher=CIPHER, config=SenderConfig())
    assert await sender.tick() == 1
    assert await sender.tick() == 0
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == (event.signal.reply_to,)
    assert mail.message["In-Reply-To"] == event.signal.message_id
    async with db.sessions() as session:
        row = (await session.execute(select(OutboxMessage))).scalar_one()
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert row.status == "sent"
    assert ticket.status == "replied"
    assert ticket.first_response_at is not None


class _Flaky:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    async def send(self, message: OutboundMessage) -> None:
        self.calls += 1
        raise self.error


async def test_outcome_unknown_is_never_resent(db: Database) -> None:
    await _apply(db, classified())
    flaky = _Flaky(OutcomeUnknown("connection dropped during DATA"))
    sender = OutboxSender(db=db, transports={"email": flaky}, cipher=CIPHER, config=SenderConfig())
    await sender.tick()
    await sender.tick()
    assert flaky.calls == 1
    async with db.sessions() as session:
        row = (await session.execute(select(OutboxMessage))).scalar_one()
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert row.status == "unknown"
    assert ticket.status == "escalated"


async def test_safe_failure_is_retried_later(db: Database) -> None:
    await _apply(db, classified())
    flaky = _Flaky(RetryableError("connection refused"))
    clock = [datetime.now(UTC)]
    sender = OutboxSender(
        db=db,
        transports={"email": flaky},
        cipher=CIPHER,
        config=SenderConfig(backoff_s=10),
        clock=lambda: clock[0],
    )
    await sender.tick()
    assert await sender.tick() == 0  # not before its backoff
    clock[0] += timedelta(minutes=10)
    await sender.tick()
    assert flaky.calls == 2


async def test_a_crash_mid_send_leaves_unknown_after_the_lease(db: Database) -> None:
    await _apply(db, classified())
    async with unit_of_work(db) as session:
        from services.responder.outbox.repository import claim_due

        claimed = await claim_due(session, now=datetime.now(UTC), limit=10, per_seller=10, exclude=())
        assert len(claimed) == 1  # ...and the process dies here, before sending or recording
    flaky = _Flaky(AssertionError("must not be called"))
    later = datetime.now(UTC) + timedelta(minutes=5)
    sender = OutboxSender(
        db=db,
        transports={"email": flaky},
        cipher=CIPHER,
        config=SenderConfig(lease=timedelta(minutes=2)),
        clock=lambda: later,
    )
    assert await sender.tick() == 0
    assert flaky.calls == 0
    async with db.sessions() as session:
        row = (await session.execute(select(OutboxMessage))).scalar_one()
    assert row.status == "unknown"


def _email(
    body: str,
    *,
    to: str,
    subject: str,
    marketplace_id: str,
    language: str,
    order_id: str = "123-1234567-1234567",
) -> OutboundMessage:
    """A decrypted e-mail reply as the sender hands it to a transport."""
    return OutboundMessage(
        outbox_id=str(uuid.uuid4()),
        seller_id="S",
        marketplace_id=marketplace_id,
        order_id=order_id,
        channel="email",
        action=None,
        buyer_alias=to,
        subject=subject,
        body=body,
        language=language,
    )


async def test_smtp_transport_sends_long_multilingual_text_intact(smtp_server: SmtpServer) -> None:
    body = "お届けが遅れており申し訳ございません。注文番号 123-1234567-1234567 — Lieferung verzögert. " * 40
    transport = SmtpTransport(MailSettings(smtp_host=smtp_server.host, smtp_port=smtp_server.port))
    await transport.send(
        _email(
            body,
            to="abc123@marketplace.amazon.co.jp",
            subject="Re: 配送について",
            marketplace_id="A1VC38T7YXB528",
            language="ja",
        )
    )
    (mail,) = smtp_server.messages
    assert mail.message.get_content().strip() == body.strip()
    assert str(mail.message["Subject"]) == "Re: 配送について"


def _ses(aws: AwsEnvironment, *, sender: str) -> SesTransport:
    """An SES transport pointed at the session's moto server."""
    settings = AwsSettings(
        endpoint_url=aws.endpoint_url,
        access_key_id=SecretStr(aws.access_key_id),
        secret_access_key=SecretStr(aws.secret_access_key),
    )
    return SesTransport(MailSettings(transport="ses", default_sender=sender), settings)


async def test_ses_transport_sends_raw_email_through_moto(aws: AwsEnvironment) -> None:
    transport = _ses(aws, sender=aws.resources.ses_sender)
    async with aws_client("ses", aws.endpoint_url, aws.region) as ses:
        before = sum(p["DeliveryAttempts"] for p in (await ses.get_send_statistics())["SendDataPoints"])
        await transport.send(
            _email(
                "Ihre Bestellung 302-1234567-1234567 wird heute erneut versandt.",
                to="abc123@marketplace.amazon.de",
                subject="Re: Lieferung",
                marketplace_id="A1PA6795UKMFR9",
                order_id="302-1234567-1234567",
                language="de",
            )
        )
        after = sum(p["DeliveryAttempts"] for p in (await ses.get_send_statistics())["SendDataPoints"])
    # moto counts a raw message once per envelope destination and once per To/Cc header address:
    # one message to one buyer counts 2 (0 if nothing went out, 4 if it went out twice)
    assert after - before == 2


async def test_ses_transport_refuses_an_unverified_sender(aws: AwsEnvironment) -> None:
    from pydantic import SecretStr

    from services.responder.outbox.transports.ses import SesTransport
    from shared.settings import AwsSettings

    settings = AwsSettings(
        endpoint_url=aws.endpoint_url,
        access_key_id=SecretStr(aws.access_key_id),
        secret_access_key=SecretStr(aws.secret_access_key),
    )
    transport = SesTransport(
        MailSettings(transport="ses", default_sender="nobody@unverified.example"), settings
    )
    message = _email(
        "Your order 111-1234567-1234567 ships again today.",
        to="abc123@marketplace.amazon.com",
        subject="Re: delivery",
        marketplace_id="ATVPDKIKX0DER",
        order_id="111-1234567-1234567",
        language="en",
    )
    with pytest.raises(PermanentError):
        await transport.send(message)


async def test_a_seller_override_from_settings_is_used_and_a_bad_one_is_not(db: Database) -> None:
    good = "Hello, about order {{ order_id }}: we are tracing it with the carrier today. {{ seller_name }}"
    await _apply(
        db,
        classified(seller_id="A2OVERRIDE"),
        _deps(template_overrides={"A2OVERRIDE": {"email/not_received/en": good}}),
    )
    bad = "Order {{ order_id }}: visit www.example.com for 20% off! {{ seller_name }}"
    await _apply(
        db,
        classified(seller_id="A2BADOVERRIDE", order_id="222-1234567-1234567"),
        _deps(template_overrides={"A2BADOVERRIDE": {"email/not_received/en": bad}}),
    )
    async with db.sessions() as session:
        rows = {r.seller_id: r for r in (await session.execute(select(OutboxMessage))).scalars()}
    assert "tracing it with the carrier" in (CIPHER.decrypt(rows["A2OVERRIDE"].body_enc) or "")
    assert (rows["A2OVERRIDE"].template_version or "").startswith("override-")
    fallback = CIPHER.decrypt(rows["A2BADOVERRIDE"].body_enc) or ""
    assert "www.example.com" not in fallback  # the linter rejected the override; the repo template went out
    assert rows["A2BADOVERRIDE"].status == "pending"
