"""On the real stack: a notification delivered 3 times plus the same e-mail twice -> one ticket, one reply."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from complaints.devrun.feed import SES_SUBJECT
from services.responder.tables import OrderContextRow, OutboxMessage, Ticket, TicketEvent
from shared.db.session import Database
from shared.demo.envelopes import order_change_notification, ses_received_notification
from shared.demo.mails import RelayMail, relay_email
from shared.settings import DatabaseSettings
from shared.stack.aws import aws_client
from shared.stack.smtp import SmtpServer
from tests.responder.conftest import ResponderSystem
from tests.responder.exactly_once_support import eventually, new_order_id

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

SELLER_ADDRESS = "support@seller.example"


async def _counts(db: Database, order: str) -> tuple[int, int, int, int]:
    """Tickets, outbox rows, context timeline entries and order-context rows of one order."""
    async with db.sessions() as session:
        tickets = await session.scalar(select(func.count()).where(Ticket.order_id == order))
        replies = await session.scalar(select(func.count()).where(OutboxMessage.order_id == order))
        context = await session.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.order_id == order, TicketEvent.kind == "context")
        )
        orders = await session.scalar(select(func.count()).where(OrderContextRow.order_id == order))
    return int(tickets or 0), int(replies or 0), int(context or 0), int(orders or 0)


async def test_three_notification_and_two_mail_deliveries_give_one_ticket_and_one_reply(
    responder_system: ResponderSystem, smtp_server: SmtpServer
) -> None:
    system = responder_system
    order = new_order_id()
    mail = RelayMail(
        language="en",
        alias=uuid.uuid4().hex[:15],
        buyer_name="Jane",
        order_id=order,
        text="My parcel never arrived, the delivery date has passed. Please help.",
        message_id=f"<{uuid.uuid4().hex}@relay.amazon.example>",
        sent_at=datetime.now(UTC),
        seller_address=SELLER_ADDRESS,
    )
    ses_body = ses_received_notification(
        relay_email(mail), recipient=SELLER_ADDRESS, received_at=mail.sent_at, base64_content=False
    )
    notification = order_change_notification(
        seller_id=system.seller_id,
        order_id=order,
        marketplace_id="ATVPDKIKX0DER",
        status="Shipped",
        event_time=datetime.now(UTC) - timedelta(days=6),
        latest_delivery=datetime.now(UTC) - timedelta(days=2),
        notification_id=str(uuid.uuid4()),  # one notification, delivered three times
    )
    db = Database(DatabaseSettings(url=SecretStr(system.database_url)))
    try:
        async with aws_client("sns", system.aws.endpoint_url, system.aws.region) as sns:
            for _ in range(2):
                await sns.publish(
                    TopicArn=system.aws.resources.ses_topic_arn, Message=ses_body, Subject=SES_SUBJECT
                )
        await smtp_server.wait_for(1, timeout=60)
        await eventually(lambda: _counts(db, order), until=lambda c: c[:2] == (1, 1), within=30)

        async with aws_client("sqs", system.aws.endpoint_url, system.aws.region) as sqs:
            for _ in range(3):
                await sqs.send_message(
                    QueueUrl=system.aws.resources.spapi_queue_url, MessageBody=notification
                )
        await eventually(lambda: _counts(db, order), until=lambda c: c[2] >= 1, within=30)
        await asyncio.sleep(3)  # room for a wrong second ticket, reply or context entry to show up

        assert await _counts(db, order) == (1, 1, 1, 1)
        replies = [m for m in smtp_server.messages if m.message["In-Reply-To"] == mail.message_id]
        assert len(replies) == 1
        assert order in replies[0].message.get_content()
    finally:
        await db.dispose()
