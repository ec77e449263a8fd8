"""Read a rejected or dead-letter topic back with the PII key ring: what an operator needs to look at an input.

Values are sealed on Kafka (``shared.kafka.codec``): a raw input (header ``pii.sealed``) is unsealed to its
original bytes, a dead-lettered event to its JSON with the PII fields restored. The summaries carry only what
the records carry in clear (key, position, headers); opened values go to files, never to the terminal.
"""

from __future__ import annotations

import os
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson
from aiokafka import ConsumerRecord

from shared.errors import PermanentError, ValidationError
from shared.kafka.codec import SEALED_HEADER, EventCodec
from shared.kafka.dlq_tools import scan
from shared.settings import KafkaSettings

__all__ = ["RejectedRecord", "open_value", "read_rejected"]


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """One record of the topic: where it is, its clear headers, and where its opened value went."""

    topic: str
    partition: int
    offset: int
    key: str | None
    headers: dict[str, str] = field(default_factory=dict)
    file: str | None = None
    error: str | None = None


def open_value(value: bytes, headers: dict[str, str], codec: EventCodec) -> bytes:
    """The opened value: a raw input's original bytes, or an event's JSON with its PII (raises PermanentError)."""
    if SEALED_HEADER in headers:
        return codec.unseal_raw(value)
    try:
        return orjson.dumps(codec.open(value), option=orjson.OPT_INDENT_2)
    except ValidationError:
        return value  # not an event (the poison itself): kept as it came


async def read_rejected(
    *, kafka: KafkaSettings, codec: EventCodec, topic: str, out_dir: Path | None, limit: int
) -> list[RejectedRecord]:
    """Up to ``limit`` records from the start of ``topic``; with ``out_dir``, each opened value in a file."""
    out: list[RejectedRecord] = []
    async with aclosing(scan(kafka=kafka, topic=topic)) as records:
        async for record in records:
            out.append(_summary(record, codec, out_dir))
            if len(out) >= limit:
                break
    return out


def _summary(record: ConsumerRecord, codec: EventCodec, out_dir: Path | None) -> RejectedRecord:
    key: bytes | None = record.key
    value: bytes | None = record.value
    headers = {name: bytes(raw or b"").decode(errors="replace") for name, raw in record.headers or ()}
    summary = RejectedRecord(
        record.topic,
        record.partition,
        record.offset,
        key.decode(errors="replace") if key is not None else None,
        headers,
    )
    if value is None or out_dir is None:
        return summary
    try:
        opened = open_value(value, headers, codec)
    except PermanentError as exc:
        return replace(summary, error=str(exc))
    path = out_dir / f"{record.topic}-{record.partition}-{record.offset}.bin"
    # The file holds buyer PII: readable by its owner only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(opened)
    return replace(summary, file=str(path))
