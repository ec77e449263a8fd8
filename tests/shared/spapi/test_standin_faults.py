"""Fault injection of the stand-in (429/5xx, drops, slow answers) and its admin API, over loopback HTTP."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from shared.stack.spapi_standin import StandinHandle
from tests.shared.spapi.conftest import ORDER, US, access_token, send


@pytest.mark.parametrize(("status", "processed"), [(429, False), (503, False), (500, True)])
async def test_status_faults_answer_before_or_after_processing(
    standin: StandinHandle,
    http: httpx.AsyncClient,
    seller_headers: dict[str, str],
    status: int,
    processed: bool,
) -> None:
    standin.state.inject("status", status=status, count=2, operation="createUnexpectedProblem")
    first = await send(http, seller_headers)
    other_op = await http.get(
        f"/messaging/v1/orders/{ORDER}", params={"marketplaceIds": US}, headers=seller_headers
    )
    second = await send(http, seller_headers)
    third = await send(http, seller_headers)
    assert (first.status_code, other_op.status_code, second.status_code, third.status_code) == (
        status,
        200,
        status,
        201,
    )
    assert len(standin.state.messages) == (3 if processed else 1)


async def test_a_drop_after_processing_closes_the_connection_without_an_answer(
    standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str]
) -> None:
    standin.state.inject("drop", operation="createUnexpectedProblem")
    with pytest.raises(httpx.RemoteProtocolError):
        await send(http, seller_headers)
    assert len(standin.state.messages) == 1
    assert standin.state.requests[-1].status == 0
    assert (await send(http, seller_headers)).status_code == 201


async def test_a_slow_answer_times_out_the_caller_after_the_work_was_done(
    standin: StandinHandle, seller_headers: dict[str, str]
) -> None:
    standin.state.inject("delay", delay_s=1.0, operation="createUnexpectedProblem")
    async with httpx.AsyncClient(base_url=standin.base_url, trust_env=False, timeout=0.2) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await send(impatient, seller_headers)
    assert len(standin.state.messages) == 1


async def test_admin_api_seeds_and_injects_for_out_of_process_tests(
    standin: StandinHandle, http: httpx.AsyncClient
) -> None:
    assert (
        await http.post("/_standin/sellers", json={"seller_id": "S9", "refresh_token": "Atzr|s9"})
    ).status_code == 204
    order = {"order_id": ORDER, "seller_id": "S9", "buyer_locale": "fr-FR", "actions": ["unexpectedProblem"]}
    assert (await http.post("/_standin/orders", json=order)).status_code == 204
    fault = {"kind": "status", "status": 503, "count": 1, "operation": "createUnexpectedProblem"}
    assert (await http.post("/_standin/faults", json=fault)).status_code == 204
    limit = {"operation": "GetAttributes", "rate": 10, "burst": 2}
    assert (await http.post("/_standin/rate-limits", json=limit)).status_code == 204
    headers = {"x-amz-access-token": await access_token(http, standin, "Atzr|s9")}
    assert (await send(http, headers)).status_code == 503
    assert (await send(http, headers)).status_code == 201
    attrs = await http.get(
        f"/messaging/v1/orders/{ORDER}/attributes", params={"marketplaceIds": US}, headers=headers
    )
    assert attrs.json() == {"buyer": {"locale": "fr-FR"}}
    assert attrs.headers["x-amzn-RateLimit-Limit"] == "10.0"
    recorded = (await http.get("/_standin/messages")).json()
    assert [(m["seller_id"], m["action"]) for m in recorded] == [("S9", "unexpectedProblem")]
    log = (await http.get("/_standin/requests", params={"operation": "createUnexpectedProblem"})).json()
    assert [entry["status"] for entry in log] == [503, 201]


async def test_concurrent_sends_are_all_recorded_once(
    standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str]
) -> None:
    standin.state.rate_limiting = False
    responses = await asyncio.gather(*(send(http, seller_headers, f"m{i}") for i in range(20)))
    assert {r.status_code for r in responses} == {201}
    assert sorted(m.body["text"] for m in standin.state.messages) == sorted(f"m{i}" for i in range(20))


async def test_admin_api_seeds_many_orders_in_one_request(
    standin: StandinHandle, http: httpx.AsyncClient
) -> None:
    orders = [
        {"order_id": f"902-0000001-{n:07d}", "seller_id": "S8", "buyer_locale": "de-DE"} for n in range(3)
    ]
    assert (await http.post("/_standin/orders/batch", json=orders)).status_code == 204
    seeded = [standin.state.orders[o["order_id"]] for o in orders]
    assert [(o.seller_id, o.buyer_locale) for o in seeded] == [("S8", "de-DE")] * 3
