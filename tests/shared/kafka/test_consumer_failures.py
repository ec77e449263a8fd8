"""The consumer loop against an in-memory consumer: rebalance errors, the redelivery limit, classification.

The fake consumer behaves like a partition log: ``seek`` moves the position back, ``getmany`` hands out the
records from the position on, ``commit`` records the committed offset. The real-broker tests are in
test_consumer_loop.py and test_consumer_rebalance.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import (
    CommitFailedError,
    IllegalStateError,
    KafkaConnectionError,
    RebalanceInProgressError,
)

from shared.errors import RetryableError, ValidationError
from shared.kafka.consumer import ConsumerLoop, KafkaConsumerPort, Record, header
from shared.kafka.producer import EventProducer, Header
from shared.settings import KafkaSettings
from shared.topics import dlq

TOPIC = "fake.events.v1"
TP = TopicPartition(TOPIC, 0)


@dataclass(frozen=True)
class FakeRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = ()
    timestamp: int = 0


@dataclass
class FakeConsumer:
    """One partition; commit and seek can be told to fail the way aiokafka fails during a rebalance."""

    log: list[FakeRecord]
    batch: int = 10
    position: int = 0
    committed: int | None = None
    commit_errors: list[Exception] = field(default_factory=list)
    seek_errors: list[Exception] = field(default_factory=list)
    polls: int = 0

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        self.polls += 1
        await asyncio.sleep(0)
        records = self.log[self.position : self.position + self.batch]
        self.position += len(records)
        return {TP: records} if records else {}

    async def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None:
        if self.commit_errors:
            raise self.commit_errors.pop(0)
        assert offsets is not None
        self.committed = offsets[TP]

    def seek(self, partition: TopicPartition, offset: int) -> None:
        if self.seek_errors:
            raise self.seek_errors.pop(0)
        self.position = offset


class FakeProducer(EventProducer):
    """Keeps dead letters in memory."""

    def __init__(self) -> None:
        super().__init__(KafkaSettings())
        self.sent: list[tuple[str, bytes | None, list[Header]]] = []

    async def send_raw(
        self, topic: str, *, key: bytes | None, value: bytes | None, headers: Sequence[Header] = ()
    ) -> None:
        self.sent.append((topic, value, list(headers)))


def _records(*values: bytes) -> list[FakeRecord]:
    return [FakeRecord(TOPIC, 0, i, b"k", v, (("correlation_id", b"c"),)) for i, v in enumerate(values)]


def _settings(**overrides: Any) -> KafkaSettings:
    base: dict[str, Any] = {"retry_backoff_s": 0.001, "retry_backoff_max_s": 0.002, "retry_attempts": 2}
    return KafkaSettings(**(base | overrides))


async def _run(
    consumer: FakeConsumer,
    handler: Callable[[Sequence[Record]], Any],
    *,
    settings: KafkaSettings,
    until: Callable[[], bool],
) -> FakeProducer:
    producer = FakeProducer()

    def factory() -> KafkaConsumerPort:
        return consumer

    loop = ConsumerLoop(
        settings=settings,
        group_id="g",
        topics=[TOPIC],
        handler=handler,
        producer=producer,
        consumer_factory=factory,
    )
    task = asyncio.create_task(loop.run())
    try:
        async with asyncio.timeout(20):
            while not until():
                assert not task.done(), "the consumer loop ended by itself"
                await asyncio.sleep(0.01)
    finally:
        loop.stop()
        await task
    return producer


def _dead(producer: FakeProducer) -> list[tuple[bytes | None, dict[str, str]]]:
    out = []
    for topic, value, headers in producer.sent:
        assert topic == dlq(TOPIC)
        out.append((value, {k: v.decode() for k, v in headers}))
    return out


async def test_an_unknown_error_is_dead_lettered_once_the_redelivery_limit_is_reached() -> None:
    consumer = FakeConsumer(_records(b"a", b"bug", b"b", b"c"))
    calls: dict[bytes, int] = {}
    applied: list[bytes] = []

    async def handler(records: Sequence[Record]) -> None:
        for r in records:
            assert r.value is not None
            calls[r.value] = calls.get(r.value, 0) + 1
        if any(r.value == b"bug" for r in records):
            raise KeyError("a bug in the handler")
        applied.extend(r.value for r in records if r.value is not None)

    settings = _settings(max_redeliveries=2)
    producer = await _run(consumer, handler, settings=settings, until=lambda: consumer.committed == 4)

    assert applied == [b"a", b"b", b"c"]
    ((value, headers),) = _dead(producer)
    assert value == b"bug"
    assert headers["dlq.reason"] == "retries exhausted after 3 rounds: KeyError"
    assert headers["dlq.error"] == "PermanentError:retries_exhausted"
    assert headers["dlq.offset"] == "1"
    # 3 rounds (the first and 2 redeliveries); each tries the batch, then the record alone, 1 + 2 retries each
    assert calls[b"bug"] == 3 * 3 + 3 * 3
    assert consumer.polls >= 3  # the count survived the rewind and the polls in between


async def test_a_known_transient_failure_is_never_dead_lettered() -> None:
    consumer = FakeConsumer(_records(b"a"))
    calls = 0

    async def handler(records: Sequence[Record]) -> None:
        nonlocal calls
        calls += 1
        if calls <= 15:  # five rounds of three tries: far past max_redeliveries, the database was away
            raise RetryableError("database away", code="db")

    producer = await _run(
        consumer, handler, settings=_settings(max_redeliveries=1), until=lambda: consumer.committed == 1
    )
    assert producer.sent == []
    assert calls == 16


async def test_a_broker_away_at_start_is_waited_for_not_fatal() -> None:
    # A service started while the broker restarts must not exit (a crash loop under Kubernetes).
    consumer = FakeConsumer(_records(b"a"))
    failures = [KafkaConnectionError("refused"), KafkaConnectionError("refused")]
    real_start = consumer.start

    async def flaky_start() -> None:
        if failures:
            raise failures.pop(0)
        await real_start()

    consumer.start = flaky_start  # type: ignore[method-assign]
    applied: list[bytes] = []

    async def handler(records: Sequence[Record]) -> None:
        applied.extend(r.value for r in records if r.value is not None)

    await _run(consumer, handler, settings=_settings(), until=lambda: consumer.committed == 1)
    assert applied == [b"a"]
    assert failures == []


async def test_a_statement_timeout_on_one_record_is_dead_lettered_at_the_redelivery_limit() -> None:
    # statement_timeout may be the record's own doing (a pathological input): retried, but counted, so the
    # partition moves on instead of retrying that record forever.
    consumer = FakeConsumer(_records(b"a", b"slow", b"b"))
    applied: list[bytes] = []

    async def handler(records: Sequence[Record]) -> None:
        if any(r.value == b"slow" for r in records):
            raise RetryableError("database statement timed out (57014)", code="db_timeout")
        applied.extend(r.value for r in records if r.value is not None)

    producer = await _run(
        consumer, handler, settings=_settings(max_redeliveries=1), until=lambda: consumer.committed == 3
    )
    assert applied == [b"a", b"b"]
    ((value, headers),) = _dead(producer)
    assert value == b"slow"
    assert headers["dlq.error"] == "PermanentError:retries_exhausted"


@pytest.mark.parametrize(
    "error",
    [CommitFailedError("rebalanced"), IllegalStateError("not assigned"), RebalanceInProgressError()],
    ids=type,
)
async def test_a_commit_refused_by_a_rebalance_does_not_end_the_loop(error: Exception) -> None:
    consumer = FakeConsumer(_records(b"a", b"b", b"c"), batch=1, commit_errors=[error])
    applied: list[bytes] = []

    async def handler(records: Sequence[Record]) -> None:
        applied.extend(r.value for r in records if r.value is not None)

    await _run(consumer, handler, settings=_settings(), until=lambda: consumer.committed == 3)
    # The refused batch was fetched again (the partition stayed ours): at least once, nothing skipped.
    assert applied == [b"a", b"a", b"b", b"c"]


async def test_a_seek_refused_by_a_rebalance_does_not_end_the_loop() -> None:
    consumer = FakeConsumer(_records(b"a", b"b"), batch=1, seek_errors=[IllegalStateError("not assigned")])
    calls = 0
    applied: list[bytes] = []

    async def handler(records: Sequence[Record]) -> None:
        nonlocal calls
        calls += 1
        if calls <= 3:  # one round of tries fails: the loop seeks back, and the partition has moved
            raise ConnectionError("database away")
        applied.extend(r.value for r in records if r.value is not None)

    await _run(consumer, handler, settings=_settings(), until=lambda: consumer.committed == 2)
    assert b"b" in applied


async def test_a_failing_dead_letter_send_rewinds_instead_of_skipping() -> None:
    consumer = FakeConsumer(_records(b"a", b"poison", b"b"))
    failures = [RetryableError("broker away")]
    applied: list[bytes] = []

    class FlakyProducer(FakeProducer):
        async def send_raw(
            self, topic: str, *, key: bytes | None, value: bytes | None, headers: Sequence[Header] = ()
        ) -> None:
            if failures:
                raise failures.pop()
            await super().send_raw(topic, key=key, value=value, headers=headers)

    async def handler(records: Sequence[Record]) -> None:
        if any(r.value == b"poison" for r in records):
            raise ValidationError("poison")
        applied.extend(r.value for r in records if r.value is not None)

    producer = FlakyProducer()
    loop = ConsumerLoop(
        settings=_settings(),
        group_id="g",
        topics=[TOPIC],
        handler=handler,
        producer=producer,
        consumer_factory=lambda: consumer,
    )
    task = asyncio.create_task(loop.run())
    async with asyncio.timeout(20):
        while consumer.committed != 3:
            assert not task.done()
            await asyncio.sleep(0.01)
    loop.stop()
    await task
    assert [v for _, v, _ in producer.sent] == [b"poison"]
    assert applied == [b"a", b"b"]


def test_header_reads_text() -> None:
    (record,) = _records(b"x")
    assert header(record, "correlation_id") == "c"
