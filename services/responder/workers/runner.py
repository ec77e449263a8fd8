"""Background tasks of the API process: SLA alerts (Kafka + webhook), the PII retention loop and the gauges
counted in the database (outbox rows by state, tickets by SLA state)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka.errors import KafkaError

from services.responder.api.runtime import ApiRuntime
from services.responder.workers.alerts import run_sla_alerts
from services.responder.workers.gauges import run_gauges
from services.responder.workers.retention import run_retention
from services.responder.workers.webhook import WebhookSender
from shared.kafka.producer import EventProducer

__all__ = ["background_tasks"]

log = logging.getLogger(__name__)


async def _alerts(runtime: ApiRuntime, stop: asyncio.Event) -> None:
    api = runtime.api
    producer = EventProducer(runtime.settings.kafka)
    while not stop.is_set():
        try:
            await producer.start()
            break
        except (KafkaError, OSError) as exc:
            log.warning("sla.broker_unavailable", extra={"error": type(exc).__name__})
            await producer.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=5.0)
    if stop.is_set():
        return
    webhook = None
    if api.sla_webhook_url and api.sla_webhook_secret is not None:
        webhook = WebhookSender(
            url=api.sla_webhook_url,
            secret=api.sla_webhook_secret.get_secret_value(),
            max_attempts=api.webhook_max_attempts,
            backoff_s=api.webhook_backoff_s,
            timeout_s=api.webhook_timeout_s,
        )
    try:
        await run_sla_alerts(
            db=runtime.db,
            publisher=producer,
            window=runtime.sla_window,
            interval_s=api.sla_alert_interval_s,
            stop=stop,
            clock=runtime.clock,
            webhook=webhook,
        )
    finally:
        await producer.stop()
        if webhook is not None:
            await webhook.aclose()


def background_tasks(runtime: ApiRuntime, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    """Start the enabled loops; each returns once ``stop`` is set."""
    tasks: list[asyncio.Task[None]] = [
        asyncio.create_task(
            run_gauges(
                db=runtime.db,
                window=runtime.sla_window,
                interval_s=runtime.api.gauges_interval_s,
                stop=stop,
                clock=runtime.clock,
            ),
            name="gauges",
        )
    ]
    if runtime.api.sla_alerts_enabled:
        tasks.append(asyncio.create_task(_alerts(runtime, stop), name="sla-alerts"))
    if runtime.api.retention_enabled:
        tasks.append(
            asyncio.create_task(
                run_retention(
                    db=runtime.db,
                    retention_days=runtime.settings.responder.pii_retention_days,
                    interval_s=runtime.api.retention_interval_s,
                    stop=stop,
                    clock=runtime.clock,
                    processed_retention_days=runtime.api.processed_events_retention_days,
                ),
                name="pii-retention",
            )
        )
    return tasks
