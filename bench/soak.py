"""`make soak`: SOAK_N complaints through the running services, RSS of each process every SOAK_EVERY (100k).

The classifier and the responder run as processes with automatic replies on (the bench's settings: the sender
is parked, the outbox row is the end). The generator is paced (SOAK_RATE per second) and keeps at most
SOAK_WINDOW complaints in flight (sent, not yet committed), so neither it nor the broker holds the run in
memory. At the end: whether each process's RSS over the last half of the run stayed within 10 % and under
250 MB (issue 14's bar for the last 500k of a million).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.commits import CommitWatch, install_trigger
from bench.load import LoadGenerator
from bench.pipeline_bench import bench_env
from bench.services import Services
from complaints.db.migrate import upgrade_head_async
from complaints.devrun.processes import service_env
from shared.kafka.codec import EventCodec
from shared.runtime import run_main
from shared.settings import PiiSettings
from shared.stack.kafka import kafka_broker
from shared.stack.postgres import create_database, drop_database, postgres_server
from shared.topics import ALL_TOPICS

__all__ = ["main", "verdict"]

SELLER = "A2SOAKSELLER1"
LIMIT_MB = 250.0
FLAT = 0.10


def say(text: str) -> None:
    """Print one line now."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def verdict(samples: list[tuple[int, dict[str, float]]], total: int) -> list[tuple[str, bool]]:
    """Per process: RSS over the samples of the last half of the run, within 10 % and under 250 MB?"""
    late = [rss for n, rss in samples if n >= total // 2] or [samples[-1][1]]
    lines = []
    for label in late[-1]:
        values = [s[label] for s in late if label in s]
        low, high = min(values), max(values)
        flat = (high - low) <= FLAT * low
        ok = flat and high <= LIMIT_MB
        line = (
            f"   {label}: {low:,.0f}-{high:,.0f} MiB over the last half ({(high - low) / low:.1%} spread): "
            f"{'ok' if ok else 'NOT ok'} (flat within 10 %: {flat}; under {LIMIT_MB:.0f} MB: {high <= LIMIT_MB})"
        )
        lines.append((line, ok))
    return lines


async def soak(total: int, rate: float, window: int, every: int) -> bool:
    """Run the soak; True when every process stayed flat and under the limit."""
    async with kafka_broker(topics=ALL_TOPICS, environ={}) as broker, postgres_server() as pg:
        name = f"soak_{uuid.uuid4().hex[:8]}"
        url = await create_database(pg.admin_url, name)
        try:
            await upgrade_head_async(url)
            await install_trigger(url)
            env = service_env(
                {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers, "DATABASE_URL": url},
                seller_id=SELLER,
                extra=bench_env(SELLER),
            )
            codec = EventCodec.from_settings(PiiSettings(encryption_key=env["RESPONDER_PII_ENCRYPTION_KEY"]))
            watch = CommitWatch(url, keep=False)
            await watch.start()
            load = LoadGenerator(broker.bootstrap_servers, SELLER, codec, stamp=False)
            await load.start()
            with tempfile.TemporaryDirectory() as tmp:
                services = Services(env=env, log_dir=Path(tmp))
                try:
                    await services.start()
                    say("start: " + _rss(services))
                    samples = await _run(
                        load, watch, services, total=total, rate=rate, window=window, every=every
                    )
                finally:
                    await services.stop()
                    await load.stop()
                    await watch.stop()
            lines = verdict(samples, total)
            say(f"verdict over the last {total - total // 2:,} complaints:")
            for line, _ in lines:
                say(line)
            return all(ok for _, ok in lines)
        finally:
            await drop_database(pg.admin_url, name)


async def _run(
    load: LoadGenerator,
    watch: CommitWatch,
    services: Services,
    *,
    total: int,
    rate: float,
    window: int,
    every: int,
) -> list[tuple[int, dict[str, float]]]:
    samples: list[tuple[int, dict[str, float]]] = []
    start = time.perf_counter()
    next_mark = min(every, total)
    pending: list[asyncio.Future[object]] = []
    while watch.count < total:
        due = min(total, int((time.perf_counter() - start) * rate) + 1) - load.sent
        room = window - (load.sent - watch.count)
        n = min(due, room, 2000)
        if n > 0:
            pending += await load.send(load.encode(n))
            if len(pending) > 5000:
                await asyncio.gather(*pending)
                pending = []
        if watch.count >= next_mark:
            elapsed = time.perf_counter() - start
            samples.append((next_mark, services.rss()))
            say(f"{next_mark:>10,} committed ({watch.count / elapsed:,.0f}/s): " + _rss(services))
            next_mark = min(next_mark + every, total)
        await asyncio.sleep(0.01)
    await asyncio.gather(*pending)
    if not samples or samples[-1][0] != total:
        samples.append((total, services.rss()))
        say(f"{total:>10,} committed: " + _rss(services))
    return samples


def _rss(services: Services) -> str:
    return ", ".join(f"{k} {v:,.0f} MiB" for k, v in services.rss().items())


def main() -> None:
    """SOAK_N (default 1,000,000), SOAK_EVERY (RSS lines, default 100,000), SOAK_RATE (default 2,000/s),
    SOAK_WINDOW (default 20,000)."""
    total = int(os.environ.get("SOAK_N") or 1_000_000)
    rate = float(os.environ.get("SOAK_RATE") or 2000)
    window = int(os.environ.get("SOAK_WINDOW") or 20_000)
    every = int(os.environ.get("SOAK_EVERY") or 100_000)
    say(f"soak: {total:,} complaints at up to {rate:,.0f}/s, at most {window:,} in flight")
    ok = run_main(soak(total, rate, window, every))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
