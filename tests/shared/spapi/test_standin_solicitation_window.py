"""The stand-in's Solicitations window: listed and accepted from day 5 after the earliest delivery date to
day 30 after the latest, over real HTTP on loopback, as the Solicitations API docs describe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from shared.stack.spapi_standin import StandinHandle
from tests.shared.spapi.conftest import US, access_token

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)
D = timedelta(days=1)
PATH = "/solicitations/v1/orders/{}"

# order id -> (earliest delivery, latest delivery, offered now?)
CASES = {
    "111-0000000-0000010": (NOW - 5 * D + S, NOW - 2 * D, False),  # the window opens in a second
    "111-0000000-0000011": (NOW - 5 * D, NOW - 2 * D, True),  # its first moment
    "111-0000000-0000012": (NOW - 40 * D, NOW - 30 * D, True),  # its last moment
    "111-0000000-0000013": (NOW - 40 * D, NOW - 30 * D - S, False),  # closed a second ago
    "111-0000000-0000014": (None, None, True),  # no dates known to the stand-in: not restricted
}


async def test_solicitation_is_listed_and_accepted_only_inside_the_window(
    standin: StandinHandle, http: httpx.AsyncClient
) -> None:
    state = standin.state
    state.now = lambda: NOW
    state.add_seller("S1", "Atzr|s1")
    headers = {"x-amz-access-token": await access_token(http, standin, "Atzr|s1")}
    state.rate_limiting = False
    for order_id, (earliest, latest, _) in CASES.items():
        state.add_order(order_id, "S1", earliest_delivery=earliest, latest_delivery=latest)

    listed: dict[str, bool] = {}
    posted: dict[str, int] = {}
    for order_id in CASES:
        params = {"marketplaceIds": US}
        actions = await http.get(PATH.format(order_id), params=params, headers=headers)
        assert actions.status_code == 200
        listed[order_id] = [a["name"] for a in actions.json()["_links"]["actions"]] == [
            "productReviewAndSellerFeedback"
        ]
        post = await http.post(
            PATH.format(order_id) + "/solicitations/productReviewAndSellerFeedback",
            params=params,
            headers=headers,
        )
        posted[order_id] = post.status_code

    assert listed == {order_id: offered for order_id, (_, _, offered) in CASES.items()}
    assert posted == {order_id: 201 if offered else 403 for order_id, (_, _, offered) in CASES.items()}
    assert sorted(s.order_id for s in state.solicitations) == sorted(o for o, c in CASES.items() if c[2])

    # the usage plan: burst 5 per seller and operation, then 429 until a token refills (1/s); others unaffected
    state.rate_limiting = True
    state.set_rate_limit("createProductReviewAndSellerFeedbackSolicitation", rate=0.001, burst=5)
    state.add_seller("S2", "Atzr|s2")
    other = {"x-amz-access-token": await access_token(http, standin, "Atzr|s2")}
    statuses = []
    for i in range(7):
        order_id = f"111-0000001-00000{i:02d}"
        state.add_order(order_id, "S2" if i == 6 else "S1")
        post = await http.post(
            PATH.format(order_id) + "/solicitations/productReviewAndSellerFeedback",
            params={"marketplaceIds": US},
            headers=other if i == 6 else headers,
        )
        statuses.append(post.status_code)
    assert statuses == [201] * 5 + [429, 201]

    # the admin API seeds the same dates
    spec = {
        "order_id": "111-0000000-0000020",
        "seller_id": "S1",
        "earliest_delivery": "2026-06-01T00:00:00Z",
        "latest_delivery": "2026-06-03T00:00:00Z",
    }
    assert (await http.post("/_standin/orders", json=spec)).status_code == 204
    order = standin.state.orders["111-0000000-0000020"]
    assert order.in_solicitation_window(datetime(2026, 6, 6, tzinfo=UTC))
    assert not order.in_solicitation_window(datetime(2026, 6, 5, 23, 59, tzinfo=UTC))
    assert order.in_solicitation_window(datetime(2026, 7, 3, tzinfo=UTC))
    assert not order.in_solicitation_window(datetime(2026, 7, 3, 0, 0, 1, tzinfo=UTC))
