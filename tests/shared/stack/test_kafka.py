"""The Tansu broker: topics, a consumer group with commits, external brokers, and shutdown."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.stack.kafka import KafkaStartError, create_topics, kafka_broker, start_kafka, wait_for_kafka
from shared.topics import ALL_TOPICS, TopicSpec
from tests.shared.stack._net import accepts


def _topic() -> str:
    return f"test.stack.{uuid.uuid4().hex[:10]}"


async def _partitions(bootstrap: str, topics: list[str]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0}


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc] # aiokafka is untyped (Any)
    def __init__(self) -> None:
        self.event = asyncio.Event()

    async def on_partitions_revoked(self, revoked: object) -> None:
        self.event.clear()

    async def on_partitions_assigned(self, assigned: object) -> None:
        self.event.set()


async def _started_consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    """A group member that owns its partitions; producing before that could race the first fetch offset."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
        # Tansu settles a group join in about half the session timeout; keep it short for the test.
        session_timeout_ms=2_000,
        heartbeat_interval_ms=300,
    )
    listener = _Assigned()
    consumer.subscribe([topic], listener=listener)
    await consumer.start()
    try:
        async with asyncio.timeout(15):
            while not listener.event.is_set():
                # Assignment happens inside the fetch loop, which only runs while someone polls.
                await consumer.getmany(timeout_ms=50)
    except BaseException:
        await consumer.stop()
        raise
    return consumer


def _resuming_consumer(bootstrap: str, topic: str, group: str, partitions: int) -> AIOKafkaConsumer:
    """Reads the group's committed offsets without joining (a rejoin waits for the old member to expire)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
    )
    consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
    return consumer


async def _read(consumer: AIOKafkaConsumer, count: int) -> list[bytes]:
    values: list[bytes] = []
    async with asyncio.timeout(15):
        while len(values) < count:
            batches = await consumer.getmany(timeout_ms=200)
            values += [record.value for records in batches.values() for record in records]
    return values


async def test_stack_topics_exist_with_their_partition_counts(kafka_bootstrap: str) -> None:
    found = await _partitions(kafka_bootstrap, [spec.name for spec in ALL_TOPICS])
    assert found == {spec.name: spec.partitions for spec in ALL_TOPICS}


async def test_create_topics_twice_keeps_the_topic(kafka_bootstrap: str) -> None:
    spec = TopicSpec(_topic(), 2, 1)
    await create_topics(kafka_bootstrap, [spec])
    await create_topics(kafka_bootstrap, [spec, TopicSpec(_topic(), 1, 1)])
    assert await _partitions(kafka_bootstrap, [spec.name]) == {spec.name: 2}


async def test_group_consumer_resumes_after_committed_offsets(kafka_bootstrap: str) -> None:
    topic, group = _topic(), f"g-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, [TopicSpec(topic, 3, 1)])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        first = await _started_consumer(kafka_bootstrap, topic, group)
        try:
            for i in range(6):
                await producer.send_and_wait(topic, f"a{i}".encode(), key=f"k{i}".encode())
            assert sorted(await _read(first, 6)) == [f"a{i}".encode() for i in range(6)]
            await first.commit()
            committed = [await first.committed(TopicPartition(topic, p)) or 0 for p in range(3)]
            assert sum(committed) == 6
        finally:
            await first.stop()

        for i in range(2):
            await producer.send_and_wait(topic, f"b{i}".encode(), key=f"k{i}".encode())
        second = _resuming_consumer(kafka_bootstrap, topic, group, 3)
        await second.start()
        try:
            assert sorted(await _read(second, 2)) == [b"b0", b"b1"]
            assert await second.getmany(timeout_ms=300) == {}
        finally:
            await second.stop()
    finally:
        await producer.stop()


async def test_external_bootstrap_is_used_and_left_running(kafka_bootstrap: str) -> None:
    spec = TopicSpec(_topic(), 2, 1)
    broker = await start_kafka(topics=[spec], environ={"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap})
    assert broker.bootstrap_servers == kafka_bootstrap
    assert not broker.started_here
    await broker.stop()
    await wait_for_kafka(kafka_bootstrap, startup_timeout=5)
    assert await _partitions(kafka_bootstrap, [spec.name]) == {spec.name: 2}


async def test_own_broker_is_gone_after_exit() -> None:
    async with kafka_broker(environ={}, topics=[TopicSpec("only.here", 1, 1)]) as broker:
        process = broker.process
        assert process is not None
        assert await _partitions(broker.bootstrap_servers, ["only.here"]) == {"only.here": 1}
        host, _, port = broker.bootstrap_servers.rpartition(":")
    assert process.poll() is not None
    assert not await accepts(host, int(port))


async def test_broker_that_exits_at_once_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALF_TANSU_BIN", "/bin/false")
    with pytest.raises(KafkaStartError, match="exited"):
        await start_kafka(environ={})
