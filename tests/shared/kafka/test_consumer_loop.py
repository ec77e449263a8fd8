"""The shared consumer loop on the real broker: commits, retries, dead letters, orderly stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.errors import RetryableError, ValidationError
from shared.kafka.consumer import ConsumerLoop, Record, header
from shared.kafka.producer import EventProducer
from shared.settings import KafkaSettings
from shared.topics import dlq
from tests.shared.kafka.kafka_helpers import drain, fresh_topic

pytestmark = pytest.mark.integration


@pytest.fixture
def kafka_settings(kafka_bootstrap: str) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=kafka_bootstrap, retry_backoff_s=0.01, retry_attempts=3)


@pytest_asyncio.fixture
async def producer(kafka_settings: KafkaSettings) -> AsyncIterator[EventProducer]:
    p = EventProducer(kafka_settings)
    await p.start()
    yield p
    await p.stop()


async def _run_until(loop: ConsumerLoop, done: asyncio.Event, within: float = 20.0) -> None:
    task = asyncio.create_task(loop.run())
    try:
        async with asyncio.timeout(within):
            await done.wait()
    finally:
        loop.stop()
        await task


async def _committed(bootstrap: str, group: str, topic: str) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        offset: int | None = await consumer.committed(TopicPartition(topic, 0))
        return offset
    finally:
        await consumer.stop()


async def test_poison_record_is_dead_lettered_and_the_rest_flows(
    kafka_settings: KafkaSettings, producer: EventProducer, kafka_bootstrap: str
) -> None:
    topic = await fresh_topic(kafka_bootstrap)
    for value in (b"ok-1", b"poison", b"ok-2"):
        await producer.send_raw(topic, key=b"k", value=value, headers=[("correlation_id", b"c-1")])
    applied: list[bytes] = []
    done = asyncio.Event()

    async def handler(records: Sequence[Record]) -> None:
        if any(r.value == b"poison" for r in records):
            raise ValidationError("poison is not an event")
        applied.extend(r.value for r in records if r.value is not None)
        if b"ok-2" in applied:
            done.set()

    loop = ConsumerLoop(
        settings=kafka_settings, group_id="g-dlq", topics=[topic], handler=handler, producer=producer
    )
    await _run_until(loop, done)

    assert applied == [b"ok-1", b"ok-2"]
    (dead,) = await drain(kafka_bootstrap, [dlq(topic)], expect=1)
    assert dead.value == b"poison"
    assert header(dead, "dlq.reason") == "poison is not an event"
    assert header(dead, "dlq.error") == "ValidationError:validation"
    assert header(dead, "dlq.offset") == "1"
    assert header(dead, "correlation_id") == "c-1"
    assert await _committed(kafka_bootstrap, "g-dlq", topic) == 3


async def test_retryable_failure_is_retried_then_committed_once(
    kafka_settings: KafkaSettings, producer: EventProducer, kafka_bootstrap: str
) -> None:
    topic = await fresh_topic(kafka_bootstrap)
    await producer.send_raw(topic, key=b"k", value=b"v")
    calls = 0
    done = asyncio.Event()

    async def handler(records: Sequence[Record]) -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RetryableError("database away")
        done.set()

    loop = ConsumerLoop(
        settings=kafka_settings, group_id="g-retry", topics=[topic], handler=handler, producer=producer
    )
    await _run_until(loop, done)
    assert calls == 3
    assert await _committed(kafka_bootstrap, "g-retry", topic) == 1
    assert await drain(kafka_bootstrap, [dlq(topic)], expect=0, within=1) == []


async def test_exhausted_retries_rewind_instead_of_skipping(
    kafka_settings: KafkaSettings, producer: EventProducer, kafka_bootstrap: str
) -> None:
    topic = await fresh_topic(kafka_bootstrap)
    await producer.send_raw(topic, key=b"k", value=b"v")
    calls = 0
    done = asyncio.Event()

    async def handler(records: Sequence[Record]) -> None:
        nonlocal calls
        calls += 1
        # fails through one full retry cycle (1 + 3 retries), then the rewound record succeeds
        if calls <= 4:
            raise ConnectionError("broker of the downstream went away")
        done.set()

    loop = ConsumerLoop(
        settings=kafka_settings, group_id="g-rewind", topics=[topic], handler=handler, producer=producer
    )
    await _run_until(loop, done)
    assert calls == 5
    assert await _committed(kafka_bootstrap, "g-rewind", topic) == 1


async def test_stop_finishes_the_batch_in_hand_and_commits(
    kafka_settings: KafkaSettings, producer: EventProducer, kafka_bootstrap: str
) -> None:
    topic = await fresh_topic(kafka_bootstrap)
    for i in range(5):
        await producer.send_raw(topic, key=b"k", value=str(i).encode())
    started = asyncio.Event()
    release = asyncio.Event()
    seen: list[bytes] = []

    async def handler(records: Sequence[Record]) -> None:
        started.set()
        await release.wait()  # the stop request arrives while this batch is in flight
        seen.extend(r.value for r in records if r.value is not None)

    loop = ConsumerLoop(
        settings=kafka_settings, group_id="g-stop", topics=[topic], handler=handler, producer=producer
    )
    task = asyncio.create_task(loop.run())
    async with asyncio.timeout(20):
        await started.wait()
    loop.stop()
    release.set()
    async with asyncio.timeout(20):
        await task
    assert len(seen) >= 1
    assert await _committed(kafka_bootstrap, "g-stop", topic) == len(seen)
