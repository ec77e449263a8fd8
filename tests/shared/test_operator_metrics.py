"""Operator metrics of the shared parts: consumer lag per partition, dead letters by reason, SP-API calls by
operation and status, ingest rejects by reason (read back from the real prometheus_client registry)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from services.ingest.rejects import reject
from shared.crypto import PiiCipher
from shared.errors import ValidationError
from shared.kafka.codec import EventCodec
from shared.kafka.consumer import Record
from tests.shared.kafka.test_consumer_failures import (
    TOPIC,
    FakeConsumer,
    FakeProducer,
    FakeRecord,
    _run,
    _settings,
)
from tests.shared.spapi.mock_amazon import MockAmazon, error

ORDER = "111-0000000-0000001"
SEND = f"/messaging/v1/orders/{ORDER}/messages/unexpectedProblem"


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@dataclass
class LaggingConsumer(FakeConsumer):
    """The fake partition with a high watermark further on than its log (records still to come)."""

    highwater_at: int = 0

    def highwater(self, partition: TopicPartition) -> int:
        return self.highwater_at


async def test_lag_per_partition_in_records_and_seconds() -> None:
    old = int(time.time() * 1000) - 120_000  # produced two minutes ago
    log = [FakeRecord(TOPIC, 0, i, b"k", b"{}", (), old) for i in range(3)]
    consumer = LaggingConsumer(log, batch=3, highwater_at=10)

    async def handler(records: Sequence[Record]) -> None:
        return None

    await _run(consumer, handler, settings=_settings(), until=lambda: consumer.committed == 3)
    labels = {"group": "g", "topic": TOPIC, "partition": "0"}
    assert _value("consumer_lag_records", **labels) == 7
    assert 110 <= _value("consumer_lag_seconds", **labels) <= 300

    caught_up = LaggingConsumer([FakeRecord(TOPIC, 0, 0, b"k", b"{}", (), old)], highwater_at=1)
    await _run(caught_up, handler, settings=_settings(), until=lambda: caught_up.committed == 1)
    assert _value("consumer_lag_records", **labels) == 0
    assert _value("consumer_lag_seconds", **labels) == 0


async def test_dead_letters_are_counted_by_reason() -> None:
    labels = {"group": "g", "topic": TOPIC, "reason": "validation"}
    before = _value("consumer_dead_lettered_total", **labels)
    consumer = FakeConsumer([FakeRecord(TOPIC, 0, 0, b"k", b"poison")])

    async def handler(records: Sequence[Record]) -> None:
        raise ValidationError("not an event")

    await _run(consumer, handler, settings=_settings(), until=lambda: consumer.committed == 1)
    assert _value("consumer_dead_lettered_total", **labels) == before + 1


async def test_sp_api_calls_are_counted_by_operation_and_status() -> None:
    throttled = {"operation": "createUnexpectedProblem", "status": "429"}
    created = {"operation": "createUnexpectedProblem", "status": "201"}
    before = (_value("spapi_calls_total", **throttled), _value("spapi_calls_total", **created))
    amazon = MockAmazon()
    amazon.queue(SEND, error(429, "QuotaExceeded", "slow down"), httpx.Response(201, json={}))
    async with amazon.client() as client:
        await client.send_message("S1", ORDER, "ATVPDKIKX0DER", "unexpectedProblem", {"text": "hi"})
    after = (_value("spapi_calls_total", **throttled), _value("spapi_calls_total", **created))
    assert after == (before[0] + 1, before[1] + 1)


async def test_ingest_rejects_are_counted_by_source_and_reason() -> None:
    labels = {"source": "mail", "reason": "ValidationError:validation"}
    before = _value("ingest_rejected_total", **labels)
    producer = FakeProducer()
    producer._codec = EventCodec(PiiCipher("consumer-metrics-test-key"))
    await reject(
        producer, body=b"\x00 broken", error=ValidationError("no envelope"), source="mail", topic="t"
    )
    assert _value("ingest_rejected_total", **labels) == before + 1
    assert len(producer.sent) == 1
