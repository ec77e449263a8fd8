"""Limits before authentication: body caps (413 unread) and the failed-key throttle (429, no lookup)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text

from services.responder.api.app import create_app, served_app
from services.responder.api.config import ApiSettings
from services.responder.api.runtime import ApiRuntime
from services.responder.api.security import STATS_READ, TICKETS_READ, Principal
from services.responder.settings import ResponderApiServiceSettings
from shared.db.session import Database
from tests.responder.api.helpers import add_key, bearer
from tests.shared.raw_http import raw_request, serve_asgi

HUGE = 64 * 1024 * 1024


async def test_an_unauthenticated_oversize_body_is_413_before_it_is_read(
    app: FastAPI, api_settings: ApiSettings
) -> None:
    async with serve_asgi(served_app(app, api_settings)) as port:
        # 64 MiB announced, a few bytes sent: FastAPI would wait for the body before checking the key.
        declared = await raw_request(
            port,
            f"POST /v1/replies/lint HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
            f"Content-Length: {HUGE}",
            body=b'{"text": "',
        )
        # The fast lane's paths too, and a chunked stream that never ends.
        lane = await raw_request(
            port, f"GET /v1/tickets HTTP/1.1\r\nHost: api\r\nContent-Length: {HUGE}", body=b"x"
        )
        streamed = await raw_request(
            port,
            f"POST /v1/tickets/{uuid.uuid4()}/replies HTTP/1.1\r\nHost: api\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked",
            chunk=b" " * 65536,
            chunks=HUGE // 65536,
        )
    assert (declared.status, lane.status, streamed.status) == (413, 413, 413)
    assert streamed.sent < HUGE
    assert declared.body.startswith(b'{"error":{"code":"payload_too_large"')


class _Lookups:
    """Counts the key store's database lookups."""

    def __init__(self, runtime: ApiRuntime) -> None:
        self.count = 0
        self._load = runtime.keys._load
        runtime.keys._load = self  # type: ignore[method-assign]  # counting wrapper around the real lookup

    async def __call__(self, key: str, prefix: str) -> Principal | None:
        self.count += 1
        return await self._load(key, prefix)


async def test_guessed_keys_are_throttled_without_lookups_and_a_good_key_keeps_working(
    app: FastAPI, client: httpx.AsyncClient, db: Database
) -> None:
    good = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    assert (await client.get("/v1/tickets", headers=bearer(good))).status_code == 200
    lookups = _Lookups(app.state.runtime)

    codes: list[int] = []
    good_codes: list[int] = []
    for i in range(300):
        guess = f"cpk_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
        path = "/v1/tickets" if i % 2 else "/v1/stats"  # the fast lane and a FastAPI route
        answer = await client.get(path, headers=bearer(guess))
        codes.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["Retry-After"]) >= 1
            assert answer.json()["error"]["code"] == "rate_limited"
        if i % 30 == 0:
            good_codes.append((await client.get("/v1/tickets", headers=bearer(good))).status_code)

    assert set(codes) == {401, 429}
    assert codes.count(429) > 250
    assert set(good_codes) == {200}
    # Every guess that got a 401 cost a lookup (the lane's fall-through may look twice); the 429s none.
    guessed = lookups.count - len(good_codes)
    assert guessed <= 2 * codes.count(401)
    assert guessed < 30


@pytest_asyncio.fixture
async def tiny_pool_app(
    settings: ResponderApiServiceSettings, api_settings: ApiSettings
) -> AsyncIterator[FastAPI]:
    database = settings.database.model_copy(update={"pool_size": 1, "pool_timeout_s": 0.3})
    # Keys cached: the held pool must be met by the route's own query, not by the key lookup.
    api = api_settings.model_copy(update={"key_cache_s": 60.0})
    application = create_app(settings.model_copy(update={"database": database}), api=api)
    async with application.router.lifespan_context(application):
        yield application


async def test_a_busy_pool_is_503_with_retry_after(tiny_pool_app: FastAPI, db: Database) -> None:
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ, STATS_READ])
    runtime: ApiRuntime = tiny_pool_app.state.runtime
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=served_app(tiny_pool_app, ApiSettings())), base_url="http://api"
    ) as client:
        assert (await client.get("/v1/tickets", headers=bearer(key))).status_code == 200
        async with runtime.reads.connection():  # the read pool's only connection, held
            lane = await client.get("/v1/tickets", headers=bearer(key))
        # The engine: pool_size 1 plus an overflow of 1, both held.
        async with runtime.read_engine.connect() as first, runtime.read_engine.connect() as second:
            await first.execute(text("SELECT 1"))
            await second.execute(text("SELECT 1"))
            routed = await client.get("/v1/stats", headers=bearer(key))
        again = await client.get("/v1/stats", headers=bearer(key))
    for answer in (lane, routed):
        assert answer.status_code == 503
        assert answer.json()["error"]["code"] == "unavailable"
        assert int(answer.headers["Retry-After"]) >= 1
    assert again.status_code == 200
