"""The walking skeleton on real parts: SES/SNS/SQS -> ingest -> Kafka -> classifier -> responder -> SMTP."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from services.responder.tables import OrderContextRow, OutboxMessage, Ticket
from shared.demo.envelopes import order_change_notification, ses_received_notification
from shared.demo.mails import RelayMail, relay_email
from shared.devrun.feed import SES_SUBJECT
from shared.stack.aws import aws_client
from shared.stack.smtp import SmtpServer
from tests.e2e.conftest import RunningSystem

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

SELLER_ADDRESS = "support@seller.example"


_SENT: list[RelayMail] = []  # every buyer message of this module, for the PII-in-logs check


def _mail(order_id: str, text: str, *, language: str = "en") -> RelayMail:
    alias = uuid.uuid4().hex[:15]
    mail = RelayMail(
        language=language,
        alias=alias,
        order_id=order_id,
        text=text,
        message_id=f"<{uuid.uuid4().hex}@relay.amazon.example>",
        sent_at=datetime.now(UTC),
        seller_address=SELLER_ADDRESS,
        buyer_name="Jane Doelittle",
    )
    _SENT.append(mail)
    return mail


async def _publish_mail(system: RunningSystem, mail: RelayMail, *, times: int = 1) -> None:
    body = ses_received_notification(
        relay_email(mail), recipient=SELLER_ADDRESS, received_at=mail.sent_at, base64_content=False
    )
    async with aws_client("sns", system.aws.endpoint_url, system.aws.region) as sns:
        for _ in range(times):
            await sns.publish(TopicArn=system.resources.ses_topic_arn, Message=body, Subject=SES_SUBJECT)


async def _eventually(
    query: object, system: RunningSystem, *, predicate: object, within: float = 45.0
) -> object:
    engine = create_async_engine(system.database_url)
    try:
        async with asyncio.timeout(within):
            while True:
                async with engine.connect() as conn:
                    value = (await conn.execute(query)).all()  # type: ignore[call-overload]
                if predicate(value):  # type: ignore[operator]
                    return value
                await asyncio.sleep(0.3)
    finally:
        await engine.dispose()


async def test_buyer_email_becomes_ticket_and_one_templated_reply(
    running_system: RunningSystem, smtp_server: SmtpServer
) -> None:
    order = "123-1234567-1234567"
    mail = _mail(order, "Hello, my package never arrived. Where is it?")
    await _publish_mail(running_system, mail)

    received = await smtp_server.wait_for(1, timeout=60)
    reply = received[0]
    alias = f"{mail.alias}@marketplace.amazon.com"
    assert reply.rcpt_tos == (alias,)
    assert reply.message["In-Reply-To"] == mail.message_id
    assert str(reply.message["Subject"]).startswith("Re: ")
    assert order in reply.message.get_content()

    rows = await _eventually(
        select(Ticket.order_id, Ticket.category, Ticket.status).where(Ticket.order_id == order),
        running_system,
        predicate=lambda r: bool(r) and r[0][2] == "replied",
    )
    assert rows == [(order, "not_received", "replied")]


async def test_order_change_is_kept_as_context_the_ticket_shows(
    running_system: RunningSystem, smtp_server: SmtpServer
) -> None:
    order = "302-7654321-7654321"
    latest = datetime.now(UTC) - timedelta(days=1)
    notification = order_change_notification(
        seller_id=running_system.seller_id,
        order_id=order,
        marketplace_id="ATVPDKIKX0DER",
        status="Shipped",
        event_time=datetime.now(UTC) - timedelta(days=5),
        latest_delivery=latest,
    )
    async with aws_client("sqs", running_system.aws.endpoint_url, running_system.aws.region) as sqs:
        await sqs.send_message(QueueUrl=running_system.resources.spapi_queue_url, MessageBody=notification)
    rows = await _eventually(
        select(OrderContextRow.order_status, OrderContextRow.latest_delivery_date).where(
            OrderContextRow.order_id == order
        ),
        running_system,
        predicate=bool,
    )
    status, delivery = rows[0]  # type: ignore[index]
    assert status == "Shipped"
    assert abs(delivery - latest) < timedelta(seconds=1)

    await _publish_mail(running_system, _mail(order, "Still nothing delivered, the date has passed."))
    tickets = await _eventually(
        select(Ticket.id).where(Ticket.order_id == order), running_system, predicate=bool
    )
    assert len(tickets) == 1  # type: ignore[arg-type]


async def test_same_message_delivered_twice_gives_one_ticket_and_one_reply(
    running_system: RunningSystem, smtp_server: SmtpServer
) -> None:
    order = "404-1111111-2222222"
    mail = _mail(order, "My parcel never arrived, please help.")
    await _publish_mail(running_system, mail, times=2)
    await smtp_server.wait_for(1, timeout=60)
    await asyncio.sleep(3)  # room for a wrong second reply to show up
    replies = [m for m in smtp_server.messages if m.message["In-Reply-To"] == mail.message_id]
    assert len(replies) == 1
    counts = await _eventually(
        select(func.count(Ticket.id), func.count(func.distinct(OutboxMessage.id)))
        .select_from(Ticket)
        .join(OutboxMessage, OutboxMessage.ticket_id == Ticket.id)
        .where(Ticket.order_id == order),
        running_system,
        predicate=bool,
    )
    assert counts == [(1, 1)]


async def test_no_buyer_pii_in_any_service_log(running_system: RunningSystem) -> None:
    assert _SENT, "runs after the tests above, which sent buyer messages"
    logs = {p.name: p.read_text(encoding="utf-8") for p in running_system.processes.log_dir.glob("*.log")}
    assert {"ingest.log", "classifier.log", "responder.log"} <= set(logs)
    for mail in _SENT:
        for name, text in logs.items():
            assert mail.alias not in text, f"buyer alias in {name}"
            assert mail.buyer_name not in text, f"buyer name in {name}"
            assert mail.text[:30] not in text, f"message text in {name}"
