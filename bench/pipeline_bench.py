"""The pipeline with automatic replies on: raw topic -> classifier -> responder -> ticket and outbox row committed.

Figures, all from one run on one broker and one database: a burst's throughput (complaints/s, outbox rows
queued, CPU seconds of each service, so complaints per core-second), open-loop latency at steady rates
(produce -> ticket committed, ``bench.commits``), RSS of each process, and the burst again with two
classifier and/or two responder processes in the same consumer groups (the topics' partitions are the unit
of scale). The outbox sender is parked (it polls once an hour, and the bench seller's daily budget is zero),
so nothing leaves: the queued outbox row is where a complaint ends here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from bench.commits import CommitWatch, install_trigger, percentile
from bench.load import LoadGenerator
from bench.services import Services

__all__ = ["Burst", "Latency", "bench_env", "burst", "open_loop"]


@dataclass(frozen=True, slots=True)
class Burst:
    """One burst: throughput, replies queued, latency and CPU seconds per service."""

    events: int
    per_second: float
    outbox_rows: int
    p50_ms: float
    p99_ms: float
    cpu_s: dict[str, float]

    def per_core_second(self, service: str) -> float:
        """Complaints one core of ``service`` handles per second (events over its CPU seconds)."""
        used = self.cpu_s.get(service, 0.0)
        return self.events / used if used else 0.0


@dataclass(frozen=True, slots=True)
class Latency:
    """An open-loop run at ``rate``: produce -> commit percentiles of the complaints committed."""

    rate: float
    seconds: float
    achieved: float
    committed: int
    sent: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def bench_env(seller: str) -> dict[str, str]:
    """Service settings of the bench: auto-replies on, quiet logs, no message leaves (budget zero)."""
    return {
        # A batch is seconds of CPU on a machine this busy: the production session timeout, not the local 2 s.
        "KAFKA_SESSION_TIMEOUT_MS": "10000",
        "KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
        "RESPONDER_AUTO_REPLY": "true",
        "RESPONDER_SEND_BUDGET_LIMITS": json.dumps({seller: 0}),
        # The sender polls once an hour: with a budget of zero it would claim every row only to defer it to
        # tomorrow (a timeline entry each), work that is not the pipeline's and would blur its figures.
        "RESPONDER_SENDER_POLL_INTERVAL_S": "3600",
        "LOG_LEVEL": "WARNING",
    }


async def prepare(database_url: str) -> CommitWatch:
    """Install the commit trigger and start listening."""
    await install_trigger(database_url)
    watch = CommitWatch(database_url)
    await watch.start()
    return watch


async def outbox_rows(database_url: str, orders: list[str]) -> int:
    """Outbox rows queued for these orders."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        n = await conn.fetchval(
            "SELECT count(*) FROM outbox_messages WHERE order_id = ANY($1::text[])", orders
        )
    finally:
        await conn.close()
    return int(n or 0)


async def burst(
    load: LoadGenerator, watch: CommitWatch, services: Services, *, database_url: str, events: int
) -> Burst:
    """Send ``events`` pre-encoded signals at once; time from the first produce to the last ticket commit."""
    records = load.encode(events)
    orders = [r.order_id for r in records]
    cpu_before = services.cpu()
    start = time.time()
    await load.burst(records)
    if not await watch.wait_for(orders, within=max(120.0, events / 50)):
        raise RuntimeError(f"burst: {watch.missing} of {events} tickets not committed in time")
    elapsed = max(watch.committed[o] for o in orders) - start
    cpu_after = services.cpu()
    lat = watch.latencies_ms(load.sent_at, orders)
    return Burst(
        events=events,
        per_second=events / elapsed,
        outbox_rows=await outbox_rows(database_url, orders),
        p50_ms=percentile(lat, 0.5),
        p99_ms=percentile(lat, 0.99),
        cpu_s={k: cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after},
    )


async def open_loop(
    load: LoadGenerator,
    watch: CommitWatch,
    *,
    rate: float,
    seconds: float,
    drain_s: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> Latency:
    """``rate`` signals per second for ``seconds``, then wait for their tickets (at most ``drain_s``, by
    default two minutes plus 20 ms per signal: a pipeline slower than the rate works off a backlog)."""
    records = load.encode(int(rate * seconds))
    total = len(records)
    drain_s = drain_s if drain_s is not None else 120.0 + total / 50
    achieved = await load.paced(records, rate=rate)
    orders = [r.order_id for r in records]
    if not await watch.wait_for(orders, within=drain_s) and progress is not None:
        progress(
            f"   {watch.missing} of {total} tickets still not committed {drain_s:.0f} s after the last send"
        )
    lat = watch.latencies_ms(load.sent_at, orders)
    return Latency(
        rate=rate,
        seconds=seconds,
        achieved=achieved,
        committed=len(lat),
        sent=total,
        p50_ms=percentile(lat, 0.5),
        p99_ms=percentile(lat, 0.99),
        max_ms=lat[-1] if lat else 0.0,
    )
