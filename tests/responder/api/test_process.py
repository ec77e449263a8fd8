"""`python -m services.responder.api`: serves, reports ready, drains on SIGTERM and exits cleanly."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.responder.api.security import TICKETS_READ
from shared.db.session import Database
from tests.responder.api.helpers import add_key, add_ticket, bearer
from tests.responder.api.served import served_api

pytestmark = pytest.mark.integration


async def test_serves_then_drains_on_sigterm(
    migrated_db: str, db: Database, kafka_bootstrap: str, tmp_path: Path
) -> None:
    ticket = await add_ticket(db, created_at=datetime.now(UTC))  # recent: the retention job leaves it alone
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    extra = {
        "RESPONDER_API_SLA_ALERTS_ENABLED": "true",  # the background jobs start and stop with the process
        "RESPONDER_API_SPIKE_ALERTS_ENABLED": "true",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "RESPONDER_API_DRAIN_S": "1.0",
    }
    async with (
        served_api(migrated_db, tmp_path / "api.log", extra) as api,
        httpx.AsyncClient(base_url=api.base_url) as c,
    ):
        assert (await c.get("/readyz")).json() == {"status": "ready"}
        r = await c.get(f"/v1/tickets/{ticket.id}", headers=bearer(key))
        assert (r.status_code, r.json()["pii"]["subject"]) == (200, "Where is my parcel?")
        assert (await c.get("/v1/tickets")).json()["error"]["code"] == "unauthorized"
        assert "/v1/tickets/{ticket_id}" in (await c.get("/openapi.json")).json()["paths"]
        metrics = (await c.get("/metrics")).text
        assert 'api_requests_total{method="GET",route="/v1/tickets/{ticket_id}",status="200"} 1.0' in metrics
        assert str(ticket.id) not in metrics  # labels carry the route template, never ids

        api.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(5):
            while (await c.get("/readyz")).status_code != 503:  # noqa: ASYNC110  # another process's state
                await asyncio.sleep(0.05)
        # Still serving while draining: the load balancer takes it out of rotation first.
        assert (await c.get(f"/v1/tickets/{ticket.id}", headers=bearer(key))).status_code == 200
        assert await asyncio.to_thread(api.process.wait, 20) == 0
    log = (tmp_path / "api.log").read_text()
    assert "Where is my parcel?" not in log
    assert "buyer-x@" not in log
