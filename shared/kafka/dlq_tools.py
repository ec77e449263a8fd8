"""Dead-letter and rejected topics for an operator: read them, sum them up, pick records, send them back.

A dead letter (``shared.kafka.consumer``) keeps the original value, key and headers plus ``dlq.*`` headers
(reason, error, source topic, partition, offset, group). Replaying it sends the same bytes back to the source
topic without the ``dlq.*`` headers: event ids are deterministic, so a record that was applied meanwhile is
skipped by the processed-event keys and a replay run twice creates nothing twice. Values stay sealed here (the
PII key ring is needed only to look inside, which the ingest service's tools do); what ``masked`` shows of a
value never includes buyer PII.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.kafka.codec import PII_SEALED, SEALED_FIELDS, SEALED_HEADER
from shared.kafka.producer import EventProducer, Header
from shared.settings import KafkaSettings

__all__ = [
    "DeadLetter",
    "ReplayFilter",
    "ReplaySummary",
    "TopicSummary",
    "dead_letter",
    "masked",
    "replay",
    "replay_headers",
    "scan",
    "summarize",
]

_PII_NAMES = frozenset().union(*SEALED_FIELDS.values())
_MASK = "***"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record of a dead-letter or rejected topic: where it is, when it came, its bytes and headers."""

    topic: str
    partition: int
    offset: int
    at: datetime
    key: bytes | None
    value: bytes | None
    headers: tuple[Header, ...] = ()

    def header(self, name: str) -> str | None:
        """A header as text (the last one of that name), or None."""
        found = [value for key, value in self.headers if key == name]
        return bytes(found[-1] or b"").decode(errors="replace") if found else None

    @property
    def reason(self) -> str:
        """The ``dlq.error`` class and code (``PermanentError:db_data``), or ``unknown``."""
        return self.header("dlq.error") or "unknown"

    @property
    def source_topic(self) -> str | None:
        """The topic the record was consumed from (consumer dead letters), None for rejected inputs."""
        return self.header("dlq.topic")


def dead_letter(record: ConsumerRecord) -> DeadLetter:
    """A consumed record as a DeadLetter."""
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        key=record.key,
        value=record.value,
        headers=tuple((name, bytes(value or b"")) for name, value in record.headers or ()),
    )


async def scan(*, kafka: KafkaSettings, topic: str) -> AsyncGenerator[ConsumerRecord, None]:
    """Every record of ``topic`` from its start to its end as of now (no consumer group, nothing committed)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False, fetch_max_wait_ms=100
    )
    try:
        await consumer.start()
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            return
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
    finally:
        await consumer.stop()


@dataclass(frozen=True, slots=True)
class TopicSummary:
    """What ``dlq list`` prints per topic."""

    topic: str
    count: int = 0
    oldest: datetime | None = None
    by_reason: dict[str, int] = field(default_factory=dict)


def summarize(topic: str, records: Iterable[DeadLetter]) -> TopicSummary:
    """Count, oldest record and counts by ``dlq.error`` of one topic's records."""
    reasons: Counter[str] = Counter()
    oldest: datetime | None = None
    for record in records:
        reasons[record.reason] += 1
        oldest = record.at if oldest is None else min(oldest, record.at)
    return TopicSummary(topic, sum(reasons.values()), oldest, dict(reasons.most_common()))


@dataclass(frozen=True, slots=True)
class ReplayFilter:
    """Which records to show or replay; every given bound must hold (offsets inclusive, times [since, until))."""

    source_topic: str | None = None
    reason: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_offset: int | None = None
    max_offset: int | None = None

    def matches(self, record: DeadLetter) -> bool:
        """True when ``record`` passes every bound."""
        reason = self.reason
        return (
            (self.source_topic is None or record.source_topic == self.source_topic)
            # ``PermanentError:db_data``, ``db_data`` or ``PermanentError`` all pick the same records.
            and (reason is None or reason in (record.reason, *record.reason.split(":", 1)))
            and (self.since is None or record.at >= self.since)
            and (self.until is None or record.at < self.until)
            and (self.min_offset is None or record.offset >= self.min_offset)
            and (self.max_offset is None or record.offset <= self.max_offset)
        )


def masked(record: DeadLetter) -> Any:
    """What of a value can be shown without the PII flag: JSON with PII fields masked, else only its size."""
    value = record.value
    if value is None:
        return None
    if record.header(SEALED_HEADER) is not None:
        return f"[sealed raw input, {len(value)} bytes]"
    try:
        doc = orjson.loads(value)
    except orjson.JSONDecodeError:
        return f"[{len(value)} bytes, not JSON]"
    return _mask(doc)


def _mask(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: (_MASK if k in _PII_NAMES or k == PII_SEALED else _mask(v)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_mask(v) for v in doc]
    return doc


def replay_headers(record: DeadLetter) -> list[Header]:
    """The headers a replayed record carries: the original ones, without ``dlq.*``, plus where it came from."""
    kept = [(name, value) for name, value in record.headers if not name.startswith("dlq.")]
    return [*kept, ("replay.of", f"{record.topic}:{record.partition}:{record.offset}".encode())]


@dataclass(slots=True)
class ReplaySummary:
    """Where the replayed records went (topic -> count) and what was left (reason -> count)."""

    sent: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    dry_run: bool = False


async def replay(
    records: Sequence[DeadLetter],
    *,
    producer: EventProducer | None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> ReplaySummary:
    """Send dead letters back to their source topics (``producer=None``: a dry run that sends nothing)."""
    summary = ReplaySummary(dry_run=producer is None)
    for done, record in enumerate(records, start=1):
        target = record.source_topic
        if target is None:
            summary.skipped["no dlq.topic header (not a consumer dead letter)"] += 1
        else:
            if producer is not None:
                await producer.send_raw(
                    target, key=record.key, value=record.value, headers=replay_headers(record)
                )
            summary.sent[target] += 1
        progress(done, len(records))
    return summary
