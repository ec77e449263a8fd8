"""`python -m services.ingest` in production starts with its own secrets only: no classifier salt, no API pepper.

Before the settings were split per service, ingest validated every service's secrets and exited at start-up.
"""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest

from shared.stack import StackEndpoints
from shared.stack.ports import LOOPBACK, free_port
from tests.ingest.test_process import _when_listening, ingest_process

pytestmark = pytest.mark.integration

OTHER_SERVICES_SECRETS = ("CLASSIFIER_BUYER_HASH_SALT", "RESPONDER_API_KEY_PEPPER", "SPAPI_REFRESH_TOKENS")


async def test_ingest_starts_in_production_without_the_other_services_secrets(
    stack_endpoints: StackEndpoints, migrated_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (*OTHER_SERVICES_SECRETS, "SECRETS_DIR"):
        monkeypatch.delenv(name, raising=False)
    port = free_port()
    env = {
        **stack_endpoints.env(),
        "ENVIRONMENT": "production",
        "DATABASE_URL": migrated_db,
        "RESPONDER_PII_ENCRYPTION_KEY": "p" * 40,  # ingest seals buyer PII on Kafka: it needs the key ring
        "INGEST_HTTP_PORT": str(port),
        "INGEST_SQS_QUEUE_URLS": "[]",  # the stack's queues belong to other tests
        "INGEST_REPORT_BACKFILL_HOURS": "0",
    }
    async with ingest_process(env) as running:
        started = asyncio.create_task(running.wait_for_log("ingest.started"))
        done, _ = await asyncio.wait({started, asyncio.create_task(running.proc.wait())}, timeout=30)
        assert started in done, f"ingest exited with {running.proc.returncode} instead of starting"
        async with httpx.AsyncClient(trust_env=False) as client:
            alive = await _when_listening(client, f"http://{LOOPBACK}:{port}/healthz")
        assert running.proc.returncode is None
        running.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(running.finish(), 20) == 0
    assert alive.status_code == 200
    assert "ingest.started" in running.events


async def test_ingest_in_production_still_refuses_a_placeholder_pii_key(
    stack_endpoints: StackEndpoints, migrated_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRETS_DIR", raising=False)
    env = {
        **stack_endpoints.env(),
        "ENVIRONMENT": "production",
        "DATABASE_URL": migrated_db,
        "RESPONDER_PII_ENCRYPTION_KEY": "changeme",
        "INGEST_HTTP_PORT": str(free_port()),
        "INGEST_SQS_QUEUE_URLS": "[]",
    }
    async with ingest_process(env) as running:
        assert await asyncio.wait_for(running.finish(), 30) != 0
    assert "ingest.started" not in running.events
