"""SecurityHeaders: the hardening headers on every answer, a policy that fits what is answered."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from shared.http_security import API_POLICY, SecurityHeaders

_SCRIPT = b"window.ready = 1;"
_PAGE = (
    b"<html><head><script src='/a.js'></script><script>" + _SCRIPT + b"</script></head><body></body></html>"
)


def _sha(body: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"


async def _json(_: Request) -> Response:
    return JSONResponse({"ok": True})


async def _page(_: Request) -> Response:
    return HTMLResponse(_PAGE)


async def _streamed_page(_: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(_PAGE), 7):
            yield _PAGE[start : start + 7]

    return StreamingResponse(chunks(), media_type="text/html")


async def _own_policy(_: Request) -> Response:
    return HTMLResponse("<p>x</p>", headers={"Content-Security-Policy": "default-src 'self'"})


def _client() -> httpx.AsyncClient:
    app = Starlette(
        routes=[
            Route("/json", _json),
            Route("/page", _page),
            Route("/streamed", _streamed_page),
            Route("/own", _own_policy),
        ]
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=SecurityHeaders(app)), base_url="http://t")


async def test_a_json_answer_may_load_nothing_and_carries_the_hardening_headers() -> None:
    async with _client() as client:
        response = await client.get("/json")
    assert response.json() == {"ok": True}
    assert response.headers["content-security-policy"] == API_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_a_page_may_run_only_its_own_inline_script_by_hash_whole_or_streamed() -> None:
    async with _client() as client:
        whole, streamed = await client.get("/page"), await client.get("/streamed")
    for response in (whole, streamed):
        assert response.content == _PAGE
        scripts = response.headers["content-security-policy"].split("script-src ")[1].split(";")[0].split()
        assert scripts == ["'self'", _sha(_SCRIPT)]
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_a_response_with_its_own_policy_keeps_it() -> None:
    async with _client() as client:
        response = await client.get("/own")
    assert response.headers.get_list("content-security-policy") == ["default-src 'self'"]
    assert response.headers["x-content-type-options"] == "nosniff"
