"""The account-health alert loop of the API process: ASIN spikes and early ODR warnings, then the webhook.

Each pass commits its alerts first (``spikes``, ``odr_warnings``); the signed webhook is called afterwards,
never while holding row locks, as for SLA alerts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from services.responder.health.spikes import SpikePolicy
from services.responder.workers.alerts import Publisher
from services.responder.workers.odr_warnings import odr_warning_pass
from services.responder.workers.spikes import spike_pass
from services.responder.workers.webhook import WebhookSender
from shared.db.session import Database
from shared.errors import RetryableError
from shared.events import AsinComplaintSpikeDetected, OdrThresholdCrossed

__all__ = ["run_health_alerts"]

log = logging.getLogger(__name__)

HealthAlert = AsinComplaintSpikeDetected | OdrThresholdCrossed


async def _guarded(name: str, one_pass: Awaitable[Sequence[HealthAlert]]) -> Sequence[HealthAlert]:
    try:
        return await one_pass
    except RetryableError as exc:
        log.warning("health.pass_failed", extra={"pass": name, "error": exc.code})
    except Exception as exc:  # noqa: BLE001  # one failed pass must not end the loop; the next one retries
        log.error("health.pass_failed", extra={"pass": name, "exc_type": type(exc).__name__})
    return ()


async def run_health_alerts(
    *,
    db: Database,
    publisher: Publisher,
    policy: SpikePolicy,
    interval_s: float,
    stop: asyncio.Event,
    clock: Callable[[], datetime],
    webhook: WebhookSender | None = None,
) -> None:
    """Run both passes every ``interval_s`` until ``stop`` (the API process runs this)."""
    while not stop.is_set():
        now = clock()
        raised = [
            *await _guarded("spikes", spike_pass(db=db, publisher=publisher, now=now, policy=policy)),
            *await _guarded("odr", odr_warning_pass(db=db, publisher=publisher, now=now)),
        ]
        if webhook is not None and raised:
            await asyncio.gather(
                *(
                    webhook.deliver(
                        e.model_dump_json().encode(), event_type=e.event_type, event_id=str(e.event_id)
                    )
                    for e in raised
                )
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
