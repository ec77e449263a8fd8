"""`make bench`: every figure measured in this run on this machine, with the ratios that matter."""

from __future__ import annotations

import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.kafka_bench import raw_kafka_throughput
from bench.pipeline_bench import pipeline_throughput
from complaints.db.migrate import upgrade_head_async
from complaints.devrun.processes import SystemProcesses, service_env
from shared.kafka.codec import EventCodec
from shared.runtime import run_main
from shared.settings import PiiSettings
from shared.stack.kafka import kafka_broker
from shared.stack.postgres import create_database, drop_database, postgres_server
from shared.topics import ALL_TOPICS

SELLER = "A2BENCHSELLER1"


def say(text: str) -> None:
    """Print one line now."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def kafka_and_pipeline(events: int) -> None:
    """Raw broker ceiling vs the skeleton pipeline, on one dedicated broker and database."""
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
                extra={"RESPONDER_AUTO_REPLY": "false", "LOG_LEVEL": "WARNING"},
            )
            with tempfile.TemporaryDirectory() as tmp:
                system = SystemProcesses(env=env, log_dir=Path(tmp))
                await system.start(("classifier", "responder"))
                try:
                    result = await pipeline_throughput(
                        bootstrap=broker.bootstrap_servers,
                        database_url=url,
                        seller=SELLER,
                        events=events,
                        log_dir=Path(tmp),
                        codec=EventCodec.from_settings(
                            PiiSettings(encryption_key=env["RESPONDER_PII_ENCRYPTION_KEY"])
                        ),
                    )
                finally:
                    await system.stop()
            raw = min(produce, consume)
            say(
                f"pipeline raw topic -> tickets committed: {result.per_second:,.0f} events/s over {result.events:,} "
                f"events; latency p50 {result.p50_ms:,.0f} ms, p99 {result.p99_ms:,.0f} ms"
            )
            say(f"ratio pipeline / raw kafka: {result.per_second / raw:.3f}")
        finally:
            await drop_database(pg.admin_url, name)


def _sections(events: int) -> list[tuple[str, Callable[[], None]]]:
    from bench import api_bench, classifier_bench, outbound_bench, replies_bench

    return [
        ("kafka raw vs skeleton pipeline", lambda: run_main(kafka_and_pipeline(events))),
        ("classifier", lambda: classifier_bench.main([])),
        ("internal API (one uvicorn worker)", api_bench.main),
        ("compliance lint (per message, ratios to baselines of this run)", replies_bench.lint_section),
        ("reply composition (policy + render + lint + outbox row)", replies_bench.compose_section),
        ("outbound sends vs the SP-API allowed rate (1,000 sellers)", outbound_bench.main),
    ]


def main() -> None:
    """Run every section; a failing section prints its error and the others still run."""
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    sys.argv = sys.argv[:1]  # the sections read their own defaults
    for title, section in _sections(events):
        say(f"== {title}")
        try:
            section()
        except Exception as exc:  # noqa: BLE001  # one broken section must not hide the others
            say(f"   failed: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
