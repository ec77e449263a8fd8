"""Inputs that cannot be parsed go to the rejected topic with their original bytes, sealed, and the reason.

A raw input is full buyer PII (a relayed mail, a report row), so the record value is the body sealed with the PII
key ring (``shared.kafka.codec.EventCodec.seal_raw``; header ``pii.sealed``); the reason and the source stay in
clear headers. An operator holding the key ring gets the original bytes back with ``unseal_raw``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from services.ingest.metrics import REJECTED
from shared.kafka.codec import SEALED_HEADER, SEALED_RAW
from shared.kafka.producer import EventProducer
from shared.topics import INGEST_REJECTED

__all__ = ["MAX_REJECT_BYTES", "error_header", "reject"]

log = logging.getLogger(__name__)

# Brokers refuse records above ~1 MiB by default; a body whose sealed form is larger is cut here (sealing grows
# it by about 16/9) and its original size kept in a header.
MAX_REJECT_BYTES = 900 * 1024


def error_header(error: BaseException) -> str:
    """``<class>:<code>`` as the consumer loop writes it in ``dlq.error``."""
    return f"{type(error).__name__}:{getattr(error, 'code', 'error')}"


async def reject(
    producer: EventProducer,
    *,
    body: bytes | None,
    error: BaseException,
    source: str,
    headers: Mapping[str, str] | None = None,
    key: bytes | None = None,
    topic: str = INGEST_REJECTED,
) -> None:
    """Send ``body`` sealed, with ``dlq.*`` headers, to the rejected topic and wait for the ack (raises
    RetryableError)."""
    out: list[tuple[str, bytes]] = [
        ("dlq.reason", str(error)[:1000].encode()),
        ("dlq.error", error_header(error).encode()),
        ("dlq.source", source.encode()),
        ("dlq.at", datetime.now(UTC).isoformat().encode()),
    ]
    sealed: bytes | None = None
    if body is not None:
        sealed, kept = producer.codec.seal_raw(body, max_bytes=MAX_REJECT_BYTES)
        out.append((SEALED_HEADER, SEALED_RAW))
        if kept < len(body):
            out.append(("dlq.truncated_from", str(len(body)).encode()))
    out += [(name, value.encode()) for name, value in (headers or {}).items()]
    await producer.send_raw(topic, key=key, value=sealed, headers=out)
    REJECTED.labels(source, error_header(error)).inc()
    log.warning("ingest.rejected", extra={"source": source, "error": error_header(error)})
