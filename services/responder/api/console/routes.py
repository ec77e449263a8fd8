"""/console: sign-in, queue, ticket, reply. Thin: decode the form, call the API's services, render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from services.responder.api import stats_service, tickets_service
from services.responder.api.console import evidence, tickets
from services.responder.api.console import session as cookies
from services.responder.api.console.auth import (
    ConsoleCaller,
    ConsoleSessionDep,
    NotSignedIn,
    WriterDep,
    WriteRefused,
    form_of,
    secret_of,
    secure_transport,
)
from services.responder.api.console.charts import stacked_bars
from services.responder.api.console.pages import STATIC, render
from services.responder.api.console.presence import Presence
from services.responder.api.console.queue import SLA_STATES, VIEWS, queue_view
from services.responder.api.console.views import (
    countdown_of,
)
from services.responder.api.deps import (
    TICKET_READERS,
    NowDep,
    ReadSessionDep,
    RuntimeDep,
    client_address,
)
from services.responder.api.errors import ApiError
from services.responder.api.schemas.stats import StatsQuery
from services.responder.api.security import STATS_READ
from services.responder.tickets.status import STATUSES
from shared.auth_throttle import AuthThrottled

__all__ = ["install"]

router = APIRouter(prefix="/console", include_in_schema=False)


def install(app: FastAPI) -> None:
    """Add the console's routes, its static files and its answers to a missing session or CSRF token."""
    app.include_router(router)
    app.include_router(tickets.router)
    app.include_router(evidence.router)
    app.state.console_presence = Presence()  # who has which ticket open, in this process
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")

    async def not_signed_in(request: Request, exc: Exception) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/console/sign-in"})
        return RedirectResponse("/console/sign-in", status_code=303)

    async def refused(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("refused: the session's CSRF token is missing or wrong", status_code=403)

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.add_exception_handler(WriteRefused, refused)


def _cookie(response: Response, value: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(
        cookies.COOKIE,
        value,
        max_age=max_age,
        path="/console",
        secure=secure,
        httponly=True,
        samesite="strict",
    )


@router.get("")
async def home() -> Response:
    """The queue (the sign-in form when there is no session)."""
    return RedirectResponse("/console/queue", status_code=303)


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    """The sign-in form."""
    return render("sign_in.html", error=None, insecure=secure_transport(request) is None)


@router.post("/sign-in")
async def sign_in(request: Request, runtime: RuntimeDep) -> Response:
    """Exchange an API key for a session cookie (the key itself never goes into the cookie)."""
    secure = secure_transport(request)
    if secure is None:
        return render("sign_in.html", status=403, error="The console needs https.", insecure=True)
    key = (await form_of(request)).get("api_key", "").strip()
    try:
        principal = await runtime.keys.verify(key, client=client_address(request.scope))
    except AuthThrottled:
        return render("sign_in.html", status=429, error="Too many failed attempts; wait.", insecure=False)
    if principal is None:
        return render("sign_in.html", status=401, error="Unknown or revoked API key.", insecure=False)
    value, _ = cookies.issue(key_id=principal.key_id, now=runtime.clock(), secret=secret_of(runtime))
    response = RedirectResponse("/console/queue", status_code=303)
    _cookie(response, value, secure=secure, max_age=int(cookies.LIFETIME.total_seconds()))
    return response


@router.post("/sign-out")
async def sign_out(caller: WriterDep) -> Response:
    """End the session in this browser."""
    response = RedirectResponse("/console/sign-in", status_code=303)
    response.delete_cookie(cookies.COOKIE, path="/console", secure=True, httponly=True, samesite="strict")
    return response


async def _page(request: Request, caller: ConsoleCaller, runtime: RuntimeDep) -> dict[str, Any]:
    if not caller.principal.has_any(TICKET_READERS):
        raise ApiError(403, "insufficient_scope", "this API key cannot read tickets")
    view = queue_view(request.query_params, actor=caller.principal.actor)
    doc = orjson.loads(await tickets_service.page_for(runtime, query=view.query, caller=caller.principal))
    return {
        "rows": [
            item | {"countdown": countdown_of(item, now=runtime.clock(), window=runtime.sla_window)}
            for item in doc["items"]
        ],
        "params": view.params,
        "rows_url": view.url("/console/queue/rows", view.cursor),
        "next_url": view.url("/console/queue", doc["next_cursor"]) if doc["next_cursor"] else None,
    }


@router.get("/queue")
async def queue(request: Request, caller: ConsoleSessionDep, runtime: RuntimeDep) -> Response:
    """Tickets by SLA due time, with views and filters."""
    page = await _page(request, caller, runtime)
    return render(
        "queue.html",
        me=caller,
        csrf=caller.token.csrf(secret_of(runtime)),
        views=VIEWS,
        statuses=STATUSES,
        sla_states=SLA_STATES,
        **page,
    )


@router.get("/queue/rows")
async def queue_rows(request: Request, caller: ConsoleSessionDep, runtime: RuntimeDep) -> Response:
    """The rows alone (polled by the page every few seconds)."""
    return render("queue_rows.html", **await _page(request, caller, runtime))


STATS_WEEKS = 12


def _hours(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 3600:.1f} h"


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


@router.get("/stats")
async def stats_page(
    caller: ConsoleSessionDep, runtime: RuntimeDep, session: ReadSessionDep, now: NowDep
) -> Response:
    """Tickets by category per week, top reasons per ASIN and month, first response, SLA and auto-reply rates."""
    if not caller.principal.has(STATS_READ):
        raise ApiError(403, "insufficient_scope", "this API key lacks the scope stats:read")
    query = StatsQuery.model_validate(
        {"from": now - timedelta(weeks=STATS_WEEKS), "to": now, "bucket": "week"}
    )
    figures = await stats_service.stats(session, query=query, caller=caller.principal, now=now)
    chart = stacked_bars((r.bucket, r.key, r.count) for r in figures.counts.category)
    return render(
        "stats.html",
        me=caller,
        csrf=caller.token.csrf(secret_of(runtime)),
        s=figures,
        chart=chart,
        weeks=STATS_WEEKS,
        hours=_hours,
        percent=_percent,
    )
