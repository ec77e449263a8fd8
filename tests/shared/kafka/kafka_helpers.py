"""Helpers for tests that talk to the real broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from shared.stack.kafka import create_topics
from shared.topics import TopicSpec, dlq

__all__ = ["drain", "fresh_topic"]


async def fresh_topic(bootstrap: str, *, partitions: int = 1) -> str:
    """A new topic (and its dead-letter topic) unique to the calling test."""
    name = f"test.{uuid.uuid4().hex[:10]}.v1"
    await create_topics(bootstrap, [TopicSpec(name, partitions, 1), TopicSpec(dlq(name), 1, 1)])
    return name


async def drain(
    bootstrap: str, topics: Sequence[str], *, expect: int, within: float = 15.0
) -> list[ConsumerRecord]:
    """Read ``expect`` records from the start of the topics (no group), or fail after ``within`` seconds."""
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=50
    )
    await consumer.start()
    out: list[ConsumerRecord] = []
    try:
        async with asyncio.timeout(within):
            while len(out) < expect:
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    out.extend(records)
    finally:
        await consumer.stop()
    return out
