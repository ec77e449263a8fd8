"""The sender's SP-API connections (``SpApiTransport``) against the real stand-in on loopback.

At most ``SPAPI_HTTP_CONNECTIONS`` requests are on the wire; the others wait their turn before anything
leaves the host, connections are reused, and a connection lost after Amazon acted still makes the send
``unknown`` (never repeated) and is not reused for the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr, ValidationError

from services.responder.outbox.transports.messaging import SpApiTransport, spapi_http_client
from shared.settings import SpApiSettings
from shared.spapi import OutcomeUnknownError, RetryPolicy, SpApiClient, SpApiConnectionError
from shared.stack.spapi_standin import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, StandinHandle, start_standin

US = "ATVPDKIKX0DER"
SELLERS = 40


@pytest_asyncio.fixture
async def standin() -> AsyncIterator[StandinHandle]:
    handle = await start_standin()
    for n in range(SELLERS):
        handle.state.add_seller(f"S{n}", f"Atzr|S{n}")
        handle.state.add_order(_order(n), f"S{n}")
    try:
        yield handle
    finally:
        await handle.stop()


def _order(n: int) -> str:
    return f"111-{n:07d}-0000001"


def _settings(handle: StandinHandle, *, timeout_s: float = 2.0, **extra: object) -> SpApiSettings:
    return SpApiSettings(
        endpoint=handle.base_url,
        lwa_endpoint=handle.lwa_url,
        lwa_client_id=DEFAULT_CLIENT_ID,
        lwa_client_secret=SecretStr(DEFAULT_CLIENT_SECRET),
        refresh_tokens={f"S{n}": SecretStr(f"Atzr|S{n}") for n in range(SELLERS)},
        timeout_s=timeout_s,
        **extra,  # type: ignore[arg-type]  # pydantic validates the extra fields
    )


async def test_requests_beyond_the_limit_wait_and_connections_are_reused(standin: StandinHandle) -> None:
    settings = _settings(standin)
    transport = SpApiTransport(3)
    async with (
        httpx.AsyncClient(timeout=2.0, transport=transport) as http,
        SpApiClient(settings, http=http) as client,
    ):
        answers = await asyncio.gather(
            *(client.get_messaging_actions(f"S{n}", _order(n), US) for n in range(SELLERS))
        )
        assert all("unexpectedProblem" in actions for actions in answers)
        assert transport.connections == 3  # 40 requests (and 40 token exchanges) at once, three connections
        for n in range(10):
            await client.get_attributes(f"S{n}", _order(n), US)
        assert transport.connections == 3
    ok = [r for r in standin.state.requests if r.operation == "getMessagingActionsForOrder"]
    assert len(ok) == SELLERS
    assert {r.status for r in ok} == {200}


async def test_a_lost_answer_is_unknown_once_and_the_next_send_gets_a_fresh_connection(
    standin: StandinHandle,
) -> None:
    settings = _settings(standin, http_connections=1)
    standin.state.inject("drop", operation="createUnexpectedProblem")
    async with spapi_http_client(settings) as http, SpApiClient(settings, http=http) as client:
        with pytest.raises(OutcomeUnknownError):
            await client.send_message(
                "S0", _order(0), US, "unexpectedProblem", {"text": f"Order {_order(0)}"}
            )
        await client.send_message("S1", _order(1), US, "unexpectedProblem", {"text": f"Order {_order(1)}"})
    assert len(standin.state.messages_for(_order(0))) == 1  # Amazon acted once; the sender was told unknown
    assert len(standin.state.messages_for(_order(1))) == 1


def test_the_connection_limit_is_a_validated_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPAPI_HTTP_CONNECTIONS", "7")
    assert SpApiSettings().http_connections == 7
    for bad in ("0", "many"):
        monkeypatch.setenv("SPAPI_HTTP_CONNECTIONS", bad)
        with pytest.raises(ValidationError):
            SpApiSettings()


async def test_a_slow_answer_is_unknown_once(standin: StandinHandle) -> None:
    settings = _settings(standin, timeout_s=0.3)
    standin.state.inject("delay", delay_s=0.6, operation="createUnexpectedProblem")
    async with spapi_http_client(settings) as http, SpApiClient(settings, http=http) as client:
        with pytest.raises(OutcomeUnknownError):
            await client.send_message(
                "S2", _order(2), US, "unexpectedProblem", {"text": f"Order {_order(2)}"}
            )
    assert len(standin.state.messages_for(_order(2))) == 1


async def test_a_refused_connection_is_retryable_not_unknown() -> None:
    handle = await start_standin()
    handle.state.add_seller("S0", "Atzr|S0")
    handle.state.add_order(_order(0), "S0")
    settings = _settings(handle)
    quick = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02)
    async with spapi_http_client(settings) as http, SpApiClient(settings, http=http, retry=quick) as client:
        await client.get_messaging_actions("S0", _order(0), US)  # a token and a kept-alive connection
        await handle.stop()  # nothing listens there any more
        with pytest.raises(SpApiConnectionError):  # nothing left this host: the row may be retried
            await client.send_message(
                "S0", _order(0), US, "unexpectedProblem", {"text": f"Order {_order(0)}"}
            )
        with pytest.raises(httpx.ConnectError):
            await http.post(f"{handle.base_url}/x", json={})
