"""`complaints ingest`: SQS receivers, the inbound HTTP endpoints (with health routes) and the reports backfill.

Shutdown on SIGTERM/SIGINT: readiness turns 503, receivers stop asking SQS for more, batches in hand are
published, acked and deleted, in-flight HTTP requests finish, then the producer flushes and the process exits.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable
from contextlib import AsyncExitStack
from typing import Any

import uvicorn

from services.ingest.aws import S3MailStore, create_client
from services.ingest.backfill import run_backfill
from services.ingest.deps import IngestDeps
from services.ingest.http import create_app
from services.ingest.intake import Intake
from services.ingest.ledger import run_ledger_pruning
from services.ingest.settings import IngestServiceSettings
from services.ingest.sqs import SqsPoller
from shared.db.session import Database
from shared.health import HealthState, QuietServer
from shared.kafka.codec import EventCodec
from shared.kafka.producer import EventProducer
from shared.logging import configure_logging
from shared.runtime import run_main
from shared.spapi import SpApiClient
from shared.tracing import configure_tracing, instrument_app

__all__ = ["main", "run"]

log = logging.getLogger(__name__)

_HOST = "0.0.0.0"  # containers listen on all interfaces; probes come from the kubelet


async def run(settings: IngestServiceSettings, stop: asyncio.Event, health: HealthState) -> None:
    """Run every ingest component until ``stop`` is set, then drain them in order."""
    async with AsyncExitStack() as stack:
        db = Database(settings.database)
        stack.push_async_callback(db.dispose)
        # Buyer PII leaves ingest sealed (events and rejected raw inputs): the producer holds the key ring.
        producer = EventProducer(settings.kafka, codec=EventCodec.from_settings(settings.pii))
        stack.push_async_callback(producer.stop)
        sqs = await stack.enter_async_context(
            create_client("sqs", settings.aws, read_timeout=settings.ingest.sqs_wait_seconds + 15)
        )
        s3 = await stack.enter_async_context(create_client("s3", settings.aws))
        spapi = SpApiClient(settings.spapi) if settings.spapi.refresh_tokens else None
        if spapi is not None:
            stack.push_async_callback(spapi.aclose)
        deps = IngestDeps(
            db=db,
            producer=producer,
            intake=Intake(
                default_seller_id=settings.ingest.default_seller_id or None,
                recipient_sellers={k.lower(): v for k, v in settings.ingest.recipient_sellers.items()},
                subscription_sellers=settings.ingest.subscription_sellers,
                mail_store=S3MailStore(s3),
            ),
            settings=settings.ingest,
            reports_api=spapi,
        )
        health.add_check("database", db.ping)
        health.add_check("kafka", producer.ping)
        app = create_app(deps=deps, health=health)
        instrument_app(app)
        server = QuietServer(
            uvicorn.Config(
                app,
                host=_HOST,
                port=settings.ingest.http_port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
        )
        # HTTP first: /healthz must answer while the broker is still unreachable.
        http_task = asyncio.create_task(server.serve())
        workers: list[Awaitable[object]] = [producer.start_when_available(stop)]
        workers += [SqsPoller(sqs, url, deps=deps).run(stop) for url in settings.ingest.sqs_queue_urls]
        workers.append(run_backfill(stop, deps=deps, sellers=settings.spapi.refresh_tokens.keys()))
        workers.append(
            run_ledger_pruning(
                stop,
                db=db,
                retention_days=settings.ingest.seen_retention_days,
                interval_s=settings.ingest.seen_prune_interval_s,
            )
        )
        tasks = [asyncio.ensure_future(worker) for worker in workers]
        log.info(
            "ingest.started",
            extra={"queues": len(settings.ingest.sqs_queue_urls), "port": settings.ingest.http_port},
        )
        try:
            await _until(stop, [*tasks, http_task])
        finally:
            stop.set()
            # Receivers finish their batches (deletes after acks); only then does HTTP stop and Kafka flush.
            await asyncio.gather(*tasks, return_exceptions=True)
            server.should_exit = True
            await asyncio.gather(http_task, return_exceptions=True)
    log.info("ingest.stopped")


async def _until(stop: asyncio.Event, tasks: list[asyncio.Future[Any]]) -> None:
    """Wait for ``stop``; a component that crashes first raises here (the process exits non-zero)."""
    waiter = asyncio.ensure_future(stop.wait())
    pending: set[asyncio.Future[Any]] = {waiter, *tasks}
    try:
        while not stop.is_set():
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not waiter:
                    task.result()
    finally:
        waiter.cancel()


async def _serve(settings: IngestServiceSettings) -> None:
    stop = asyncio.Event()
    health = HealthState()
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        log.info("service.signal", extra={"service": "ingest", "signal": sig.name})
        health.draining = True
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        await run(settings, stop, health)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def main() -> None:
    """Entry point."""
    settings = IngestServiceSettings()
    configure_logging(settings.log_level, journey=settings.log_journey)
    configure_tracing("ingest", settings.tracing)
    run_main(_serve(settings))


if __name__ == "__main__":
    main()
