"""Two consumers of one group on the real broker: the second joins while the first is mid-batch.

The first member's commit for a partition it lost in the meantime is refused (CommitFailedError or
IllegalStateError); the loop logs it and goes on, the new owner redelivers from the committed offset, and every
record is applied at least once with the final offsets committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import REGISTRY

from shared.kafka.consumer import ConsumerLoop, Record
from shared.kafka.producer import EventProducer
from shared.settings import KafkaSettings
from tests.shared.kafka.kafka_helpers import fresh_topic

pytestmark = pytest.mark.integration

PER_PARTITION = 10


async def _committed(bootstrap: str, group: str, topic: str) -> dict[int, int | None]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        return {p: await consumer.committed(TopicPartition(topic, p)) for p in (0, 1)}
    finally:
        await consumer.stop()


async def test_a_member_joining_mid_batch_does_not_stop_the_other(
    kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="shared.kafka.consumer")
    topic = await fresh_topic(kafka_bootstrap, partitions=2)
    raw = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await raw.start()
    try:
        for partition in (0, 1):
            for i in range(PER_PARTITION):
                await raw.send_and_wait(topic, f"{partition}-{i}".encode(), partition=partition)
    finally:
        await raw.stop()

    settings = KafkaSettings(
        bootstrap_servers=kafka_bootstrap,
        retry_backoff_s=0.01,
        session_timeout_ms=6_000,
        heartbeat_interval_ms=300,
    )
    producer = EventProducer(settings)
    await producer.start()
    applied: set[bytes] = set()
    first_in_batch = asyncio.Event()
    release = asyncio.Event()

    async def first_handler(records: Sequence[Record]) -> None:
        first_in_batch.set()
        await release.wait()  # the second member joins while this batch is in hand
        applied.update(r.value for r in records if r.value is not None)

    async def second_handler(records: Sequence[Record]) -> None:
        applied.update(r.value for r in records if r.value is not None)

    group = f"g-rebalance-{topic}"
    first = ConsumerLoop(
        settings=settings, group_id=group, topics=[topic], handler=first_handler, producer=producer
    )
    second = ConsumerLoop(
        settings=settings, group_id=group, topics=[topic], handler=second_handler, producer=producer
    )
    first_task = asyncio.create_task(first.run())
    second_task: asyncio.Task[None] | None = None
    try:
        async with asyncio.timeout(30):
            await first_in_batch.wait()
        assert _assigned(group) == 2  # the gauge an operator (and the bench) reads: one member has both
        second_task = asyncio.create_task(second.run())
        async with asyncio.timeout(60):
            await second.assigned.wait()  # the group rebalanced around the busy first member
        release.set()
        expected = {f"{p}-{i}".encode() for p in (0, 1) for i in range(PER_PARTITION)}
        async with asyncio.timeout(60):
            while not (applied >= expected and await _all_committed(kafka_bootstrap, group, topic)):
                assert not first_task.done(), "the first consumer died in the rebalance"
                assert not second_task.done(), "the second consumer died"
                await asyncio.sleep(0.2)
        assert _assigned(group) == 1  # each member now has one of the two partitions
    finally:
        release.set()
        first.stop()
        second.stop()
        try:
            await asyncio.gather(first_task, *([second_task] if second_task else []))
        finally:
            await producer.stop()
    assert await _committed(kafka_bootstrap, group, topic) == {0: PER_PARTITION, 1: PER_PARTITION}
    assert any(r.message == "consumer.rebalanced" for r in caplog.records)


async def _all_committed(bootstrap: str, group: str, topic: str) -> bool:
    return await _committed(bootstrap, group, topic) == {0: PER_PARTITION, 1: PER_PARTITION}


def _assigned(group: str) -> float | None:
    return REGISTRY.get_sample_value("consumer_assigned_partitions", {"group": group})
