"""The stand-in against Amazon's own Messaging and Solicitations models (read from ../shared/spapi)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator

from shared.spapi.ratelimit import DEFAULT_RATE_LIMITS as CLIENT_RATE_LIMITS
from shared.stack.spapi_standin import DEFAULT_RATE_LIMITS, StandinHandle
from tests.shared.spapi.conftest import ORDER, US, access_token, load_model

SANDBOX_ORDER = "123-1234567-1234567"
MODELS = ("messaging.json", "solicitations.json")


def _strict(node: Any) -> Any:
    """The schema with undeclared properties forbidden, so a misspelt or invented field fails validation."""
    if isinstance(node, dict):
        out = {key: _strict(value) for key, value in node.items()}
        if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


def _validate(model: dict[str, Any], schema: dict[str, Any], instance: Any) -> list[str]:
    root = {"definitions": _strict(model["definitions"]), **_strict(schema)}
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in Draft4Validator(root).iter_errors(instance)
    ]


def _operations(model: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, ops in model["paths"].items()
        for method, op in ops.items()
        if method in ("get", "post")
    ]


def _body_definition(model: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    for param in op.get("parameters", []):
        if param.get("in") == "body":
            name = param["schema"]["$ref"].rsplit("/", 1)[-1]
            definition: dict[str, Any] = model["definitions"][name]
            return definition
    return None


def _minimal_body(definition: dict[str, Any] | None) -> dict[str, Any]:
    """A body the model accepts: each declared field with a short valid value."""
    body: dict[str, Any] = {}
    props = (definition or {}).get("properties", {})
    if "text" in props:
        body["text"] = "My Message"
    if "attachments" in props:
        body["attachments"] = [
            {"uploadDestinationId": "4e936e26-7b72-4b84-af27-e6baee1d546d", "fileName": "a.txt"}
        ]
    return body


async def _call(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    method: str,
    path: str,
    *,
    order_id: str,
    marketplaces: list[str],
    body: dict[str, Any] | None,
) -> httpx.Response:
    url = path.replace("{amazonOrderId}", order_id)
    params = {"marketplaceIds": ",".join(marketplaces)}
    if method == "get":
        return await http.get(url, params=params, headers=headers)
    return await http.post(url, params=params, headers=headers, json=body if body is not None else {})


@pytest.mark.parametrize("model_name", MODELS)
async def test_every_operation_is_served_and_answers_in_the_models_shape(
    model_name: str, standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str]
) -> None:
    model = load_model(model_name)
    for path, method, op in _operations(model):
        for body in (_minimal_body(_body_definition(model, op)), {}):
            response = await _call(
                http, seller_headers, method, path, order_id=ORDER, marketplaces=[US], body=body
            )
            declared = op["responses"].get(str(response.status_code))
            assert declared is not None, f"{op['operationId']}: undeclared status {response.status_code}"
            assert response.headers["content-type"] == "application/hal+json", op["operationId"]
            assert "x-amzn-RequestId" in response.headers
            problems = _validate(model, declared["schema"], response.json())
            assert not problems, f"{op['operationId']} {response.status_code}: {problems}"
            if method == "get":
                break


@pytest.mark.parametrize("model_name", MODELS)
async def test_sandbox_static_cases_get_the_sandbox_answers(
    model_name: str, standin: StandinHandle, http: httpx.AsyncClient
) -> None:
    model = load_model(model_name)
    standin.state.add_seller("SBX", "Atzr|sandbox")
    standin.state.add_order(
        SANDBOX_ORDER,
        "SBX",
        actions=[
            "confirmCustomizationDetails",
            "confirmDeliveryDetails",
            "legalDisclosure",
            "confirmOrderDetails",
            "confirmServiceDetails",
            "warranty",
            "digitalAccessKey",
            "unexpectedProblem",
            "invoice",
        ],
    )
    headers = {"x-amz-access-token": await access_token(http, standin, "Atzr|sandbox")}
    cases = 0
    for path, method, op in _operations(model):
        for code, declared in op["responses"].items():
            for case in declared.get("x-amzn-api-sandbox", {}).get("static", []):
                cases += 1
                params = case["request"]["parameters"]
                body = params.get("body", {}).get("value")
                if method == "post" and body is None:
                    # "Your request must still include all required parameters" (NOTES §4.3).
                    body = _minimal_body(_body_definition(model, op))
                response = await _call(
                    http,
                    headers,
                    method,
                    path,
                    order_id=params["amazonOrderId"]["value"],
                    marketplaces=params.get("marketplaceIds", {}).get("value", [US]),
                    body=body,
                )
                label = f"{op['operationId']} {params['amazonOrderId']['value']}"
                assert response.status_code == int(code), f"{label}: {response.text}"
                _assert_matches_sandbox(op["operationId"], response.json(), case["response"], label)
    assert cases >= 2


def _assert_matches_sandbox(
    operation: str, got: dict[str, Any], expected: dict[str, Any], label: str
) -> None:
    if "_links" not in expected:
        assert got == expected, label
        return
    # The sandbox action lists are stale (they still offer removed types): compare the links we do offer.
    sandbox_links = {link["name"]: link["href"] for link in expected["_links"]["actions"]}
    our_links = {link["name"]: link["href"] for link in got["_links"]["actions"]}
    assert got["_links"]["self"] == expected["_links"]["self"], label
    assert our_links
    for name, href in our_links.items():
        if name in sandbox_links:
            assert href == sandbox_links[name], label
        else:
            assert name == "invoice", f"{label}: unexpected action {name}"


async def test_request_limits_are_the_models_limits(
    standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str]
) -> None:
    model = load_model("messaging.json")
    standin.state.rate_limiting = False
    standin.state.orders[ORDER].actions |= {
        "confirmCustomizationDetails",
        "confirmServiceDetails",
        "digitalAccessKey",
    }
    checked = 0
    for path, method, op in _operations(model):
        definition = _body_definition(model, op)
        if method != "post" or definition is None:
            continue
        props = definition["properties"]
        base = _minimal_body(definition)

        async def status(body: dict[str, Any], path: str = path) -> int:
            response = await _call(
                http, seller_headers, "post", path, order_id=ORDER, marketplaces=[US], body=body
            )
            return response.status_code

        name = op["operationId"]
        if "text" in props:
            longest = props["text"]["maxLength"]
            assert await status({**base, "text": "x" * longest}) == 201, name
            assert await status({**base, "text": "x" * (longest + 1)}) == 400, name
            assert await status({**base, "text": ""}) == 400, name
            checked += 1
        if "attachments" in props:
            # The model writes the item limit as "maxLength" on the array.
            most = props["attachments"]["maxLength"]
            item = base["attachments"][0]
            assert await status({**base, "attachments": [item] * most}) == 201, name
            assert await status({**base, "attachments": [item] * (most + 1)}) == 400, name
            if props["attachments"].get("minLength") == 1:
                assert await status({**base, "attachments": []}) == 400, name
            checked += 1
    assert checked >= 9


def _usage_plans(model: dict[str, Any]) -> dict[str, tuple[float, int]]:
    plans = {}
    for _, _, op in _operations(model):
        match = re.search(
            r"\*\*Usage Plan:\*\*.*?\|\s*-+\s*\|\s*-+\s*\|\s*\n\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|",
            op.get("description", ""),
            re.S,
        )
        if match:
            plans[op["operationId"]] = (float(match[1]), int(match[2]))
    return plans


def test_usage_plans_of_stand_in_and_client_are_the_models() -> None:
    plans = {**_usage_plans(load_model("messaging.json")), **_usage_plans(load_model("solicitations.json"))}
    assert len(plans) >= 12
    for operation, (rate, burst) in plans.items():
        assert (DEFAULT_RATE_LIMITS[operation].rate, DEFAULT_RATE_LIMITS[operation].burst) == (rate, burst)
        assert (CLIENT_RATE_LIMITS[operation].rate, CLIENT_RATE_LIMITS[operation].burst) == (rate, burst)


async def test_embedded_action_schemas_accept_what_the_model_accepts(
    standin: StandinHandle, http: httpx.AsyncClient, seller_headers: dict[str, str]
) -> None:
    model = load_model("messaging.json")
    by_action = {path.rsplit("/", 1)[-1]: op for path, _, op in _operations(model) if "/messages/" in path}
    response = await http.get(
        f"/messaging/v1/orders/{ORDER}", params={"marketplaceIds": US}, headers=seller_headers
    )
    embedded = response.json()["_embedded"]["actions"]
    assert embedded
    for action in embedded:
        name = action["_links"]["self"]["name"]
        payload = action["_embedded"]["schema"]["payload"]
        Draft4Validator.check_schema(payload)
        accepted = _minimal_body(_body_definition(model, by_action[name]))
        assert not list(Draft4Validator(payload).iter_errors(accepted)), name
        assert list(Draft4Validator(payload).iter_errors({})), f"{name}: an empty body must not pass"
