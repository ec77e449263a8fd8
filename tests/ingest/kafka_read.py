"""Read a whole topic (every partition, from the start to the current end) in tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

__all__ = ["header", "read_all", "read_until"]


async def read_all(bootstrap: str, topic: str, *, within: float = 15.0) -> list[ConsumerRecord]:
    """Every record on ``topic`` up to the end offsets at call time (no consumer group)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50)
    await consumer.start()
    try:
        await consumer.topics()  # loads cluster metadata so the partitions are known
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        assert partitions, f"topic {topic} has no partitions"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        out: list[ConsumerRecord] = []
        async with asyncio.timeout(within):
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    out.extend(records)
        return out
    finally:
        await consumer.stop()


async def read_until(
    bootstrap: str,
    topic: str,
    done: Callable[[Sequence[ConsumerRecord]], bool],
    *,
    within: float = 20.0,
) -> list[ConsumerRecord]:
    """Re-read the topic until ``done(records)`` holds; the last read when the time is up."""
    deadline = time.monotonic() + within
    while True:
        records = await read_all(bootstrap, topic)
        if done(records) or time.monotonic() > deadline:
            return records
        await asyncio.sleep(0.2)


def header(record: ConsumerRecord, name: str) -> str | None:
    """A record header as text."""
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode()
    return None
