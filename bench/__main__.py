"""`make bench`: every figure measured in this run on this machine, with the ratios that matter."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.kafka_bench import raw_kafka_throughput
from bench.load import LoadGenerator
from bench.passthrough import passthrough_rate
from bench.pipeline_bench import bench_env, burst, open_loop, prepare
from bench.services import Services
from complaints.db.migrate import upgrade_head_async
from complaints.devrun.processes import service_env
from shared.kafka.codec import EventCodec
from shared.runtime import run_main
from shared.settings import PiiSettings
from shared.stack.kafka import kafka_broker
from shared.stack.postgres import create_database, drop_database, postgres_server
from shared.topics import ALL_TOPICS, AMAZON_EVENTS, CLASSIFIED

SELLER = "A2BENCHSELLER1"


def say(text: str) -> None:
    """Print one line now."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _knob(name: str, default: str) -> str:
    return os.environ.get(name, default) or default


async def kafka_and_pipeline(events: int) -> None:
    """Raw broker, the two-process passthrough, then the pipeline with auto-replies: burst, open-loop latency,
    RSS, scale-out; one dedicated broker and database. Knobs: BENCH_EVENTS (burst size), BENCH_SECONDS
    (each open-loop run), BENCH_RATES (open-loop rates, comma separated), BENCH_SCALE=0 (skip scale-out), BENCH_LOG_DIR (keep the services'
    logs there)."""
    seconds = float(_knob("BENCH_SECONDS", "60"))
    rates = [float(r) for r in _knob("BENCH_RATES", "200,1000").split(",") if r.strip()]
    async with kafka_broker(topics=ALL_TOPICS, environ={}) as broker, postgres_server() as pg:
        produce, consume = await raw_kafka_throughput(broker.bootstrap_servers)
        say(f"kafka raw: produce {produce:,.0f} msg/s (acks=all), consume {consume:,.0f} msg/s")
        name = f"bench_{uuid.uuid4().hex[:8]}"
        url = await create_database(pg.admin_url, name)
        try:
            await upgrade_head_async(url)
            env = service_env(
                {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers, "DATABASE_URL": url},
                seller_id=SELLER,
                extra=bench_env(SELLER),
            )
            pii_key = env["RESPONDER_PII_ENCRYPTION_KEY"]
            passthrough = await passthrough_rate(
                bootstrap=broker.bootstrap_servers, seller=SELLER, pii_key=pii_key, events=events
            )
            say(
                f"passthrough, two processes (consume, open+validate+seal+encode, produce; drain): "
                f"{passthrough:,.0f} msg/s over {events:,}"
            )
            with tempfile.TemporaryDirectory() as tmp:
                await _pipeline(
                    env,
                    Path(
                        _knob("BENCH_LOG_DIR", tmp)
                    ),  # the services' logs, kept when named (created on start)
                    url=url,
                    bootstrap=broker.bootstrap_servers,
                    events=events,
                    passthrough=passthrough,
                    seconds=seconds,
                    rates=rates,
                )
        finally:
            await drop_database(pg.admin_url, name)


async def _pipeline(
    env: dict[str, str],
    log_dir: Path,
    *,
    url: str,
    bootstrap: str,
    events: int,
    passthrough: float,
    seconds: float,
    rates: list[float],
) -> None:
    codec = EventCodec.from_settings(PiiSettings(encryption_key=env["RESPONDER_PII_ENCRYPTION_KEY"]))
    watch = await prepare(url)
    load = LoadGenerator(bootstrap, SELLER, codec)
    await load.start()
    services = Services(env=env, log_dir=log_dir)
    try:
        await services.start()
        await burst(load, watch, services, database_url=url, events=min(events, 1000))  # warm-up
        b = await burst(load, watch, services, database_url=url, events=events)
        say(
            f"pipeline, auto-replies on (raw topic -> ticket + outbox row committed): {b.per_second:,.0f} "
            f"complaints/s over {b.events:,} ({b.outbox_rows:,} replies queued); ratio to the passthrough "
            f"{b.per_second / passthrough:.3f}; burst latency p50 {b.p50_ms:,.0f} ms, p99 {b.p99_ms:,.0f} ms"
        )
        for svc in ("classifier", "responder"):
            say(
                f"   {svc}: {b.cpu_s.get(svc, 0):,.1f} CPU s for the burst = "
                f"{b.per_core_second(svc):,.0f} complaints per core-second"
            )
        for rate in rates:
            lat = await open_loop(load, watch, rate=rate, seconds=seconds, progress=say)
            say(
                f"open loop {lat.rate:,.0f}/s for {lat.seconds:.0f} s (sent at {lat.achieved:,.0f}/s, "
                f"{lat.committed:,}/{lat.sent:,} committed): produce -> ticket committed p50 {lat.p50_ms:,.0f} ms, "
                f"p99 {lat.p99_ms:,.0f} ms, max {lat.max_ms:,.0f} ms"
            )
        say("RSS at the end: " + ", ".join(f"{k} {v:,.0f} MiB" for k, v in services.rss().items()))
        await services.stop()
        if _knob("BENCH_SCALE", "1") != "0":
            say(
                f"scale-out (same consumer groups, {_partitions()} partitions per topic), burst of {events:,} "
                "each, the one-and-one run again first (other load on the machine moves between runs):"
            )
            base = 0.0
            for c, r in ((1, 1), (2, 1), (1, 2), (2, 2)):
                await services.start(classifiers=c, responders=r)
                try:
                    await burst(load, watch, services, database_url=url, events=min(events, 1000))
                    s = await burst(load, watch, services, database_url=url, events=events)
                finally:
                    await services.stop()
                base = base or s.per_second
                say(
                    f"   {c} classifier{'s' if c > 1 else ''} + {r} responder{'s' if r > 1 else ''}: "
                    f"{s.per_second:,.0f} complaints/s ({s.per_second / base:.2f}x); per core-second: "
                    f"classifier {s.per_core_second('classifier'):,.0f}, responder {s.per_core_second('responder'):,.0f}"
                )
    finally:
        await services.stop()
        await load.stop()
        await watch.stop()


def _partitions() -> str:
    by_name = {t.name: t.partitions for t in ALL_TOPICS}
    return f"{by_name[AMAZON_EVENTS]}/{by_name[CLASSIFIED]}"


def _sections(events: int) -> list[tuple[str, Callable[[], None]]]:
    from bench import api_bench, classifier_bench, outbound_bench, replies_bench

    return [
        ("kafka raw, passthrough and the pipeline", lambda: run_main(kafka_and_pipeline(events))),
        ("classifier", lambda: classifier_bench.main([])),
        ("internal API (one uvicorn worker)", api_bench.main),
        ("compliance lint (per message, ratios to baselines of this run)", replies_bench.lint_section),
        ("reply composition (policy + render + lint + outbox row)", replies_bench.compose_section),
        ("outbound sends vs the SP-API allowed rate (1,000 sellers)", outbound_bench.main),
    ]


def main() -> None:
    """Run every section; a failing section prints its error and the others still run."""
    events = int(sys.argv[1]) if len(sys.argv) > 1 else int(_knob("BENCH_EVENTS", "20000"))
    sys.argv = sys.argv[:1]  # the sections read their own defaults
    only = _knob("BENCH_ONLY", "").lower()  # e.g. BENCH_ONLY=pipeline: the sections whose title has it
    for title, section in _sections(events):
        if only and only not in title.lower():
            continue
        say(f"== {title}")
        try:
            section()
        except Exception as exc:  # noqa: BLE001  # one broken section must not hide the others
            say(f"   failed: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
