"""Tansu on the stack's S3 (moto): records acknowledged before a SIGKILL are there after a restart."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.stack.aws import AwsEnvironment, aws_client
from shared.stack.kafka import BrokerStorage, kafka_broker
from shared.topics import TopicSpec

RECORDS = 1_000
PARTITIONS = 3


async def _bucket(aws: AwsEnvironment) -> str:
    name = f"tansu-{uuid.uuid4().hex[:10]}"
    async with aws_client("s3", aws.endpoint_url, aws.region) as s3:
        await s3.create_bucket(Bucket=name)
    return name


def _storage(aws: AwsEnvironment, bucket: str) -> BrokerStorage:
    return BrokerStorage.s3(
        bucket,
        endpoint_url=aws.endpoint_url,
        region=aws.region,
        access_key=aws.access_key_id,
        secret_key=aws.secret_access_key,
    )


async def _produce(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = [
            await producer.send(topic, f"value-{i}".encode(), key=f"key-{i}".encode()) for i in range(RECORDS)
        ]
        await asyncio.gather(*sent)  # every record acknowledged before the broker is killed
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, topic: str, expected: int = RECORDS) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=100)
    await consumer.start()
    values: list[bytes] = []
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        await consumer.seek_to_beginning()
        async with asyncio.timeout(60):
            while len(values) < expected:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    values.extend(r.value for r in records)
        for records in (await consumer.getmany(timeout_ms=500)).values():
            values.extend(r.value for r in records)  # anything beyond ``expected`` would be a duplicate
    finally:
        await consumer.stop()
    return values


async def test_records_survive_sigkill_and_restart_on_s3_storage(aws: AwsEnvironment) -> None:
    topic = f"test.persist.{uuid.uuid4().hex[:8]}"
    storage = _storage(aws, await _bucket(aws))
    async with kafka_broker(topics=[TopicSpec(topic, PARTITIONS, 1)], environ={}, storage=storage) as broker:
        await _produce(broker.bootstrap_servers, topic)
        assert broker.process is not None
        first_pid = broker.process.pid
        broker.kill()
        await broker.restart()
        assert broker.process is not None
        assert broker.process.pid != first_pid
        values = await _read_all(broker.bootstrap_servers, topic)
        assert sorted(values) == sorted(f"value-{i}".encode() for i in range(RECORDS))
        # Producing goes on after the last acknowledged record: nothing acked before the kill is overwritten.
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"after-restart", key=b"key-0")
        finally:
            await producer.stop()
        values = await _read_all(broker.bootstrap_servers, topic, RECORDS + 1)
    assert sorted(values) == sorted([b"after-restart", *(f"value-{i}".encode() for i in range(RECORDS))])


async def test_memory_storage_forgets_on_restart(aws: AwsEnvironment) -> None:
    # The contrast that shows the test above measures the storage engine, not a broker that never died.
    topic = f"test.memory.{uuid.uuid4().hex[:8]}"
    async with kafka_broker(topics=[TopicSpec(topic, PARTITIONS, 1)], environ={}) as broker:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"gone", key=b"k")
        finally:
            await producer.stop()
        await broker.restart()
        consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap_servers, enable_auto_commit=False)
        await consumer.start()
        try:
            ends = await consumer.end_offsets([TopicPartition(topic, p) for p in range(PARTITIONS)])
        finally:
            await consumer.stop()
    assert sum(ends.values()) == 0
