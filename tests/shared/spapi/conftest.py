"""Fixtures for the SP-API stand-in and client tests: a loopback stand-in, settings, Amazon's models."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from shared.settings import SpApiSettings
from shared.stack.spapi_standin import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    StandinHandle,
    StandinState,
    start_standin,
)
from tests.reference import reference_dir

US = "ATVPDKIKX0DER"
ORDER = "111-0000000-0000001"
MESSAGE = f"/messaging/v1/orders/{ORDER}/messages/unexpectedProblem"


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def load_model(name: str) -> dict[str, Any]:
    """One of Amazon's model files from ../shared/spapi (``reference_dir``: fails under CI when absent)."""
    model: dict[str, Any] = json.loads(reference_dir("spapi", name).read_text())
    return model


def settings_for(handle: StandinHandle, sellers: dict[str, str], *, timeout_s: float = 5.0) -> SpApiSettings:
    """Client settings pointing at the stand-in with these seller -> refresh token pairs."""
    return SpApiSettings(
        endpoint=handle.base_url,
        lwa_endpoint=handle.lwa_url,
        lwa_client_id=DEFAULT_CLIENT_ID,
        lwa_client_secret=SecretStr(DEFAULT_CLIENT_SECRET),
        refresh_tokens={seller: SecretStr(token) for seller, token in sellers.items()},
        timeout_s=timeout_s,
    )


@pytest_asyncio.fixture
async def standin() -> AsyncIterator[StandinHandle]:
    """A fresh stand-in on a free loopback port."""
    handle = await start_standin()
    try:
        yield handle
    finally:
        await handle.stop()


@pytest.fixture
def state(standin: StandinHandle) -> StandinState:
    """The running stand-in's state."""
    return standin.state


async def access_token(http: httpx.AsyncClient, handle: StandinHandle, refresh_token: str) -> str:
    """Exchange a refresh token at the stand-in's LWA endpoint."""
    response = await http.post(
        handle.lwa_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


@pytest_asyncio.fixture
async def http(standin: StandinHandle) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client on the stand-in's base URL."""
    async with httpx.AsyncClient(base_url=standin.base_url, trust_env=False, timeout=5.0) as client:
        yield client


@pytest_asyncio.fixture
async def seller_headers(standin: StandinHandle, http: httpx.AsyncClient) -> dict[str, str]:
    """Headers of seller ``S1`` (refresh token ``Atzr|s1``), who owns order ``111-0000000-0000001`` (US)."""
    standin.state.add_seller("S1", "Atzr|s1")
    standin.state.add_order(ORDER, "S1")
    return {"x-amz-access-token": await access_token(http, standin, "Atzr|s1")}


async def send(
    http: httpx.AsyncClient, headers: dict[str, str], text: str = "Sorry for the delay"
) -> httpx.Response:
    return await http.post(
        f"/messaging/v1/orders/{ORDER}/messages/unexpectedProblem",
        params={"marketplaceIds": US},
        headers=headers,
        json={"text": text},
    )
