"""Event producer: JSON events with typed headers, awaited acks (acks=all by default).

Events go out in their wire form (``shared.kafka.codec``): buyer PII sealed with the PII key ring. A producer
built without a codec refuses events that have PII fields, so a service cannot leak them by omission.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from shared.errors import RetryableError
from shared.events import EventBase, kafka_key
from shared.kafka.codec import EventCodec, needs_sealing
from shared.settings import KafkaSettings
from shared.tracing import TRACEPARENT, traceparent_for

__all__ = ["EventProducer", "Header", "event_headers"]

Header = tuple[str, bytes]

log = logging.getLogger(__name__)


def event_headers(event: EventBase) -> list[Header]:
    """Headers every event carries, so consumers can route without decoding the body; ``traceparent``
    continues the trace of the input the event came from (``shared.tracing``)."""
    event_type = str(getattr(event, "event_type", type(event).__name__))
    headers: list[Header] = [
        ("event_type", event_type.encode()),
        ("schema_version", str(event.schema_version).encode()),
        ("correlation_id", event.correlation_id.encode()),
        ("event_id", str(event.event_id).encode()),
        ("content-type", b"application/json"),
    ]
    parent = traceparent_for(event.correlation_id)
    if parent is not None:
        headers.append((TRACEPARENT, parent.encode()))
    return headers


class EventProducer:
    """Thin wrapper over AIOKafkaProducer; every publish waits for the broker's ack."""

    def __init__(self, settings: KafkaSettings, *, codec: EventCodec | None = None) -> None:
        self._settings = settings
        self._codec = codec
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect to the broker."""
        s = self._settings
        acks: int | str = "all" if s.acks == "all" else int(s.acks)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=s.bootstrap_servers,
            client_id=s.client_id,
            acks=acks,
            enable_idempotence=s.enable_idempotence,
            linger_ms=s.linger_ms,
            max_batch_size=256 * 1024,
            request_timeout_ms=15_000,
        )
        await self._producer.start()

    async def start_when_available(self, stop: asyncio.Event) -> bool:
        """Start, retrying with backoff while the broker is away; False when ``stop`` came first.

        A service started while the broker restarts stays alive and not ready instead of exiting (which
        Kubernetes would turn into a crash loop).
        """
        delay = 0.5
        while not stop.is_set():
            try:
                await self.start()
                log.info("kafka.connected")
                return True
            except (KafkaError, OSError, TimeoutError) as exc:
                log.warning("kafka.unavailable", extra={"error": type(exc).__name__})
                with contextlib.suppress(KafkaError, OSError, TimeoutError):
                    await self.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, 10.0)
        return False

    async def stop(self) -> None:
        """Flush and disconnect."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    @property
    def codec(self) -> EventCodec:
        """The PII codec (raises RuntimeError when the producer was built without one)."""
        if self._codec is None:
            raise RuntimeError("producer has no PII codec")
        return self._codec

    def encode(self, event: EventBase) -> bytes:
        """The record value of ``event``: PII sealed when its type has any."""
        if self._codec is not None:
            return self._codec.encode(event)
        if needs_sealing(event):
            raise RuntimeError(f"{type(event).__name__} carries PII: build the producer with a codec")
        return event.model_dump_json().encode()

    @property
    def producer(self) -> AIOKafkaProducer:
        """The started aiokafka producer."""
        if self._producer is None:
            raise RuntimeError("producer not started")
        return self._producer

    async def publish(self, topic: str, event: EventBase, *, headers: Sequence[Header] = ()) -> None:
        """Send one event and wait for the ack."""
        await self.publish_many(topic, [event], headers=headers)

    async def publish_many(
        self, topic: str, events: Iterable[EventBase], *, headers: Sequence[Header] = ()
    ) -> None:
        """Send events (batched by the client) and wait until the broker acked every one."""
        futures = []
        try:
            for event in events:
                fut = await self.producer.send(
                    topic,
                    value=self.encode(event),
                    key=kafka_key(event.seller_id, event.order_id, event.dedup_key),
                    headers=[*event_headers(event), *headers],
                )
                futures.append(fut)
            if futures:
                await asyncio.gather(*futures)
        except KafkaError as exc:
            raise RetryableError(f"kafka publish failed: {type(exc).__name__}", code="kafka") from exc

    async def send_raw(
        self, topic: str, *, key: bytes | None, value: bytes | None, headers: Sequence[Header] = ()
    ) -> None:
        """Send bytes as they are (dead letters keep the original body) and wait for the ack."""
        try:
            fut = await self.producer.send(topic, value=value, key=key, headers=list(headers))
            await fut
        except KafkaError as exc:
            raise RetryableError(f"kafka publish failed: {type(exc).__name__}", code="kafka") from exc

    async def ping(self) -> bool:
        """True when the client has cluster metadata (used by readiness)."""
        return self._producer is not None and bool(self._producer.client.cluster.brokers())
