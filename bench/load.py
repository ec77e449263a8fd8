"""The load generator: complaint signals on the raw topic, as ingest sends them (PII sealed), in a burst or paced.

Each record is stamped (``time.time()``) right before it is handed to the producer; the latency figures run
from that stamp to the ticket's commit, seen by the same process on the same clock (``bench.commits``).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field

from bench.texts import MARKETPLACES, message
from shared.demo.signals import complaint_signal
from shared.events import ComplaintSignalReceived, kafka_key
from shared.kafka.codec import EventCodec
from shared.kafka.producer import EventProducer, Header, event_headers
from shared.settings import KafkaSettings
from shared.topics import AMAZON_EVENTS

__all__ = ["Encoded", "LoadGenerator"]

_SUBJECTS = {
    "en": "Question about my order",
    "de": "Frage zu meiner Bestellung",
    "fr": "Question sur ma commande",
    "es": "Pregunta sobre mi pedido",
    "it": "Domanda sul mio ordine",
    "ja": "注文について",
}


@dataclass(frozen=True, slots=True)
class Encoded:
    """A record ready to send: its order id (what the ticket is found by), key, value and headers."""

    order_id: str
    key: bytes
    value: bytes
    headers: list[Header]


@dataclass
class LoadGenerator:
    """Builds and sends signals of one seller; ``sent_at`` maps order id -> produce time when ``stamp``."""

    bootstrap: str
    seller: str
    codec: EventCodec
    seed: int = 14
    stamp: bool = True
    topic: str = AMAZON_EVENTS
    sent_at: dict[str, float] = field(default_factory=dict)
    sent: int = 0
    _run: int = field(default_factory=lambda: uuid.uuid4().int % 10_000_000)
    _producer: EventProducer | None = None
    _next: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    async def start(self) -> None:
        """Connect the producer."""
        self._producer = EventProducer(
            KafkaSettings(bootstrap_servers=self.bootstrap, linger_ms=5), codec=self.codec
        )
        await self._producer.start()

    async def stop(self) -> None:
        """Flush and disconnect."""
        if self._producer is not None:
            await self._producer.stop()

    def signal_order(self, i: int) -> str:
        """The order id of signal number ``i``."""
        return f"{100 + i % 900:03d}-{self._run:07d}-{i:07d}"

    def signal(self, i: int) -> ComplaintSignalReceived:
        """Signal number ``i`` of this run (unique order, thread and buyer alias)."""
        msg = message(self._rng)
        marketplace, tld = MARKETPLACES[msg.language]
        dedup = f"bench:{self._run}:{i}"
        alias = f"b{self._run}x{i}@marketplace.amazon.{tld}"
        return complaint_signal(
            seller_id=self.seller,
            order_id=self.signal_order(i),
            text=msg.text,
            subject=_SUBJECTS[msg.language],
            marketplace_id=marketplace,
            buyer_alias=alias,
            reply_to=alias,
            dedup_key=dedup,
            message_id=f"<{dedup}@bench>",
        )

    def encode(self, count: int) -> list[Encoded]:
        """The next ``count`` signals in their wire form."""
        out = []
        first, self._next = self._next, self._next + count
        for i in range(first, first + count):
            s = self.signal(i)
            out.append(
                Encoded(
                    s.order_id or "",
                    kafka_key(s.seller_id, s.order_id, s.dedup_key),
                    self.codec.encode(s),
                    event_headers(s),
                )
            )
        return out

    async def send(self, records: list[Encoded]) -> list[asyncio.Future[object]]:
        """Hand records to the producer (stamped); the futures resolve on the broker's ack."""
        producer = self._wire().producer
        futures = []
        for r in records:
            if self.stamp:
                self.sent_at[r.order_id] = time.time()
            futures.append(await producer.send(self.topic, value=r.value, key=r.key, headers=r.headers))
        self.sent += len(records)
        return futures

    async def burst(self, records: list[Encoded]) -> None:
        """Send pre-encoded records as fast as the producer takes them and wait for every ack."""
        futures: list[asyncio.Future[object]] = []
        for chunk in range(0, len(records), 2000):
            futures += await self.send(records[chunk : chunk + 2000])
        await asyncio.gather(*futures)

    async def paced(self, records: list[Encoded], *, rate: float, tick_s: float = 0.005) -> float:
        """Open loop: send pre-encoded ``records`` at ``rate`` per second, whatever the pipeline does (encoding
        on the fly held the generator below 1,000/s on a busy machine); returns the rate achieved."""
        total = len(records)
        start = time.perf_counter()
        done = 0
        pending: list[asyncio.Future[object]] = []
        while done < total:
            due = min(total, int((time.perf_counter() - start) * rate) + 1)
            if due > done:
                pending += await self.send(records[done:due])
                done = due
                if len(pending) > 5000:
                    await asyncio.gather(*pending)
                    pending = []
            await asyncio.sleep(tick_s)
        await asyncio.gather(*pending)
        return total / (time.perf_counter() - start)

    def _wire(self) -> EventProducer:
        if self._producer is None:
            raise RuntimeError("load generator not started")
        return self._producer
