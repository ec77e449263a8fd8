"""The walking skeleton on real parts: SES/SNS/SQS -> ingest -> Kafka -> classifier -> responder -> SMTP."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from complaints.devrun.feed import SES_SUBJECT
from complaints.trace import follow, trace_ids
from services.responder.outbox.repository import ticket_traceparents
from services.responder.tables import OrderContextRow, OutboxMessage, Ticket, TicketEvent
from shared.crypto import PiiCipher
from shared.demo.envelopes import order_change_notification, ses_received_notification
from shared.demo.mails import FRAMES, RelayMail, relay_email
from shared.kafka.codec import SEALED_HEADER, SEALED_RAW, EventCodec
from shared.stack.aws import aws_client
from shared.stack.smtp import SmtpServer
from shared.topics import AMAZON_EVENTS, CLASSIFIED, INGEST_REJECTED
from tests.e2e.conftest import RunningSystem
from tests.ingest.kafka_read import header, read_all
from tests.plugins.otlp import OtlpReceiver, ReceivedSpan

# traced: the services export their spans to the session's loopback OTLP receiver (the trace tests below).
pytestmark = [pytest.mark.e2e, pytest.mark.traced, pytest.mark.asyncio(loop_scope="session")]

SELLER_ADDRESS = "support@seller.example"


_SENT: list[RelayMail] = []  # every buyer message of this module, for the PII-in-logs check


def _mail(order_id: str, text: str, *, language: str = "en", buyer_name: str = "Jane Doelittle") -> RelayMail:
    alias = uuid.uuid4().hex[:15]
    mail = RelayMail(
        language=language,
        alias=alias,
        order_id=order_id,
        text=text,
        message_id=f"<{uuid.uuid4().hex}@relay.amazon.example>",
        sent_at=datetime.now(UTC),
        seller_address=SELLER_ADDRESS,
        buyer_name=buyer_name,
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


def _is_ancestor(spans: list[ReceivedSpan], older: ReceivedSpan, younger: ReceivedSpan) -> bool:
    by_id = {s.span_id: s for s in spans}
    current: ReceivedSpan | None = younger
    while current is not None:
        if current.parent_span_id == older.span_id:
            return True
        current = by_id.get(current.parent_span_id)
    return False


async def test_one_complaint_is_one_trace_from_ingest_to_the_send(
    running_system: RunningSystem, smtp_server: SmtpServer, otlp_receiver: OtlpReceiver
) -> None:
    order = "606-2718281-8284590"
    mail = _mail(order, "The kettle I ordered never arrived, where is it?", buyer_name="Philippa Quernsby")
    await _publish_mail(running_system, mail)
    await smtp_server.wait_for(1, timeout=60, predicate=lambda m: m.message["In-Reply-To"] == mail.message_id)
    rows = await _eventually(
        select(Ticket.id).where(Ticket.order_id == order), running_system, predicate=bool
    )
    ticket_id = str(rows[0][0])  # type: ignore[index]

    def sent(spans: list[ReceivedSpan]) -> bool:
        return any(s.name == "outbox send" and s.attributes.get("ticket.id") == ticket_id for s in spans)

    await otlp_receiver.wait_for(sent)
    send = next(
        s for s in otlp_receiver.spans if s.name == "outbox send" and s.attributes["ticket.id"] == ticket_id
    )
    spans = otlp_receiver.trace(send.trace_id)

    def first(service: str, name: str) -> ReceivedSpan:
        found = [s for s in spans if s.service == f"complaints-{service}" and s.name == name]
        assert found, (service, name, sorted({(s.service, s.name) for s in spans}))
        return found[0]

    ingest = first("ingest", "ingest")
    assert ingest.parent_span_id == ""  # the root: one trace per inbound message
    chain = [
        ingest,
        first("classifier", f"{AMAZON_EVENTS} process"),
        first("responder", f"{CLASSIFIED} process"),
        send,
    ]
    assert [s.start_ns for s in chain] == sorted(s.start_ns for s in chain)
    for older, younger in itertools.pairwise(chain):
        assert _is_ancestor(spans, older, younger), (older.name, younger.name)
    assert send.attributes["outbox.outcome"] == "sent"
    # The trace id is the correlation id of the log lines written under its spans; the ticket's outbox row
    # names the trace (what `complaints trace <ticket id>` follows).
    engine = create_async_engine(running_system.database_url)
    try:
        async with AsyncSession(engine) as session:
            parents = await ticket_traceparents(session, ticket_id=uuid.UUID(ticket_id))
    finally:
        await engine.dispose()
    assert trace_ids(parents) == [send.trace_id]
    steps = [
        (service, line["event"], line.get("topic"))
        for service, line in follow(running_system.processes.log_dir, [send.trace_id])
    ]
    journey = [
        ("ingest", "journey.ingested", None),
        ("classifier", "journey.consumed", AMAZON_EVENTS),
        ("responder", "journey.consumed", CLASSIFIED),
        ("responder", "sender.outcome", None),
    ]
    assert [step for step in steps if step in journey] == journey, steps


async def test_no_buyer_pii_in_any_service_log(running_system: RunningSystem) -> None:
    assert _SENT, "runs after the tests above, which sent buyer messages"
    logs = {p.name: p.read_text(encoding="utf-8") for p in running_system.processes.log_dir.glob("*.log")}
    assert {"ingest.log", "classifier.log", "responder.log"} <= set(logs)
    for mail in _SENT:
        for name, text in logs.items():
            assert mail.alias not in text, f"buyer alias in {name}"
            assert mail.buyer_name not in text, f"buyer name in {name}"
            assert mail.text[:30] not in text, f"message text in {name}"


async def _every_record(bootstrap: str) -> dict[str, list[ConsumerRecord]]:
    """Every record of every topic on the system's broker."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        names = sorted(name for name in await consumer.topics() if not name.startswith("__"))
    finally:
        await consumer.stop()
    return {name: await read_all(bootstrap, name) for name in names}


async def test_no_buyer_pii_in_clear_on_any_topic(
    running_system: RunningSystem, smtp_server: SmtpServer
) -> None:
    order = "505-3141592-6535897"
    mail = _mail(
        order,
        "The blender I ordered arrived cracked and leaks everywhere.",
        buyer_name="Ottoline Fairweather-Quist",
    )
    await _publish_mail(running_system, mail)
    # An input ingest cannot parse, full of PII: it is kept on the rejected topic, sealed.
    broken = f'{{"Type": "Notification", "Message": "{mail.alias} {mail.buyer_name} {mail.text}'
    async with aws_client("sqs", running_system.aws.endpoint_url, running_system.aws.region) as sqs:
        await sqs.send_message(QueueUrl=running_system.resources.ses_queue_url, MessageBody=broken)

    await _eventually(  # the responder answered this mail: the whole pipeline ran
        select(Ticket.status).where(Ticket.order_id == order),
        running_system,
        predicate=lambda r: bool(r) and r[0][0] == "replied",
        within=60,
    )
    cipher = PiiCipher(running_system.processes.env["RESPONDER_PII_ENCRYPTION_KEY"])
    rows = await _eventually(
        select(TicketEvent.pii_enc)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(Ticket.order_id == order, TicketEvent.kind == "signal"),
        running_system,
        predicate=bool,
    )
    stored = cipher.decrypt_json(rows[0][0])  # type: ignore[index]
    assert isinstance(stored, dict)
    assert stored["text"] == mail.text  # the ticket got the buyer's words through the sealed envelope

    codec = EventCodec(cipher)
    async with asyncio.timeout(30):
        while True:
            records = await _every_record(running_system.kafka_bootstrap)
            if records.get(INGEST_REJECTED):
                break
            await asyncio.sleep(0.5)
    rejected = [r for r in records[INGEST_REJECTED] if codec.unseal_raw(r.value) == broken.encode()]
    assert len(rejected) == 1
    assert header(rejected[0], SEALED_HEADER) == SEALED_RAW.decode()
    assert header(rejected[0], "dlq.reason")
    assert {AMAZON_EVENTS, CLASSIFIED} <= {name for name, found in records.items() if found}

    secrets = {
        "alias": [m.alias for m in _SENT],
        "name": [m.buyer_name for m in _SENT] + [n for m in _SENT for n in m.buyer_name.split()],
        "text": [m.text for m in _SENT] + [m.text[:20] for m in _SENT],
        "subject": [FRAMES[m.language].subject.format(name=m.buyer_name, order=m.order_id) for m in _SENT],
    }
    for topic, found in records.items():
        for record in found:
            parts = [record.key or b"", record.value or b""]
            parts += [
                bytes(name.encode()) + b"=" + bytes(value or b"") for name, value in record.headers or ()
            ]
            blob = b"\n".join(parts).lower()
            for what, values in secrets.items():
                for value in values:
                    assert value.lower().encode() not in blob, f"buyer {what} in clear on {topic}"


async def test_no_buyer_pii_in_any_span(running_system: RunningSystem, otlp_receiver: OtlpReceiver) -> None:
    assert _SENT, "runs after the tests above, which sent buyer messages"
    assert otlp_receiver.spans
    values = (
        [m.alias for m in _SENT] + [m.text[:20] for m in _SENT] + [m.message_id.strip("<>") for m in _SENT]
    )
    values += [n for m in _SENT for n in m.buyer_name.split()]
    leaks = [
        (span.service, span.name, value)
        for span in otlp_receiver.spans
        for text in span.texts
        for value in values
        if value.lower() in text.lower()
    ]
    assert leaks == []
