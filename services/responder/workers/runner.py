"""Background tasks of the API process: SLA and account-health alerts (Kafka + webhook), generic webhook
deliveries, the PII retention loop, the Zendesk sync and the gauges counted in the database (outbox rows by
state, tickets by SLA state)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka.errors import KafkaError

from services.responder.api.runtime import ApiRuntime
from services.responder.health.spikes import SpikePolicy
from services.responder.helpdesk.sync import ZendeskSync
from services.responder.webhooks.delivery import DeliveryPolicy, WebhookDispatcher, run_webhook_deliveries
from services.responder.workers.alerts import run_sla_alerts
from services.responder.workers.gauges import run_gauges
from services.responder.workers.health_alerts import run_health_alerts
from services.responder.workers.retention import run_retention
from services.responder.workers.webhook import WebhookSender
from shared.kafka.producer import EventProducer

__all__ = ["background_tasks"]

log = logging.getLogger(__name__)


async def _started_producer(runtime: ApiRuntime, stop: asyncio.Event) -> EventProducer | None:
    """A producer once the broker answers; None when ``stop`` came first."""
    producer = EventProducer(runtime.settings.kafka)
    while not stop.is_set():
        try:
            await producer.start()
            return producer
        except (KafkaError, OSError) as exc:
            log.warning("sla.broker_unavailable", extra={"error": type(exc).__name__})
            await producer.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=5.0)
    return None


def _webhook(runtime: ApiRuntime) -> WebhookSender | None:
    api = runtime.api
    if not api.sla_webhook_url or api.sla_webhook_secret is None:
        return None
    return WebhookSender(
        url=api.sla_webhook_url,
        secret=api.sla_webhook_secret.get_secret_value(),
        max_attempts=api.webhook_max_attempts,
        backoff_s=api.webhook_backoff_s,
        timeout_s=api.webhook_timeout_s,
    )


async def _alerts(runtime: ApiRuntime, stop: asyncio.Event) -> None:
    api = runtime.api
    producer = await _started_producer(runtime, stop)
    if producer is None:
        return
    webhook = _webhook(runtime)
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


async def _webhooks(runtime: ApiRuntime, stop: asyncio.Event) -> None:
    api = runtime.api
    senders = {
        sub.name: WebhookSender(
            url=sub.url,
            secret=sub.secret.get_secret_value(),
            max_attempts=1,  # the delivery rows keep the retry schedule
            backoff_s=api.webhook_backoff_s,
            timeout_s=api.webhook_timeout_s,
        )
        for sub in runtime.settings.responder.webhooks
    }
    policy = DeliveryPolicy(backoff_s=api.webhook_backoff_s)  # 10 attempts, backoff up to 10 minutes
    dispatcher = WebhookDispatcher(db=runtime.db, senders=senders, policy=policy, clock=runtime.clock)
    try:
        await run_webhook_deliveries(dispatcher, interval_s=1.0, stop=stop)
    finally:
        for sender in senders.values():
            await sender.aclose()


async def _health(runtime: ApiRuntime, stop: asyncio.Event) -> None:
    api = runtime.api
    producer = await _started_producer(runtime, stop)
    if producer is None:
        return
    webhook = _webhook(runtime)
    policy = SpikePolicy(
        baseline_days=api.spike_baseline_days, min_count=api.spike_min_count, alpha=api.spike_alpha
    )
    try:
        await run_health_alerts(
            db=runtime.db,
            publisher=producer,
            policy=policy,
            interval_s=api.spike_alert_interval_s,
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
    if runtime.settings.responder.webhooks:
        tasks.append(asyncio.create_task(_webhooks(runtime, stop), name="webhook-deliveries"))
    if runtime.api.spike_alerts_enabled:
        tasks.append(asyncio.create_task(_health(runtime, stop), name="health-alerts"))
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
    helpdesk = runtime.settings.helpdesk
    if helpdesk.zendesk:
        sync = ZendeskSync(db=runtime.db, settings=helpdesk, cipher=runtime.cipher, clock=runtime.clock)
        tasks.append(asyncio.create_task(sync.run(stop), name="zendesk-sync"))
    return tasks
