"""`python -m services.ingest` as a real process: kill -9 mid-batch, restart, and every message is one event."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from shared.events import parse_amazon_event
from shared.stack import StackEndpoints
from shared.stack.ports import LOOPBACK, free_port
from shared.topics import AMAZON_EVENTS
from tests.ingest.kafka_read import read_all
from tests.ingest.payloads import SELLER, order_change
from tests.ingest.support import eventually, queue_empty

if TYPE_CHECKING:
    from types_aiobotocore_sqs.client import SQSClient

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


class IngestProcess:
    """A running ingest process whose JSON log lines are read as they come."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.events: list[str] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for line in self.proc.stdout:
            with contextlib.suppress(ValueError):
                event = json.loads(line).get("event", "")
                async with self._changed:
                    self.events.append(event)
                    self._changed.notify_all()

    async def wait_for_log(self, event: str) -> None:
        """Until the process logged ``event``."""
        async with self._changed:
            await self._changed.wait_for(lambda: event in self.events)

    async def finish(self) -> int:
        """Wait for the exit; its code."""
        code = await self.proc.wait()
        await self._reader
        return code


@asynccontextmanager
async def ingest_process(env: Mapping[str, str]) -> AsyncIterator[IngestProcess]:
    """Start the service; it is killed at the end if the test left it running."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.ingest",
        cwd=REPO,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    running = IngestProcess(proc)
    try:
        yield running
    finally:
        if proc.returncode is None:
            proc.kill()
        await running.finish()


async def _when_listening(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """GET ``url`` once the server accepts connections (it binds shortly after start)."""
    async with asyncio.timeout(20):
        while True:
            with contextlib.suppress(httpx.ConnectError):
                return await client.get(url)
            await asyncio.sleep(0.1)


async def _kill_when(env: Mapping[str, str], event: str) -> None:
    async with ingest_process(env) as running:
        await asyncio.wait_for(running.wait_for_log(event), 30)
        running.proc.send_signal(signal.SIGKILL)
        assert await running.finish() == -signal.SIGKILL


async def test_kill_9_mid_batch_then_restart_yields_each_message_once(
    stack_endpoints: StackEndpoints,
    migrated_db: str,
    sqs: SQSClient,
    queue_url: str,
    kafka_bootstrap: str,
) -> None:
    notifications = [order_change(order_id=f"111-0000000-{n:07d}") for n in range(20)]
    keys = {f"spapi:{note['NotificationMetadata']['NotificationId']}" for note in notifications}
    for note in notifications:
        await sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(note))
    port = free_port()
    env = {
        **stack_endpoints.env(),
        "DATABASE_URL": migrated_db,
        "INGEST_SQS_QUEUE_URLS": json.dumps([queue_url]),
        # One receiver: one batch in flight at each kill, which bounds what a kill can make repeat.
        "INGEST_SQS_RECEIVERS": "1",
        "INGEST_SQS_WAIT_SECONDS": "1",
        "INGEST_SQS_VISIBILITY_TIMEOUT": "5",
        "INGEST_DEFAULT_SELLER_ID": SELLER,
        "INGEST_HTTP_PORT": str(port),
        "INGEST_REPORT_BACKFILL_HOURS": "0",
        "LOG_LEVEL": "INFO",
    }

    # Right after SQS handed out a batch (nothing published yet), then after a batch was acked and recorded
    # but before its messages were deleted.
    await _kill_when(env, "sqs.batch_received")
    await _kill_when(env, "sqs.batch_handled")
    async with ingest_process(env) as running:
        await eventually(lambda: queue_empty(sqs, queue_url), within=40)
        async with httpx.AsyncClient(trust_env=False) as client:
            ready = await _when_listening(client, f"http://{LOOPBACK}:{port}/readyz")
        running.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(running.finish(), 20) == 0
    assert ready.status_code == 200
    assert "ingest.stopped" in running.events

    mine = [
        event
        for event in (parse_amazon_event(r.value) for r in await read_all(kafka_bootstrap, AMAZON_EVENTS))
        if event.dedup_key in keys
    ]
    assert {event.dedup_key for event in mine} == keys
    assert len({event.event_id for event in mine}) == 20
    # A kill after the produce request left and before the ledger commit republishes that batch under the
    # same event ids (consumers dedupe on event_id). The second kill comes after the commit; the first one
    # lands a few milliseconds after "batch_received", sometimes inside that window: at most one batch.
    assert len(mine) - 20 <= 10


async def test_without_kafka_the_service_stays_alive_not_ready_and_leaves_the_queue_alone(
    stack_endpoints: StackEndpoints, migrated_db: str, sqs: SQSClient, queue_url: str
) -> None:
    await sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(order_change()))
    port = free_port()
    env = {
        **stack_endpoints.env(),
        "KAFKA_BOOTSTRAP_SERVERS": f"{LOOPBACK}:{free_port()}",
        "DATABASE_URL": migrated_db,
        "INGEST_SQS_QUEUE_URLS": json.dumps([queue_url]),
        "INGEST_SQS_WAIT_SECONDS": "1",
        "INGEST_HTTP_PORT": str(port),
        "INGEST_REPORT_BACKFILL_HOURS": "0",
    }
    async with ingest_process(env) as running, httpx.AsyncClient(trust_env=False) as client:
        await asyncio.wait_for(running.wait_for_log("kafka.unavailable"), 30)
        live = await _when_listening(client, f"http://{LOOPBACK}:{port}/healthz")
        ready = await client.get(f"http://{LOOPBACK}:{port}/readyz")
        running.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(running.finish(), 20) == 0

    assert live.status_code == 200
    assert ready.status_code == 503
    assert "kafka" in ready.json()["failing"]
    assert "sqs.batch_received" not in running.events
    attrs = await sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "1"
