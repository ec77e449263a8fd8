"""POST /v1/classify for internal tools: single and batch, same shapes as `complaints classify`."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from services.classifier.engine import Classifier
from services.classifier.http import classify_router
from services.classifier.settings import ClassifierSettings


@pytest.fixture(scope="module")
def app() -> FastAPI:
    app = FastAPI()
    app.include_router(classify_router(Classifier.load(), ClassifierSettings()))
    return app


async def _post(app: FastAPI, path: str, body: object) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.post(path, json=body)


async def test_single_text_gets_category_priority_and_reasons(app: FastAPI) -> None:
    response = await _post(app, "/v1/classify", {"id": "m1", "text": "Mein Paket ist nie angekommen."})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "m1"
    assert body["category"] == "not_received"
    assert body["language"] == "de"
    assert body["reasons"]
    assert body["priority"] in {"P1", "P2", "P3", "P4"}


async def test_batch_keeps_order_and_uses_signals(app: FastAPI) -> None:
    items = [
        {"id": "a", "text": "The screen arrived cracked and it will not turn on."},
        {"id": "b", "text": "", "kind": "a_to_z_claim"},
        {"id": "c", "text": "商品がまだ届いていません。"},
    ]
    response = await _post(app, "/v1/classify/batch", {"items": items})
    assert response.status_code == 200
    out = response.json()["items"]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert out[0]["category"] == "defective"
    assert out[1]["priority"] == "P1"
    assert out[2]["category"] == "not_received"


async def test_bad_input_is_a_clear_4xx(app: FastAPI) -> None:
    assert (await _post(app, "/v1/classify", {"text": "no id"})).status_code == 422
    assert (await _post(app, "/v1/classify/batch", {"items": []})).status_code == 422
    bad_kind = await _post(app, "/v1/classify", {"id": "x", "text": "hi", "kind": "not-a-kind"})
    assert bad_kind.status_code == 400
    assert "x" in bad_kind.json()["detail"]
