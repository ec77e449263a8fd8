"""Skeleton pipeline: events on the raw topic -> classifier -> responder -> tickets committed."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from services.responder.tables import Ticket
from shared.demo.signals import complaint_signal
from shared.events import ComplaintSignalReceived
from shared.kafka.codec import EventCodec
from shared.kafka.producer import EventProducer
from shared.settings import KafkaSettings
from shared.topics import AMAZON_EVENTS

__all__ = ["PipelineResult", "pipeline_throughput"]

_TEXTS = (
    "My package never arrived and the delivery date has passed.",
    "Das Paket ist nicht angekommen.",
    "商品が届いていません。",
    "The item arrived broken and does not work.",
    "Wrong colour, I ordered blue and got red.",
)


@dataclass(frozen=True, slots=True)
class PipelineResult:
    """Throughput and latency of one run."""

    events: int
    per_second: float
    p50_ms: float
    p99_ms: float


def _signal(i: int, seller: str, run: str) -> ComplaintSignalReceived:
    dedup = f"bench:{run}:{i}"
    return complaint_signal(
        seller_id=seller,
        order_id=f"{100 + i % 800:03d}-{i:07d}-{int(run[:6], 16) % 10_000_000:07d}",
        text=_TEXTS[i % len(_TEXTS)],
        buyer_alias=f"buyer{i}@marketplace.amazon.com",
        dedup_key=dedup,
        reply_to=f"buyer{i}@marketplace.amazon.com",
        message_id=f"<{dedup}@bench>",
    )


async def pipeline_throughput(
    *, bootstrap: str, database_url: str, seller: str, events: int, log_dir: Path, codec: EventCodec
) -> PipelineResult:
    """Produce ``events`` signals (PII sealed, as ingest sends them) and wait until every ticket is committed."""
    run = uuid.uuid4().hex
    signals = [_signal(i, seller, run) for i in range(events)]
    producer = EventProducer(KafkaSettings(bootstrap_servers=bootstrap, linger_ms=5), codec=codec)
    await producer.start()
    sent_at: dict[str, float] = {}
    start = time.time()
    for chunk in range(0, events, 1000):
        batch = signals[chunk : chunk + 1000]
        await producer.publish_many(AMAZON_EVENTS, batch)
        now = time.time()
        for s in batch:
            sent_at[s.order_id or ""] = now
    await producer.stop()
    engine = create_async_engine(database_url)
    try:
        async with asyncio.timeout(600):
            while True:
                async with engine.connect() as conn:
                    n = int((await conn.execute(select(func.count()).select_from(Ticket))).scalar_one())
                if n >= events:
                    break
                await asyncio.sleep(0.2)
        elapsed = time.time() - start
        async with engine.connect() as conn:
            rows = (await conn.execute(select(Ticket.order_id, Ticket.created_at))).all()
    finally:
        await engine.dispose()
    latencies = sorted(
        max(0.0, created.timestamp() - sent_at[order]) * 1000 for order, created in rows if order in sent_at
    )
    return PipelineResult(
        events=events,
        per_second=events / elapsed,
        p50_ms=latencies[len(latencies) // 2],
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    )
