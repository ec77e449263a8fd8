"""Raw aiokafka produce + consume throughput on the local broker (the ceiling for everything else)."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.stack.kafka import create_topics
from shared.topics import TopicSpec

__all__ = ["raw_kafka_throughput"]


async def raw_kafka_throughput(
    bootstrap: str, *, messages: int = 50_000, size: int = 600
) -> tuple[float, float]:
    """(produced msg/s with acks=all, consumed msg/s) for ``messages`` records of ``size`` bytes."""
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    await create_topics(bootstrap, [TopicSpec(topic, 6, 1)])
    payload = b"x" * size
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=256 * 1024
    )
    await producer.start()
    start = time.perf_counter()
    futures = [await producer.send(topic, payload, key=str(i % 1000).encode()) for i in range(messages)]
    await asyncio.gather(*futures)
    produce_rate = messages / (time.perf_counter() - start)
    await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    seen = 0
    start = time.perf_counter()
    while seen < messages:
        batches = await consumer.getmany(timeout_ms=500, max_records=5000)
        seen += sum(len(b) for b in batches.values())
    consume_rate = messages / (time.perf_counter() - start)
    await consumer.stop()
    return produce_rate, consume_rate
