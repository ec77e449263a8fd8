"""API fixtures: a migrated database, the app (lifespan running) and an httpx client over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from pydantic import SecretStr

from services.responder.api.app import create_app
from services.responder.api.config import ApiSettings
from services.responder.api.fastlane import TicketReadsLane
from services.responder.settings import ResponderApiServiceSettings, ResponderSettings
from shared.db.session import Database
from shared.settings import DatabaseSettings
from tests.responder.api.helpers import PEPPER, PII_KEY, T0


class Clock:
    """A settable clock for the app (SLA states depend on now)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def settings(migrated_db: str) -> ResponderApiServiceSettings:
    return ResponderApiServiceSettings(
        database=DatabaseSettings(url=SecretStr(migrated_db), pool_size=4),
        responder=ResponderSettings(api_key_pepper=SecretStr(PEPPER), pii_encryption_key=SecretStr(PII_KEY)),
    )


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings(
        sla_alerts_enabled=False,
        spike_alerts_enabled=False,
        retention_enabled=False,
        rate_limit_per_s=1000.0,
        rate_limit_burst=1000.0,
        key_cache_s=0.0,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest_asyncio.fixture
async def db(settings: ResponderApiServiceSettings) -> AsyncIterator[Database]:
    """A pool for seeding and checking, separate from the app's."""
    database = Database(settings.database)
    yield database
    await database.dispose()


@pytest_asyncio.fixture
async def app(
    settings: ResponderApiServiceSettings, api_settings: ApiSettings, clock: Clock
) -> AsyncIterator[FastAPI]:
    application = create_app(settings, api=api_settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # What `complaints api` serves: the fast lane in front of the FastAPI app.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=TicketReadsLane(app)), base_url="http://api"
    ) as c:
        yield c
