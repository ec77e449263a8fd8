"""The consumer loop every service uses.

At-least-once in, idempotent handlers: the loop fetches a batch per partition, calls the batch handler (which
runs its database transaction through the unit of work the service gives it) and commits the Kafka offset only
after the handler returned. Failures are classified:

- ``RetryableError`` (and unknown exceptions, which are treated as transient): bounded retry with exponential
  backoff; if still failing, the partition is rewound to the failed batch and retried on the next poll, so
  nothing is skipped while the database or broker is away.
- ``PermanentError`` / ``ValidationError``: the batch is replayed one record at a time so only the poison
  record goes to the dead-letter topic (with the reason in headers); the offset moves on.

SIGTERM (``stop()``) stops fetching, lets the batch in hand finish, commits and leaves the group.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from aiokafka import AIOKafkaConsumer
from prometheus_client import Counter, Histogram

from shared.errors import PermanentError, RetryableError
from shared.kafka.producer import EventProducer, Header
from shared.logging import bind_correlation_id, correlation_id
from shared.settings import KafkaSettings
from shared.topics import dlq

__all__ = ["BatchHandler", "ConsumerLoop", "Record", "header"]

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

RECORDS = Counter("consumer_records_total", "Records processed", ["group", "topic", "outcome"])
BATCH_SECONDS = Histogram("consumer_batch_seconds", "Batch handling time", ["group"])
RETRIES = Counter("consumer_retries_total", "Retryable failures", ["group"])


def header(record: Record, name: str) -> str | None:
    """A header value as text, or None."""
    for key, value in record.headers or ():
        if key == name:
            return value.decode(errors="replace") if value is not None else None
    return None


@dataclass(frozen=True, slots=True)
class _Outcome:
    done: bool  # False: rewind and retry later


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
    ) -> None:
        self._settings = settings
        self._group = group_id
        self._topics = list(topics)
        self._handler = handler
        self._producer = producer
        self._max_records = max_records or settings.max_poll_records
        self._stop = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self.assigned = asyncio.Event()

    def stop(self) -> None:
        """Ask the loop to finish the batch in hand, commit and leave the group."""
        self._stop.set()

    async def ready(self) -> bool:
        """Readiness: the consumer has partitions assigned."""
        return self._consumer is not None and bool(self._consumer.assignment())

    async def run(self) -> None:
        """Run until ``stop()``."""
        s = self._settings
        consumer = AIOKafkaConsumer(
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
        self._consumer = consumer
        await consumer.start()
        log.info("consumer.started", extra={"group": self._group, "topics": self._topics})
        try:
            while not self._stop.is_set():
                if consumer.assignment():
                    self.assigned.set()
                batches = await consumer.getmany(timeout_ms=200, max_records=self._max_records)
                if consumer.assignment():
                    self.assigned.set()
                for tp, records in batches.items():
                    if not records:
                        continue
                    outcome = await self._process(records)
                    if outcome.done:
                        await consumer.commit({tp: records[-1].offset + 1})
                    else:
                        consumer.seek(tp, records[0].offset)
        finally:
            log.info("consumer.stopping", extra={"group": self._group})
            await consumer.stop()  # leaves the group; offsets were committed per batch
            self._consumer = None

    async def _process(self, records: Sequence[Record]) -> _Outcome:
        with BATCH_SECONDS.labels(self._group).time():
            try:
                await self._with_retries(records)
            except PermanentError:
                return await self._one_by_one(records)
            except _GaveUp:
                return _Outcome(done=False)
        RECORDS.labels(self._group, records[0].topic, "ok").inc(len(records))
        return _Outcome(done=True)

    async def _one_by_one(self, records: Sequence[Record]) -> _Outcome:
        for record in records:
            try:
                await self._with_retries([record])
                RECORDS.labels(self._group, record.topic, "ok").inc()
            except PermanentError as exc:
                await self._dead_letter(record, exc)
            except _GaveUp:
                # Records before this one are applied (idempotently); rewinding the whole batch is safe.
                return _Outcome(done=False)
        return _Outcome(done=True)

    async def _with_retries(self, records: Sequence[Record]) -> None:
        s = self._settings
        attempt = 0
        while True:
            token = bind_correlation_id(header(records[0], "correlation_id"))
            try:
                await self._handler(records)
                return
            except PermanentError:
                raise
            except Exception as exc:  # unknown failures are treated as transient
                attempt += 1
                RETRIES.labels(self._group).inc()
                retry_after = exc.retry_after if isinstance(exc, RetryableError) else None
                log.warning(
                    "consumer.retry",
                    extra={"group": self._group, "attempt": attempt, "error": type(exc).__name__},
                )
                if attempt > s.retry_attempts or self._stop.is_set():
                    raise _GaveUp from exc
                delay = retry_after or min(s.retry_backoff_max_s, s.retry_backoff_s * 2 ** (attempt - 1))
                await asyncio.sleep(delay * (0.5 + random.random() / 2))  # jitter, not crypto
            finally:
                correlation_id.reset(token)

    async def _dead_letter(self, record: Record, exc: PermanentError) -> None:
        headers: list[Header] = [*(record.headers or ())]
        headers += [
            ("dlq.reason", str(exc)[:1000].encode()),
            ("dlq.error", f"{type(exc).__name__}:{exc.code}".encode()),
            ("dlq.topic", record.topic.encode()),
            ("dlq.partition", str(record.partition).encode()),
            ("dlq.offset", str(record.offset).encode()),
            ("dlq.group", self._group.encode()),
        ]
        try:
            await self._producer.send_raw(
                dlq(record.topic), key=record.key, value=record.value, headers=headers
            )
        except RetryableError:
            raise _GaveUp from None
        RECORDS.labels(self._group, record.topic, "dead_lettered").inc()
        log.warning(
            "consumer.dead_lettered",
            extra={"group": self._group, "topic": record.topic, "offset": record.offset, "error": exc.code},
        )


class _GaveUp(Exception):
    """Retries exhausted for now; rewind and try again on the next poll."""
