"""The stand-in's LWA, request rules, usage plans, faults and admin API, over real HTTP on loopback."""

from __future__ import annotations

import httpx
import pytest

from shared.stack.spapi_standin import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    StandinHandle,
    StandinState,
    start_standin,
)
from tests.shared.spapi.conftest import MESSAGE, ORDER, US, FakeClock, access_token, send

QUOTA = {
    "code": "QuotaExceeded",
    "message": "You exceeded your quota for the requested resource.",
    "details": "",
}


async def test_lwa_refresh_grant_and_oauth_errors(standin: StandinHandle, http: httpx.AsyncClient) -> None:
    standin.state.add_seller("S1", "Atzr|s1")
    base = {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET}

    ok = await http.post(
        standin.lwa_url, data={**base, "grant_type": "refresh_token", "refresh_token": "Atzr|s1"}
    )
    assert ok.status_code == 200
    body = ok.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"] == "Atzr|s1"
    assert body["access_token"].startswith("Atza|")

    bad_grant = await http.post(
        standin.lwa_url, data={**base, "grant_type": "refresh_token", "refresh_token": "Atzr|unknown"}
    )
    assert (bad_grant.status_code, bad_grant.json()["error"]) == (400, "invalid_grant")
    bad_client = await http.post(
        standin.lwa_url,
        data={**base, "client_secret": "wrong", "grant_type": "refresh_token", "refresh_token": "Atzr|s1"},
    )
    assert (bad_client.status_code, bad_client.json()["error"]) == (401, "invalid_client")
    grantless = await http.post(
        standin.lwa_url,
        data={**base, "grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications"},
    )
    assert grantless.status_code == 200
    assert "refresh_token" not in grantless.json()
    as_json = await http.post(
        standin.lwa_url, json={**base, "grant_type": "refresh_token", "refresh_token": "x"}
    )
    assert as_json.status_code == 400


async def test_sp_api_calls_need_a_valid_unexpired_seller_token() -> None:
    clock = FakeClock()
    state = StandinState(clock=clock)
    handle = await start_standin(state=state)
    try:
        state.add_seller("S1", "Atzr|s1")
        state.add_order(ORDER, "S1")
        async with httpx.AsyncClient(base_url=handle.base_url, trust_env=False) as client:
            token = await access_token(client, handle, "Atzr|s1")
            assert (await send(client, {"x-amz-access-token": token})).status_code == 201
            for headers in ({}, {"x-amz-access-token": "Atza|forged"}):
                denied = await send(client, headers)
                assert denied.status_code == 403
                assert denied.json()["errors"][0]["code"] == "Unauthorized"
                assert "x-amzn-RateLimit-Limit" not in denied.headers
            clock.advance(3600)
            expired = await send(client, {"x-amz-access-token": token})
            assert expired.status_code == 403
            assert "expired" in expired.json()["errors"][0]["details"]
    finally:
        await handle.stop()
    assert len(state.messages) == 1


async def test_a_grantless_token_cannot_send_messages(
    standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str]
) -> None:
    grantless = await http.post(
        standin.lwa_url,
        data={
            "grant_type": "client_credentials",
            "scope": "sellingpartnerapi::notifications",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )
    response = await send(http, {"x-amz-access-token": grantless.json()["access_token"]})
    assert response.status_code == 403
    assert standin.state.messages == []


@pytest.mark.parametrize(
    "query", [{}, {"marketplaceIds": f"{US},A1PA6795UKMFR9"}, {"marketplaceIds": "A1PA6795UKMFR9"}]
)
async def test_exactly_the_orders_one_marketplace_is_accepted(
    standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str], query: dict[str, str]
) -> None:
    response = await http.post(MESSAGE, params=query, headers=seller_headers, json={"text": "hello"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"
    assert standin.state.messages == []


async def test_wrong_content_type_is_415(
    standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str]
) -> None:
    response = await http.post(
        MESSAGE,
        params={"marketplaceIds": US},
        headers={**seller_headers, "content-type": "text/plain"},
        content=b'{"text": "hello"}',
    )
    assert response.status_code == 415
    assert standin.state.messages == []


async def test_an_action_the_order_does_not_allow_is_refused_as_amazon_does(
    standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str]
) -> None:
    standin.state.orders[ORDER].actions.discard("unexpectedProblem")
    response = await send(http, seller_headers)
    assert response.status_code == 403
    assert response.json()["errors"][0] == {
        "code": "Unauthorized",
        "message": "Invalid amazonOrderId and template combination.",
        "details": "",
    }
    actions = await http.get(
        f"/messaging/v1/orders/{ORDER}", params={"marketplaceIds": US}, headers=seller_headers
    )
    assert "unexpectedProblem" not in {link["name"] for link in actions.json()["_links"]["actions"]}
    assert standin.state.messages == []


async def test_another_sellers_order_is_invalid_input(
    standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str]
) -> None:
    standin.state.add_order(ORDER, "S2")
    assert (await send(http, seller_headers)).status_code == 400


async def test_accepted_messages_are_recorded_with_seller_and_body(
    standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str]
) -> None:
    standin.state.add_order(
        "111-0000000-0000002", "S1", buyer_locale="de-DE", marketplace_id="A1PA6795UKMFR9"
    )
    assert (await send(http, seller_headers, "first")).status_code == 201
    attrs = await http.get(
        "/messaging/v1/orders/111-0000000-0000002/attributes",
        params={"marketplaceIds": "A1PA6795UKMFR9"},
        headers=seller_headers,
    )
    assert attrs.json() == {"buyer": {"locale": "de-DE"}}
    [message] = standin.state.messages_for(ORDER)
    assert (message.seller_id, message.action, message.operation) == (
        "S1",
        "unexpectedProblem",
        "createUnexpectedProblem",
    )
    assert message.body == {"text": "first"}
    recorded = await http.get("/_standin/messages", params={"order_id": ORDER})
    assert [m["body"] for m in recorded.json()] == [{"text": "first"}]


async def test_a_second_solicitation_for_the_order_is_refused(
    standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str]
) -> None:
    path = f"/solicitations/v1/orders/{ORDER}"
    params = {"marketplaceIds": US}
    before = await http.get(path, params=params, headers=seller_headers)
    assert [a["name"] for a in before.json()["_links"]["actions"]] == ["productReviewAndSellerFeedback"]
    first = await http.post(
        f"{path}/solicitations/productReviewAndSellerFeedback", params=params, headers=seller_headers
    )
    second = await http.post(
        f"{path}/solicitations/productReviewAndSellerFeedback", params=params, headers=seller_headers
    )
    assert (first.status_code, second.status_code) == (201, 403)
    after = await http.get(path, params=params, headers=seller_headers)
    assert after.json()["_links"]["actions"] == []
    assert len(standin.state.solicitations) == 1


async def test_usage_plan_throttles_per_seller_and_operation(
    standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str]
) -> None:
    standin.state.set_rate_limit("createUnexpectedProblem", rate=0.001, burst=5)
    statuses = [(await send(http, seller_headers)).status_code for _ in range(6)]
    assert statuses == [201] * 5 + [429]
    throttled = await send(http, seller_headers)
    assert throttled.json() == {"errors": [QUOTA]}
    assert "x-amzn-RateLimit-Limit" not in throttled.headers
    assert "x-amzn-RequestId" in throttled.headers
    # Another operation and another seller have their own buckets.
    attrs = await http.get(
        f"/messaging/v1/orders/{ORDER}/attributes", params={"marketplaceIds": US}, headers=seller_headers
    )
    assert attrs.status_code == 200
    assert attrs.headers["x-amzn-RateLimit-Limit"] == "1.0"
    standin.state.add_seller("S2", "Atzr|s2")
    standin.state.add_order("111-0000000-0000009", "S2")
    other = {"x-amz-access-token": await access_token(http, standin, "Atzr|s2")}
    response = await http.post(
        "/messaging/v1/orders/111-0000000-0000009/messages/unexpectedProblem",
        params={"marketplaceIds": US},
        headers=other,
        json={"text": "hello"},
    )
    assert response.status_code == 201
    assert len(standin.state.messages) == 6


async def test_the_bucket_refills_at_the_plans_rate() -> None:
    clock = FakeClock()
    state = StandinState(clock=clock)
    for _ in range(5):
        assert state.admit("app", "S1", "createUnexpectedProblem")
    assert not state.admit("app", "S1", "createUnexpectedProblem")
    clock.advance(0.9)
    assert not state.admit("app", "S1", "createUnexpectedProblem")
    clock.advance(0.1)
    assert state.admit("app", "S1", "createUnexpectedProblem")
