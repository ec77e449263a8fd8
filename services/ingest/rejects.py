"""Inputs that cannot be parsed go to the rejected topic with their original bytes and the reason."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from shared.kafka.producer import EventProducer
from shared.topics import INGEST_REJECTED

__all__ = ["MAX_REJECT_BYTES", "error_header", "reject"]

log = logging.getLogger(__name__)

# Brokers refuse records above ~1 MiB by default; a larger body is cut here and its size kept in a header.
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
    """Send ``body`` with ``dlq.*`` headers to the rejected topic and wait for the ack (raises RetryableError)."""
    out: list[tuple[str, bytes]] = [
        ("dlq.reason", str(error)[:1000].encode()),
        ("dlq.error", error_header(error).encode()),
        ("dlq.source", source.encode()),
        ("dlq.at", datetime.now(UTC).isoformat().encode()),
    ]
    if body is not None and len(body) > MAX_REJECT_BYTES:
        out.append(("dlq.truncated_from", str(len(body)).encode()))
        body = body[:MAX_REJECT_BYTES]
    out += [(name, value.encode()) for name, value in (headers or {}).items()]
    await producer.send_raw(topic, key=key, value=body, headers=out)
    log.warning("ingest.rejected", extra={"source": source, "error": error_header(error)})
