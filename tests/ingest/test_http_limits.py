"""Ingest's HTTP edge: bodies capped before the key check, empty keys never match, failures throttled."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from pydantic import ValidationError as SettingsError

from services.ingest.http import EVENTBRIDGE_PATH, INBOUND_EMAIL_PATH, create_app
from shared.health import HealthState
from tests.ingest.http_serving import serving
from tests.ingest.payloads import eventbridge_event, order_change
from tests.ingest.support import API_KEY, DepsFactory, ingest_settings
from tests.shared.raw_http import raw_request, serve_asgi

pytestmark = pytest.mark.integration


async def test_oversize_bodies_are_413_before_the_key_is_checked(make_deps: DepsFactory) -> None:
    deps = make_deps(settings=ingest_settings(max_email_bytes=256 * 1024, max_event_bytes=64 * 1024))
    async with serve_asgi(create_app(deps=deps, health=HealthState())) as port:
        event = await raw_request(
            port, f"POST {EVENTBRIDGE_PATH} HTTP/1.1\r\nHost: i\r\nContent-Length: 67108864", body=b"{}"
        )
        # A stream without a length is cut where it passes the cap (authenticated: the route reads it).
        mail = await raw_request(
            port,
            f"POST {INBOUND_EMAIL_PATH} HTTP/1.1\r\nHost: i\r\nContent-Type: message/rfc822\r\n"
            f"x-api-key: {API_KEY}\r\nTransfer-Encoding: chunked",
            chunk=b"x" * 32768,
            chunks=2048,
        )
        # The mail endpoint has its own, larger cap: 128 KiB passes it and reaches the key check.
        within = await raw_request(
            port,
            f"POST {INBOUND_EMAIL_PATH} HTTP/1.1\r\nHost: i\r\nContent-Type: message/rfc822\r\n"
            "Content-Length: 131072",
            body=b"x" * 131072,
        )
    assert (event.status, mail.status, within.status) == (413, 413, 401)
    assert mail.sent < 2048 * 32768


def test_an_empty_eventbridge_key_is_refused_at_start() -> None:
    for keys in ([""], ["good-key", "  "]):
        with pytest.raises(SettingsError, match="empty key"):
            ingest_settings(eventbridge_api_keys=[SecretStr(k) for k in keys])


async def test_an_empty_key_never_matches_even_if_configured(make_deps: DepsFactory) -> None:
    # Settings built without validation: the guard itself must ignore the empty key.
    settings = ingest_settings().model_copy(update={"eventbridge_api_keys": [SecretStr("")]})
    body = eventbridge_event(order_change())
    async with serving(make_deps(settings=settings)) as client:
        statuses = [
            (await client.post(EVENTBRIDGE_PATH, json=body, headers=headers)).status_code
            for headers in ({"x-api-key": ""}, {})
        ]
    assert statuses == [401, 401]


async def test_failed_keys_are_throttled_per_address_and_a_good_key_still_works(
    make_deps: DepsFactory,
) -> None:
    deps = make_deps(settings=ingest_settings(auth_failure_burst=5))
    async with serving(deps) as client:
        codes = [
            (
                await client.post(EVENTBRIDGE_PATH, content=b"{}", headers={"x-api-key": f"guess-{i}"})
            ).status_code
            for i in range(20)
        ]
        throttled = await client.post(EVENTBRIDGE_PATH, content=b"{}", headers={"x-api-key": "guess"})
        good = await client.post(EVENTBRIDGE_PATH, content=b"{}", headers={"x-api-key": API_KEY})
    assert codes == [401] * 5 + [429] * 15
    assert int(throttled.headers["Retry-After"]) >= 1
    assert good.status_code == 400  # authenticated; the body is simply not an EventBridge event
