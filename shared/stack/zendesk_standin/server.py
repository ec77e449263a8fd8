"""The Zendesk stand-in's ASGI app (Tickets API subset per Zendesk's reference) and an in-process server.

Behaviour copied from the public API reference: token auth (``{email}/token:{token}`` basic auth, else 401);
``POST /api/v2/tickets`` honours ``Idempotency-Key`` (same key and body: the original ticket again with
``x-idempotency-lookup: hit``; same key, other body: 400); ``PUT /api/v2/tickets/{id}`` applies status,
priority, tags / additional_tags / remove_tags, custom_fields and a comment; ``GET /api/v2/tickets?external_id=``,
``GET /api/v2/tickets/show_many?ids=`` and ``GET /api/v2/tickets/{id}/comments``. Over ``per_minute`` requests
in a clock minute: 429 with ``Retry-After`` (seconds to the next minute).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from shared.crypto import digests_equal
from shared.stack.zendesk_standin.state import ZendeskFault, ZendeskState, ZendeskTicket, body_digest

__all__ = ["ADMIN_PREFIX", "ZendeskHandle", "create_app", "start_zendesk"]

ADMIN_PREFIX = "/_standin"
_AGENT_ID = 42


def _error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "description": description}, status_code=status, headers=headers)


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _gate(state: ZendeskState, request: Request) -> tuple[JSONResponse | None, ZendeskFault | None]:
    """Auth, outage, injected faults and the rate limit, in that order; a fault marked ``applied`` is returned
    to be answered after the request was carried out."""
    state.requests.append((request.method, request.url.path))
    if state.down is not None:
        return _error(state.down, "ServiceUnavailable", "down"), None
    expected = base64.b64encode(f"{state.email}/token:{state.token}".encode()).decode()
    presented = request.headers.get("authorization", "").removeprefix("Basic ").strip()
    if not digests_equal(expected, presented):
        return _error(401, "Couldn't authenticate you", "bad credentials"), None
    if state.faults:
        fault = state.faults.popleft()
        if fault.applied:
            return None, fault
        return _fault_response(fault), None
    minute = int(time.time() // 60)
    state.window[minute] = state.window.get(minute, 0) + 1
    if state.window[minute] > state.per_minute:
        wait = str(60 - int(time.time()) % 60)
        return _error(429, "TooManyRequests", "rate limited", {"Retry-After": wait}), None
    return None, None


def _fault_response(fault: ZendeskFault) -> JSONResponse:
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
    return _error(fault.status, "InjectedFault", "injected by the test", headers)


def _apply(state: ZendeskState, ticket: ZendeskTicket, body: dict[str, Any]) -> None:
    if "status" in body:
        ticket.status = str(body["status"])
    if "priority" in body:
        ticket.priority = body["priority"]
    if "subject" in body:
        ticket.subject = str(body["subject"])
    if "tags" in body:
        ticket.tags = [str(t) for t in body["tags"]]
    ticket.tags = sorted(
        {*ticket.tags, *map(str, body.get("additional_tags", []))} - set(body.get("remove_tags", []))
    )
    for item in body.get("custom_fields", []):
        ticket.custom_fields[int(item["id"])] = item.get("value")
    comment = body.get("comment")
    if isinstance(comment, dict) and comment.get("body"):
        state.add_comment(
            ticket, str(comment["body"]), public=bool(comment.get("public", True)), author_id=_AGENT_ID
        )
    ticket.updated_at = _now_iso()


def _api_router(state: ZendeskState) -> APIRouter:
    router = APIRouter(prefix="/api/v2")

    async def guarded(request: Request, work: Any) -> Response:
        refused, after = _gate(state, request)
        if refused is not None:
            return refused
        response: Response = await work()
        return _fault_response(after) if after is not None else response

    @router.post("/tickets")
    async def create(request: Request) -> Response:
        async def work() -> Response:
            payload = (await request.json()).get("ticket") or {}
            key = request.headers.get("idempotency-key")
            digest = body_digest(payload)
            if key and key in state.idempotency:
                seen, ticket_id = state.idempotency[key]
                if seen != digest:
                    return _error(400, "IdempotentRequestError", "key reused with different parameters")
                ticket = state.tickets[ticket_id]
                return JSONResponse({"ticket": ticket.as_json()}, 201, {"x-idempotency-lookup": "hit"})
            ticket = ZendeskTicket(
                id=state.next_id,
                external_id=payload.get("external_id"),
                subject=str(payload.get("subject", "")),
                status=str(payload.get("status", "new")),
                priority=payload.get("priority"),
                tags=[],
                custom_fields={},
            )
            state.next_id += 1
            state.tickets[ticket.id] = ticket
            _apply(state, ticket, payload)
            if key:
                state.idempotency[key] = (digest, ticket.id)
            return JSONResponse({"ticket": ticket.as_json()}, 201, {"x-idempotency-lookup": "miss"})

        return await guarded(request, work)

    @router.get("/tickets")
    async def by_external_id(request: Request, external_id: str) -> Response:
        async def work() -> Response:
            found = [t.as_json() for t in state.by_external_id(external_id)]
            return JSONResponse({"tickets": found, "count": len(found)})

        return await guarded(request, work)

    @router.get("/tickets/show_many")
    async def show_many(request: Request, ids: str) -> Response:
        async def work() -> Response:
            wanted = [int(i) for i in ids.split(",") if i.strip().isdigit()]
            return JSONResponse(
                {"tickets": [state.tickets[i].as_json() for i in wanted if i in state.tickets]}
            )

        return await guarded(request, work)

    @router.put("/tickets/{ticket_id}")
    async def update(request: Request, ticket_id: int) -> Response:
        async def work() -> Response:
            ticket = state.tickets.get(ticket_id)
            if ticket is None:
                return _error(404, "RecordNotFound", "Not found")
            _apply(state, ticket, (await request.json()).get("ticket") or {})
            return JSONResponse({"ticket": ticket.as_json()})

        return await guarded(request, work)

    @router.get("/tickets/{ticket_id}/comments")
    async def comments(request: Request, ticket_id: int) -> Response:
        async def work() -> Response:
            ticket = state.tickets.get(ticket_id)
            if ticket is None:
                return _error(404, "RecordNotFound", "Not found")
            return JSONResponse({"comments": ticket.comments, "next_page": None})

        return await guarded(request, work)

    return router


def _admin_router(state: ZendeskState) -> APIRouter:
    router = APIRouter(prefix=ADMIN_PREFIX)

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/tickets")
    async def tickets() -> dict[str, Any]:
        return {"tickets": [{**t.as_json(), "comments": t.comments} for t in state.tickets.values()]}

    @router.post("/faults")
    async def fault(request: Request) -> dict[str, int]:
        spec = await request.json()
        for _ in range(int(spec.get("count", 1))):
            state.faults.append(
                ZendeskFault(int(spec["status"]), spec.get("retry_after"), bool(spec.get("applied", False)))
            )
        return {"queued": len(state.faults)}

    @router.post("/reset")
    async def reset() -> dict[str, str]:
        state.reset()
        return {"status": "ok"}

    return router


def create_app(state: ZendeskState) -> FastAPI:
    """The stand-in: the Tickets API subset and the admin routes over ``state``."""
    app = FastAPI(title="Zendesk stand-in", openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(_api_router(state))
    app.include_router(_admin_router(state))
    return app


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # In-process: leave the host's (pytest's, the CLI's) signal handling alone.
        yield


class ZendeskHandle:
    """A running stand-in: where it listens, its state, and how to stop it."""

    def __init__(
        self, server: uvicorn.Server, task: asyncio.Task[None], state: ZendeskState, base_url: str
    ) -> None:
        self._server = server
        self._task = task
        self.state = state
        self.base_url = base_url

    async def stop(self) -> None:
        """Stop serving and wait for the server task to end."""
        self._server.should_exit = True
        await self._task


async def start_zendesk(
    host: str = "127.0.0.1", port: int = 0, *, state: ZendeskState | None = None
) -> ZendeskHandle:
    """Serve a stand-in on ``host:port`` (0: a free port) in this event loop; return once it answers."""
    state = state or ZendeskState()
    config = uvicorn.Config(
        create_app(state), host=host, port=port, lifespan="off", log_level="warning", access_log=False
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the Zendesk stand-in exited during start-up")
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()
    handle = ZendeskHandle(server, task, state, f"http://{bound[0]}:{bound[1]}")
    async with httpx.AsyncClient(trust_env=False) as probe:
        (await probe.get(f"{handle.base_url}{ADMIN_PREFIX}/health")).raise_for_status()
    return handle
