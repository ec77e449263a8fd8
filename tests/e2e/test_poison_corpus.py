"""A poison corpus through the running system, mixed with good input (issue 11, finding 2).

NUL in every string, fields one past their column, Message-IDs of 496-500 and over 512 characters, bad UTF-8,
deeply nested JSON, plus records on the event topic a buggy or older producer could have written. Every good
input becomes a ticket, every bad one becomes a ticket once cleaned or sits on the rejected or a dead-letter
topic with its reason, and the consumer groups' lag returns to 0: no partition stalls.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from complaints.devrun.feed import SES_SUBJECT
from services.responder.tables import OrderContextRow, Ticket
from shared.demo.envelopes import order_change_notification, ses_received_notification
from shared.demo.mails import RelayMail, relay_email
from shared.events import ComplaintSignalReceived, SignalKind, SignalSource, event_id_for, kafka_key
from shared.kafka.consumer import header
from shared.stack.aws import aws_client
from shared.topics import AMAZON_EVENTS, CLASSIFIED, INGEST_REJECTED, dlq
from tests.e2e.conftest import RunningSystem
from tests.shared.kafka.kafka_helpers import drain

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

SELLER_ADDRESS = "support@seller.example"
_serial = iter(range(1_000_000, 9_999_999))


def _order() -> str:
    return f"111-{next(_serial)}-{next(_serial)}"


def _mail(order_id: str, text: str = "My package never arrived, where is it?", **changes: Any) -> RelayMail:
    mail = RelayMail(
        language="en",
        alias=uuid.uuid4().hex[:15],
        order_id=order_id,
        text=text,
        message_id=f"<{uuid.uuid4().hex}@relay.amazon.example>",
        sent_at=datetime.now(UTC),
        seller_address=SELLER_ADDRESS,
        buyer_name="Pat Doe",
    )
    return replace(mail, **changes)


def _with_message_id(mail: RelayMail, length: int) -> RelayMail:
    local = "m" * (length - len("<@relay.amazon.example>"))
    return replace(mail, message_id=f"<{local}@relay.amazon.example>")


def _with_nul_attachment(raw: bytes) -> bytes:
    """The mail as multipart/mixed with an attachment whose RFC 2231 file name decodes to a NUL."""
    head, _, body = raw.partition(b"\n\n")
    lines = [line for line in head.split(b"\n") if not line.lower().startswith((b"content-", b"mime-"))]
    boundary = b"poison-boundary"
    part_headers = [line for line in head.split(b"\n") if line.lower().startswith(b"content-")]
    return b"\n".join(
        [
            *lines,
            b"MIME-Version: 1.0",
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"',
            b"",
            b"--" + boundary,
            *part_headers,
            b"",
            body,
            b"--" + boundary,
            b"Content-Type: application/pdf",
            b"Content-Disposition: attachment; filename*=utf-8''inv%00oice.pdf",
            b"Content-Transfer-Encoding: base64",
            b"",
            base64.b64encode(b"%PDF-1.4 not really"),
            b"--" + boundary + b"--",
            b"",
        ]
    )


def _with_nul_and_bad_utf8(raw: bytes) -> bytes:
    """NUL in an encoded-word Subject and display name, raw invalid UTF-8 in a header and the body."""
    out = []
    for line in raw.split(b"\n"):
        if line.startswith(b"Subject: "):
            out.append(line + b" =?utf-8?q?with=00nul?= \xff\xfe raw")
        elif line.startswith(b"From: "):
            out.append(b'From: "=?utf-8?q?Pat=00_Doe?= - Amazon Marketplace" ' + line.rpartition(b" ")[2])
        else:
            out.append(line)
    return b"\n".join(out).replace(b"never arrived", b"never \x00arrived \xc3\x28 \xed\xa0\x80")


async def _publish_mail(system: RunningSystem, raw: bytes) -> None:
    body = ses_received_notification(
        raw, recipient=SELLER_ADDRESS, received_at=datetime.now(UTC), base64_content=True
    )
    async with aws_client("sns", system.aws.endpoint_url, system.aws.region) as sns:
        await sns.publish(TopicArn=system.resources.ses_topic_arn, Message=body, Subject=SES_SUBJECT)


async def _send_sqs(system: RunningSystem, body: str) -> str:
    async with aws_client("sqs", system.aws.endpoint_url, system.aws.region) as sqs:
        response = await sqs.send_message(QueueUrl=system.resources.spapi_queue_url, MessageBody=body)
    return str(response["MessageId"])


def _signal_json(system: RunningSystem, order_id: str, dedup_key: str, **fields: Any) -> dict[str, Any]:
    event = ComplaintSignalReceived(
        event_id=event_id_for(dedup_key),
        occurred_at=datetime.now(UTC),
        seller_id=system.seller_id,
        marketplace_id="ATVPDKIKX0DER",
        order_id=order_id,
        dedup_key=dedup_key,
        correlation_id=uuid.uuid4().hex,
        source=SignalSource.EMAIL,
        kind=SignalKind.BUYER_MESSAGE,
        text="The parcel never arrived.",
    )
    doc: dict[str, Any] = json.loads(event.model_dump_json())
    doc.update(fields)
    return doc


@dataclass
class Corpus:
    ticket_orders: list[str]
    rejected_keys: list[str]
    dead_values: list[bytes]
    context_order: str


async def _feed(system: RunningSystem) -> Corpus:
    good = [_order() for _ in range(6)]
    corpus = Corpus(ticket_orders=[], rejected_keys=[], dead_values=[], context_order=good[0])
    for index, order in enumerate(good):
        await _publish_mail(system, relay_email(_mail(order)))
        corpus.ticket_orders.append(order)
        # poison between the good ones
        if index == 0:  # the reviewer's cases: NUL in an attachment name, Message-IDs 496-500 and > 512
            nul = _order()
            await _publish_mail(system, _with_nul_attachment(relay_email(_mail(nul))))
            corpus.ticket_orders.append(nul)
            for length in (496, 500, 620):
                order_m = _order()
                await _publish_mail(system, relay_email(_with_message_id(_mail(order_m), length)))
                corpus.ticket_orders.append(order_m)
        elif index == 1:  # NUL everywhere, bad UTF-8, an item line with a SKU and title past their columns
            for raw in (
                _with_nul_and_bad_utf8(relay_email(_mail(order_p := _order()))),
                relay_email(_mail(order_q := _order(), item="T" * 1500 + " | " + "S" * 70)),
            ):
                await _publish_mail(system, raw)
            corpus.ticket_orders += [order_p, order_q]
        elif index == 2:  # SQS bodies that cannot become events
            deep = "[" * 50_000 + "]" * 50_000
            too_long_seller = order_change_notification(
                seller_id="S" * 65,
                order_id=_order(),
                marketplace_id="ATVPDKIKX0DER",
                status="Shipped",
                event_time=datetime.now(UTC),
            )
            for body in (deep, "not json \x00 at all", too_long_seller):
                corpus.rejected_keys.append(await _send_sqs(system, body))
        elif index == 3:  # order context with optional fields past their columns and NUL in free text
            doc = json.loads(
                order_change_notification(
                    seller_id=system.seller_id,
                    order_id=corpus.context_order,
                    marketplace_id="ATVPDKIKX0DER",
                    status="Shipped",
                    event_time=datetime.now(UTC) - timedelta(days=3),
                    change_reason="changed\x00 by buyer",
                )
            )
            summary = doc["Payload"]["OrderChangeNotification"]["Summary"]
            summary["FulfillmentType"] = "MFN" * 3
            summary["OrderStatus"] = "Shipped" + "x" * 30
            await _send_sqs(system, json.dumps(doc))
        elif index == 4:  # records on the event topic from a buggy or older producer
            corpus.ticket_orders += await _publish_legacy(system, corpus)
    return corpus


async def _publish_legacy(system: RunningSystem, corpus: Corpus) -> list[str]:
    nul_order, key_order, dead_order = _order(), _order(), _order()
    records = [
        # JSON-escaped NUL in an attachment name and the text (JSONB refuses \u0000): cleaned, a ticket
        (nul_order, _signal_json(system, nul_order, f"legacy:{uuid.uuid4()}", attachments=["a\u0000.pdf"])),
        # a 500-character dedup key: "classified:" + key used to pass the 512 of the column
        (key_order, _signal_json(system, key_order, "email:" + "k" * 494 + uuid.uuid4().hex[:6])),
        # an ASIN past its column: refused by the contract, dead-lettered with the reason
        (dead_order, _signal_json(system, dead_order, f"legacy:{uuid.uuid4()}", asin="B" * 17)),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=system.kafka_bootstrap)
    await producer.start()
    try:
        for order, doc in records:
            value = json.dumps(doc).encode()
            await producer.send_and_wait(
                AMAZON_EVENTS, value, key=kafka_key(system.seller_id, order, doc["dedup_key"])
            )
            if order == dead_order:
                corpus.dead_values.append(value)
        garbage = b"\x00\xff not an event"
        await producer.send_and_wait(AMAZON_EVENTS, garbage, key=b"garbage")
        corpus.dead_values.append(garbage)
    finally:
        await producer.stop()
    return [nul_order, key_order]


async def _tickets(system: RunningSystem, orders: Sequence[str], *, within: float) -> set[str]:
    engine = create_async_engine(system.database_url)
    found: set[str] = set()
    try:
        async with asyncio.timeout(within):
            while True:
                async with engine.connect() as conn:
                    rows = await conn.execute(select(Ticket.order_id).where(Ticket.order_id.in_(orders)))
                found = {r[0] for r in rows if r[0] is not None}
                if found >= set(orders):
                    return found
                await asyncio.sleep(0.5)
    except TimeoutError:
        return found
    finally:
        await engine.dispose()


async def _lag(bootstrap: str, group: str, topics: Sequence[str]) -> dict[str, int]:
    """Records not yet committed by ``group``, per partition ("topic/partition" -> count)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(await _partitions(consumer, t))]
        assert partitions
        ends = await consumer.end_offsets(partitions)
        # The ends are read first: a record produced and committed meanwhile makes a negative difference.
        return {
            f"{tp.topic}/{tp.partition}": max(0, ends[tp] - ((await consumer.committed(tp)) or 0))
            for tp in partitions
        }
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer.topics()  # fetches the cluster metadata partitions_for_topic reads
    found: set[int] = set(consumer.partitions_for_topic(topic) or ())
    return found


async def test_poison_never_stalls_a_partition_and_is_kept_with_a_reason(
    running_system: RunningSystem,
) -> None:
    system = running_system
    corpus = await _feed(system)

    found = await _tickets(system, corpus.ticket_orders, within=120)
    assert sorted(set(corpus.ticket_orders) - found) == [], "inputs that never became tickets"

    rejected = await drain(system.kafka_bootstrap, [INGEST_REJECTED], expect=len(corpus.rejected_keys))
    by_key = {(r.key or b"").decode(): r for r in rejected}
    for key in corpus.rejected_keys:
        assert key in by_key, f"SQS message {key} is not on the rejected topic"
        assert header(by_key[key], "dlq.reason")
    assert "seller_id" in (header(by_key[corpus.rejected_keys[2]], "dlq.reason") or "")

    # each legacy poison record is dead-lettered by both consumer groups, with the reason
    dead: list[ConsumerRecord] = await drain(
        system.kafka_bootstrap, [dlq(AMAZON_EVENTS)], expect=2 * len(corpus.dead_values)
    )
    for value in corpus.dead_values:
        groups = {header(r, "dlq.group") for r in dead if r.value == value}
        assert groups == {"classifier", "responder"}
        assert all(header(r, "dlq.reason") for r in dead if r.value == value)
    assert await drain(system.kafka_bootstrap, [dlq(CLASSIFIED)], expect=0, within=1) == []

    engine = create_async_engine(system.database_url)
    try:
        async with engine.connect() as conn:
            context = (
                await conn.execute(
                    select(OrderContextRow.fulfillment_type, OrderContextRow.order_status).where(
                        OrderContextRow.order_id == corpus.context_order
                    )
                )
            ).all()
            names = (
                await conn.execute(
                    select(Ticket.last_message_id).where(Ticket.order_id.in_(corpus.ticket_orders))
                )
            ).scalars()
            assert all(name is None or len(name) <= 512 for name in names)
    finally:
        await engine.dispose()
    assert context == [(None, None)]  # the oversized optional fields were left out, the context kept

    lags: dict[str, dict[str, int]] = {}
    for _ in range(120):
        lags = {
            "classifier": await _lag(system.kafka_bootstrap, "classifier", [AMAZON_EVENTS]),
            "responder": await _lag(system.kafka_bootstrap, "responder", [AMAZON_EVENTS, CLASSIFIED]),
        }
        if not any(lag for group in lags.values() for lag in group.values()):
            break
        await asyncio.sleep(0.5)
    behind = {f"{g}:{tp}": n for g, group in lags.items() for tp, n in group.items() if n}
    assert not behind, f"consumer lag did not return to 0: {behind}"
