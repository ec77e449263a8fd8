"""The classifier service on the real broker and PostgreSQL: a Kafka event in, a classified event out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pydantic import SecretStr

from services.classifier.__main__ import run
from services.classifier.settings import ClassifierServiceSettings, ClassifierSettings
from shared.crypto import PiiCipher
from shared.decoding import decode_classified
from shared.demo.signals import complaint_signal
from shared.events import (
    ComplaintClassified,
    ComplaintSignalReceived,
    OrderContextUpdated,
    SignalKind,
    SignalSource,
    event_id_for,
)
from shared.health import HealthState
from shared.kafka.codec import EventCodec
from shared.kafka.consumer import header
from shared.kafka.producer import EventProducer
from shared.settings import DatabaseSettings, KafkaSettings, PiiSettings
from shared.stack.kafka import kafka_broker
from shared.topics import ALL_TOPICS, AMAZON_EVENTS, CLASSIFIED, dlq

pytestmark = pytest.mark.integration

SELLER = "A2CLASSIFIERTEST"
PII_KEY = "classifier-runtime-pii-key"
CODEC = EventCodec(PiiCipher(PII_KEY))


@pytest_asyncio.fixture
async def service(migrated_db: str) -> AsyncIterator[str]:
    """A running classifier on its own broker; yields the bootstrap address."""
    async with kafka_broker(topics=ALL_TOPICS, environ={}) as broker:
        settings = ClassifierServiceSettings(
            kafka=KafkaSettings(
                bootstrap_servers=broker.bootstrap_servers, session_timeout_ms=2000, heartbeat_interval_ms=300
            ),
            database=DatabaseSettings(url=SecretStr(migrated_db)),
            classifier=ClassifierSettings(buyer_hash_salt=SecretStr("test-salt")),
            pii=PiiSettings(encryption_key=SecretStr(PII_KEY)),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(run(settings, stop, HealthState()))
        try:
            yield broker.bootstrap_servers
        finally:
            stop.set()
            await task


def _signal(
    order: str, text: str, *, kind: SignalKind = SignalKind.BUYER_MESSAGE, alias: str = "b1"
) -> ComplaintSignalReceived:
    return complaint_signal(
        seller_id=SELLER,
        order_id=order,
        text=text,
        buyer_alias=f"{alias}@marketplace.amazon.com",
        kind=kind,
        language_hint="en",
    )


async def _records(bootstrap: str, topic: str, count: int) -> list[ConsumerRecord]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    out: list[ConsumerRecord] = []
    try:
        async with asyncio.timeout(60):
            while len(out) < count:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    out.extend(records)
    finally:
        await consumer.stop()
    return out


async def _outputs(bootstrap: str, count: int) -> list[ComplaintClassified]:
    records = await _records(bootstrap, CLASSIFIED, count)
    return [decode_classified(r.value, codec=CODEC) for r in records]


async def _publish(bootstrap: str, events: list[OrderContextUpdated | ComplaintSignalReceived]) -> None:
    producer = EventProducer(KafkaSettings(bootstrap_servers=bootstrap), codec=CODEC)
    await producer.start()
    try:
        await producer.publish_many(AMAZON_EVENTS, events)
    finally:
        await producer.stop()


async def test_signal_on_kafka_becomes_one_classified_event_with_reasons(service: str) -> None:
    context = OrderContextUpdated(
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC) - timedelta(days=3),
        seller_id=SELLER,
        marketplace_id="ATVPDKIKX0DER",
        order_id="111-0000001-0000001",
        dedup_key=f"ctx:{uuid.uuid4().hex}",
        correlation_id="c",
        source=SignalSource.SQS,
        notification_type="ORDER_CHANGE",
        order_status="Shipped",
        latest_delivery_date=datetime.now(UTC) - timedelta(days=2),
    )
    first = _signal("111-0000001-0000001", "My package never arrived and the delivery date has passed.")
    again = _signal("111-0000001-0000001", "Still nothing arrived, where is my parcel?")
    a_to_z = _signal("111-0000002-0000002", "", kind=SignalKind.A_TO_Z_CLAIM, alias="b2")
    await _publish(service, [context, first, first, again, a_to_z])  # first twice: redelivery

    raw = [r.value or b"" for r in await _records(service, CLASSIFIED, 3)]
    assert not [v for v in raw if b"never arrived" in v or b"b1@marketplace" in v], "PII in clear on Kafka"
    outputs = await _outputs(service, 3)
    by_signal = {o.signal.event_id: o for o in outputs}
    assert len(outputs) == 3
    assert set(by_signal) == {first.event_id, again.event_id, a_to_z.event_id}
    out = by_signal[first.event_id]
    assert out.category == "not_received"
    assert out.reasons, "every decision says why"
    assert out.due_at is not None
    assert out.buyer_hash is not None
    assert "b1" not in out.buyer_hash  # salted hash, not the alias
    assert out.event_id == event_id_for(f"classified:{first.dedup_key}")
    claim = by_signal[a_to_z.event_id]
    assert claim.priority.value == "P1"
    assert claim.auto_reply is False
    assert claim.due_at is not None
    assert claim.due_at - a_to_z.occurred_at == timedelta(hours=72)


async def test_a_signal_sealed_with_another_key_is_dead_lettered_and_the_next_one_classified(
    service: str,
) -> None:
    foreign = _signal("111-0000003-0000003", "My package never arrived.")
    good = _signal("111-0000004-0000004", "The parcel never arrived, please help.", alias="b4")
    producer = EventProducer(
        KafkaSettings(bootstrap_servers=service), codec=EventCodec(PiiCipher("a-key-this-system-never-had"))
    )
    await producer.start()
    try:
        await producer.publish(AMAZON_EVENTS, foreign)
    finally:
        await producer.stop()
    await _publish(service, [good])

    outputs = await _outputs(service, 1)
    assert [o.signal.event_id for o in outputs] == [good.event_id]
    dead = await _records(service, dlq(AMAZON_EVENTS), 1)
    assert len(dead) == 1
    assert "PII key ring" in (header(dead[0], "dlq.reason") or "")
    assert header(dead[0], "dlq.error") == "PermanentError:pii_seal"
    assert header(dead[0], "event_id") == str(foreign.event_id)
    assert b"never arrived" not in (dead[0].value or b"")  # the DLQ keeps the sealed wire value
