"""Bearer keys: 401 and 403 as JSON, revocation, hashed storage and the per-key rate limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest_asyncio
from sqlalchemy import select

from services.responder.api.app import create_app
from services.responder.api.config import ApiSettings
from services.responder.api.fastlane import TicketReadsLane
from services.responder.api.repositories.keys import revoke_key
from services.responder.api.security import REPLIES_SEND, TICKETS_READ, key_prefix
from services.responder.api.tables import ApiKey
from services.responder.settings import ResponderApiServiceSettings
from shared.db.session import Database, unit_of_work
from tests.responder.api.helpers import add_key, add_ticket, bearer


async def test_missing_malformed_and_unknown_keys_are_json_401(
    client: httpx.AsyncClient, db: Database
) -> None:
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    for headers in ({}, {"Authorization": "Basic dXNlcjpwdw=="}, bearer("nonsense"), bearer(forged)):
        r = await client.get("/v1/tickets", headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["error"]["code"] in {"unauthorized", "invalid_api_key"}
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await client.get("/v1/tickets", headers=bearer(key))).status_code == 200


async def test_only_the_hash_is_stored_and_revoked_keys_stop_working(
    client: httpx.AsyncClient, db: Database
) -> None:
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    prefix = key_prefix(key)
    assert prefix is not None
    async with unit_of_work(db) as session:
        row = (await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))).scalar_one()
        assert key not in (row.key_hash, row.prefix)
        assert key.split("_")[-1] not in row.key_hash
        await revoke_key(session, ident=prefix, now=datetime.now(UTC))
    r = await client.get("/v1/tickets", headers=bearer(key))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_api_key"


async def test_missing_scope_is_json_403(client: httpx.AsyncClient, db: Database) -> None:
    ticket = await add_ticket(db)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    r = await client.post(f"/v1/tickets/{ticket.id}/replies", json={"text": "Hello"}, headers=bearer(key))
    assert r.status_code == 403
    assert r.json() == {
        "error": {"code": "insufficient_scope", "message": f"this API key lacks the scope {REPLIES_SEND}"}
    }
    assert (await client.get("/v1/buyers/abcdefgh12345678", headers=bearer(key))).status_code == 404


@pytest_asyncio.fixture
async def limited_client(settings: ResponderApiServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    api = ApiSettings(
        sla_alerts_enabled=False,
        spike_alerts_enabled=False,
        retention_enabled=False,
        rate_limit_per_s=0.01,
        rate_limit_burst=3,
        key_cache_s=60,
    )
    app = create_app(settings, api=api)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=TicketReadsLane(app)), base_url="http://api"
        ) as c,
    ):
        yield c


async def test_rate_limit_is_per_key_with_retry_after(
    limited_client: httpx.AsyncClient, db: Database
) -> None:
    first = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ], name="first")
    second = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ], name="second")
    codes = [(await limited_client.get("/v1/tickets", headers=bearer(first))).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = await limited_client.get("/v1/tickets", headers=bearer(first))
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert (await limited_client.get("/v1/tickets", headers=bearer(second))).status_code == 200


async def test_per_key_rate_overrides_the_default(limited_client: httpx.AsyncClient, db: Database) -> None:
    fast = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ], rate_limit_per_s=50.0)
    codes = {(await limited_client.get("/v1/tickets", headers=bearer(fast))).status_code for _ in range(10)}
    assert codes == {200}
