"""BodyLimit: oversize bodies are answered 413 before the app reads them, declared or streamed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.types import Receive, Scope, Send

from shared.health import HealthState, health_app
from shared.http_limits import BodyLimit
from tests.shared.raw_http import raw_request, serve_asgi

LIMIT = 64 * 1024


class _ReadsEverything:
    """An app that reads the whole body, then answers 200 with its length (calls counted)."""

    def __init__(self) -> None:
        self.calls = 0
        self.received = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        self.calls += 1
        self.received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                await send({"type": "http.response.start", "status": 499, "headers": []})
                await send({"type": "http.response.body", "body": b"gone"})
                return
            self.received += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = str(self.received).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def test_a_declared_oversize_body_is_413_before_the_app_runs() -> None:
    app = _ReadsEverything()
    async with serve_asgi(BodyLimit(app, default=LIMIT)) as port:
        # 10 GB announced, 5 bytes sent: only an answer that ignores the body can come back.
        answer = await raw_request(
            port, "POST /anything HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000000", body=b"hello"
        )
    assert answer.status == 413
    assert b"payload_too_large" in answer.body
    assert app.calls == 0


async def test_a_streamed_body_is_cut_at_the_limit_and_answered_413() -> None:
    app = _ReadsEverything()
    async with serve_asgi(BodyLimit(app, default=LIMIT)) as port:
        # Chunked and endless (no final chunk): the answer arrives while the client is still sending.
        answer = await raw_request(
            port,
            "POST /anything HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked",
            chunk=b"x" * 8192,
            chunks=10_000,
        )
    assert answer.status == 413
    assert answer.sent < 10_000 * 8192
    assert app.received <= LIMIT + 8192


async def test_per_path_limits_and_bodies_within_the_limit_pass() -> None:
    app = _ReadsEverything()
    async with serve_asgi(BodyLimit(app, default=LIMIT, limits={"/big": 4 * LIMIT})) as port:
        small = await raw_request(
            port, f"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: {LIMIT}", body=b"a" * LIMIT
        )
        big = await raw_request(
            port, f"POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: {2 * LIMIT}", body=b"a" * 2 * LIMIT
        )
        too_big_here = await raw_request(
            port, f"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: {2 * LIMIT}", body=b"a" * 2 * LIMIT
        )
    assert (small.status, small.body) == (200, str(LIMIT).encode())
    assert (big.status, big.body) == (200, str(2 * LIMIT).encode())
    assert too_big_here.status == 413


async def test_service_apps_cap_bodies_before_their_routes() -> None:
    """What the classifier serves: health routes plus its routers, under ``max_body_bytes``."""
    router = APIRouter()
    reached: list[int] = []

    @router.post("/v1/classify")
    async def classify(request: Request) -> dict[str, int]:
        reached.append(len(await request.body()))
        return {"size": reached[-1]}

    app = health_app(HealthState(), max_body_bytes=LIMIT)
    app.include_router(router)
    async with serve_asgi(app) as port:
        over = await raw_request(
            port, "POST /v1/classify HTTP/1.1\r\nHost: t\r\nContent-Length: 1073741824", body=b"{}"
        )
        streamed = await raw_request(
            port,
            "POST /v1/classify HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked",
            chunk=b"x" * 8192,
            chunks=10_000,
        )
        fine = await raw_request(
            port, "POST /v1/classify HTTP/1.1\r\nHost: t\r\nContent-Length: 2", body=b"{}"
        )
    assert (over.status, streamed.status, fine.status) == (413, 413, 200)
    assert reached == [2]
