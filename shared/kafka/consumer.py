"""The consumer loop every service uses.

At-least-once in, idempotent handlers: the loop fetches a batch per partition, calls the batch handler (which
runs its database transaction through the unit of work the service gives it) and commits the Kafka offset only
after the handler returned. Every failure is classified (``shared.errors.classify_failure``):

- retryable (connection loss, timeouts, lock conflicts): bounded retry with exponential backoff; if still
  failing, the partition is rewound to the failed batch and retried on the next poll, so nothing is skipped
  while the database or broker is away. These rounds are not counted: a dependency may be away for long.
- permanent (``PermanentError``, pydantic validation, database data and constraint errors): the batch is
  replayed one record at a time so only the poison record goes to the dead-letter topic (with the reason in
  headers); the offset moves on.
- unknown (a bug, most likely): the batch is replayed one record at a time too; the failing record gets the
  same bounded retries, then the partition is rewound to it. Its rounds are counted in-process per
  (topic, partition, offset); past ``KafkaSettings.max_redeliveries`` it is dead-lettered as
  "retries exhausted", so no record stalls a partition forever.

Rebalances are routine (replicas come and go): a commit or seek refused because the partition moved
(``CommitFailedError``, ``IllegalStateError``, ``RebalanceInProgressError``...) is logged and the loop goes on;
the new owner starts from the last committed offset and skips what was applied through the processed-event keys.

SIGTERM (``stop()``) stops fetching, lets the batch in hand finish, commits and leaves the group.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    IllegalStateError,
    KafkaError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)
from prometheus_client import Counter, Gauge, Histogram

from shared.errors import (
    COUNTED_RETRYABLE_CODES,
    ComplaintsError,
    PermanentError,
    RetryableError,
    classify_failure,
)
from shared.kafka.producer import EventProducer, Header
from shared.kafka.spans import process_spans_of
from shared.logging import bind_correlation_id, correlation_id
from shared.settings import KafkaSettings
from shared.topics import dlq

__all__ = ["BatchHandler", "ConsumerLoop", "KafkaConsumerPort", "Record", "header", "header_value"]

log = logging.getLogger(__name__)


class Record(Protocol):
    """What handlers read of a consumed record (aiokafka's ConsumerRecord has these)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...
    @property
    def timestamp(self) -> int: ...


BatchHandler = Callable[[Sequence[Record]], Awaitable[None]]


class KafkaConsumerPort(Protocol):
    """The part of AIOKafkaConsumer the loop uses (a test may hand in a fake)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def assignment(self) -> set[TopicPartition]: ...
    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]: ...
    async def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None: ...
    def seek(self, partition: TopicPartition, offset: int) -> None: ...


# The partition moved to another member (or is moving): its new owner continues from the committed offset.
_REBALANCE_ERRORS = (
    CommitFailedError,
    IllegalStateError,
    RebalanceInProgressError,
    UnknownMemberIdError,
    IllegalGenerationError,
)
_MAX_TRACKED_FAILURES = 10_000

RECORDS = Counter(
    "consumer_records_total",
    "Records handled by consumer group, topic and outcome (ok, dead_lettered, rebalanced).",
    ["group", "topic", "outcome"],
)
BATCH_SECONDS = Histogram(
    "consumer_batch_seconds",
    "Time the handler of a consumer group took for one batch, retries and one-by-one replays included.",
    ["group"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
RETRIES = Counter("consumer_retries_total", "Retryable handler failures by consumer group.", ["group"])
DEAD_LETTERED = Counter(
    "consumer_dead_lettered_total",
    "Records sent to a dead-letter topic, by consumer group, source topic and reason code.",
    ["group", "topic", "reason"],
)
LAG_RECORDS = Gauge(
    "consumer_lag_records",
    "Records behind the partition's high watermark after the last batch (per group, topic, partition).",
    ["group", "topic", "partition"],
)
LAG_SECONDS = Gauge(
    "consumer_lag_seconds",
    "Age of the last record handled while records remain behind it; 0 when the partition is caught up.",
    ["group", "topic", "partition"],
)
# A replica without partitions (more replicas than partitions, or a rebalance still going on) consumes nothing.
ASSIGNED = Gauge(
    "consumer_assigned_partitions",
    "Partitions assigned to this consumer (0: more replicas than partitions, or a rebalance under way).",
    ["group"],
)


def header(record: Record, name: str) -> str | None:
    """A header value as text, or None."""
    return header_value(record.headers, name)


def header_value(headers: Sequence[tuple[str, bytes]] | None, name: str) -> str | None:
    """The first ``name`` header of ``headers`` as text, or None."""
    for key, value in headers or ():
        if key == name:
            return value.decode(errors="replace") if value is not None else None
    return None


@dataclass(frozen=True, slots=True)
class _Outcome:
    commit_to: int | None  # next offset to commit, None: nothing new is done
    rewind_to: int | None = None  # offset to fetch again, None: carry on after the batch


class ConsumerLoop:
    """Consume topics with a consumer group and manual commits; see the module docstring."""

    def __init__(
        self,
        *,
        settings: KafkaSettings,
        group_id: str,
        topics: Sequence[str],
        handler: BatchHandler,
        producer: EventProducer,
        max_records: int | None = None,
        consumer_factory: Callable[[], KafkaConsumerPort] | None = None,
    ) -> None:
        self._settings = settings
        self._group = group_id
        self._topics = list(topics)
        self._handler = handler
        self._producer = producer
        self._max_records = max_records or settings.max_poll_records
        self._consumer_factory = consumer_factory or self._kafka_consumer
        self._stop = asyncio.Event()
        self._consumer: KafkaConsumerPort | None = None
        # Rounds of unknown failures per record; survives the rewind and the next poll of this process.
        self._failures: dict[tuple[str, int, int], int] = {}
        self.assigned = asyncio.Event()

    def stop(self) -> None:
        """Ask the loop to finish the batch in hand, commit and leave the group."""
        self._stop.set()

    async def ready(self) -> bool:
        """Readiness: the consumer has partitions assigned."""
        return self._consumer is not None and bool(self._consumer.assignment())

    def _kafka_consumer(self) -> KafkaConsumerPort:
        s = self._settings
        consumer: KafkaConsumerPort = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=s.bootstrap_servers,
            client_id=f"{s.client_id}-{self._group}",
            group_id=self._group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=s.fetch_max_wait_ms,
            max_poll_records=self._max_records,
            session_timeout_ms=s.session_timeout_ms,
            heartbeat_interval_ms=s.heartbeat_interval_ms,
        )
        return consumer

    async def run(self) -> None:
        """Run until ``stop()``."""
        consumer = await self._started_consumer()
        if consumer is None:
            return
        log.info("consumer.started", extra={"group": self._group, "topics": self._topics})
        try:
            while not self._stop.is_set():
                if consumer.assignment():
                    self.assigned.set()
                batches = await consumer.getmany(timeout_ms=200, max_records=self._max_records)
                assigned = consumer.assignment()
                ASSIGNED.labels(self._group).set(len(assigned))
                if assigned:
                    self.assigned.set()
                for tp, records in batches.items():
                    if not records:
                        continue
                    outcome = await self._process(records)
                    await self._settle(consumer, tp, records, outcome)
                    self._observe_lag(consumer, tp, records)
        finally:
            log.info("consumer.stopping", extra={"group": self._group})
            await consumer.stop()  # leaves the group; offsets were committed per batch
            self._consumer = None

    async def _started_consumer(self) -> KafkaConsumerPort | None:
        """A started consumer, retrying with backoff while the broker is away; None when stopped first."""
        delay = 0.5
        while not self._stop.is_set():
            consumer = self._consumer_factory()
            try:
                await consumer.start()
            except (KafkaError, OSError, TimeoutError) as exc:
                log.warning(
                    "consumer.broker_unavailable", extra={"group": self._group, "error": type(exc).__name__}
                )
                with contextlib.suppress(KafkaError, OSError, TimeoutError):
                    await consumer.stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=delay)
                delay = min(delay * 2, 10.0)
                continue
            self._consumer = consumer
            return consumer
        return None

    async def _settle(
        self, consumer: KafkaConsumerPort, tp: TopicPartition, records: Sequence[Record], outcome: _Outcome
    ) -> None:
        """Commit what is done and rewind to what is not; a partition that moved meanwhile is not an error."""
        try:
            if outcome.commit_to is not None:
                await consumer.commit({tp: outcome.commit_to})
            if outcome.rewind_to is not None:
                consumer.seek(tp, outcome.rewind_to)
        except _REBALANCE_ERRORS as exc:
            RECORDS.labels(self._group, tp.topic, "rebalanced").inc(len(records))
            log.warning(
                "consumer.rebalanced",
                extra={
                    "group": self._group,
                    "topic": tp.topic,
                    "partition": tp.partition,
                    "offset": records[0].offset,
                    "error": type(exc).__name__,
                },
            )
            # Still ours after all (a rebalance that kept it): fetch the uncommitted records again.
            with contextlib.suppress(*_REBALANCE_ERRORS):
                consumer.seek(tp, records[0].offset)

    def _observe_lag(
        self, consumer: KafkaConsumerPort, tp: TopicPartition, records: Sequence[Record]
    ) -> None:
        highwater = getattr(consumer, "highwater", None)
        if highwater is None or tp not in consumer.assignment():
            return  # revoked by a rebalance during the batch: aiokafka asserts on a partition it lost
        try:
            end = highwater(tp)
        except AssertionError:  # lost between the check and the call
            return
        if end is None:
            return
        behind = max(0, end - (records[-1].offset + 1))
        labels = (self._group, tp.topic, str(tp.partition))
        LAG_RECORDS.labels(*labels).set(behind)
        age = time.time() - records[-1].timestamp / 1000 if behind else 0.0
        LAG_SECONDS.labels(*labels).set(max(0.0, age))

    async def _process(self, records: Sequence[Record]) -> _Outcome:
        with BATCH_SECONDS.labels(self._group).time(), process_spans_of(self._group, records):
            try:
                await self._with_retries(records)
            except PermanentError:
                return await self._one_by_one(records)
            except _GaveUp as gave_up:
                if gave_up.counted:  # an unknown failure: find the record behind it
                    return await self._one_by_one(records)
                return _Outcome(commit_to=None, rewind_to=records[0].offset)
        RECORDS.labels(self._group, records[0].topic, "ok").inc(len(records))
        self._forget(records)
        return _Outcome(commit_to=records[-1].offset + 1)

    async def _one_by_one(self, records: Sequence[Record]) -> _Outcome:
        for index, record in enumerate(records):
            stalled = _Outcome(commit_to=record.offset if index else None, rewind_to=record.offset)
            try:
                await self._with_retries([record])
                RECORDS.labels(self._group, record.topic, "ok").inc()
                self._forget([record])
                continue
            except PermanentError as exc:
                reason: ComplaintsError = exc
            except _GaveUp as gave_up:
                rounds = self._count(record) if gave_up.counted else 0
                if rounds <= self._settings.max_redeliveries:
                    # Records before this one are applied (idempotently) and committed; this one comes back.
                    return stalled
                reason = PermanentError(
                    f"retries exhausted after {rounds} rounds: {gave_up.error}", code="retries_exhausted"
                )
            if not await self._dead_letter(record, reason):
                return stalled
            self._forget([record])
        return _Outcome(commit_to=records[-1].offset + 1)

    def _count(self, record: Record) -> int:
        key = (record.topic, record.partition, record.offset)
        rounds = self._failures.pop(key, 0) + 1
        self._failures[key] = rounds  # re-inserted last: the oldest entries go first when the map is full
        while len(self._failures) > _MAX_TRACKED_FAILURES:
            del self._failures[next(iter(self._failures))]
        return rounds

    def _forget(self, records: Sequence[Record]) -> None:
        if self._failures:
            for r in records:
                self._failures.pop((r.topic, r.partition, r.offset), None)

    async def _with_retries(self, records: Sequence[Record]) -> None:
        s = self._settings
        attempt = 0
        while True:
            token = bind_correlation_id(header(records[0], "correlation_id"))
            try:
                await self._handler(records)
                return
            except Exception as exc:  # every failure is classified below; none escapes the loop
                known = classify_failure(exc)
                if isinstance(known, PermanentError):
                    if known is exc:
                        raise
                    raise known from exc
                attempt += 1
                RETRIES.labels(self._group).inc()
                retry_after = known.retry_after if isinstance(known, RetryableError) else None
                log.warning(
                    "consumer.retry",
                    extra={
                        "group": self._group,
                        "attempt": attempt,
                        "error": type(exc).__name__,
                        "known": known is not None,
                    },
                )
                if attempt > s.retry_attempts or self._stop.is_set():
                    # Unknown failures, and transient ones the record itself may cause (a statement timeout),
                    # count towards the redelivery limit; an outage (connection loss) never does.
                    counted = (
                        known is None or known.code in COUNTED_RETRYABLE_CODES
                    ) and not self._stop.is_set()
                    raise _GaveUp(type(exc).__name__, counted=counted) from exc
                delay = retry_after or min(s.retry_backoff_max_s, s.retry_backoff_s * 2 ** (attempt - 1))
                await asyncio.sleep(delay * (0.5 + random.random() / 2))  # jitter, not crypto
            finally:
                correlation_id.reset(token)

    async def _dead_letter(self, record: Record, exc: ComplaintsError) -> bool:
        """Send the record to its dead-letter topic with the reason; False when that failed (retry later)."""
        headers: list[Header] = [*(record.headers or ())]
        headers += [
            ("dlq.reason", _header_text(str(exc), 1000)),
            ("dlq.error", _header_text(f"{type(exc).__name__}:{exc.code}", 200)),
            ("dlq.topic", record.topic.encode()),
            ("dlq.partition", str(record.partition).encode()),
            ("dlq.offset", str(record.offset).encode()),
            ("dlq.group", self._group.encode()),
        ]
        try:
            await self._producer.send_raw(
                dlq(record.topic), key=record.key, value=record.value, headers=headers
            )
        except Exception as err:  # noqa: BLE001  # the record stays; the partition is rewound to it
            log.warning(
                "consumer.dead_letter_failed",
                extra={"group": self._group, "topic": record.topic, "error": type(err).__name__},
            )
            return False
        RECORDS.labels(self._group, record.topic, "dead_lettered").inc()
        DEAD_LETTERED.labels(self._group, record.topic, exc.code).inc()
        log.warning(
            "consumer.dead_lettered",
            extra={"group": self._group, "topic": record.topic, "offset": record.offset, "error": exc.code},
        )
        return True


def _header_text(text: str, limit: int) -> bytes:
    return text[:limit].encode("utf-8", errors="replace")


class _GaveUp(Exception):
    """Retries exhausted for now; rewind and try again on the next poll."""

    def __init__(self, error: str, *, counted: bool) -> None:
        super().__init__(error)
        self.error = error
        self.counted = counted  # an unknown failure: counts towards the redelivery limit
