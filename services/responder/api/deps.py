"""Request dependencies: the runtime, the unit of work, the calling key (authenticated, rate limited)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Scope

from services.responder.api.errors import ApiError
from services.responder.api.runtime import ApiRuntime
from services.responder.api.security import TICKETS_READ, TICKETS_WRITE, Principal
from shared.auth_throttle import AuthThrottled
from shared.db.session import unit_of_work
from shared.errors import RetryableError

__all__ = [
    "TICKET_READERS",
    "CallerDep",
    "NowDep",
    "ReadSessionDep",
    "RuntimeDep",
    "SessionDep",
    "TicketReaderDep",
    "client_address",
    "get_runtime",
    "insufficient_scope",
    "requires",
]

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer cpk_...`")


async def get_runtime(request: Request) -> ApiRuntime:
    """The process runtime (set by the lifespan)."""
    runtime = getattr(request.app.state, "runtime", None)
    if not isinstance(runtime, ApiRuntime):
        raise ApiError(503, "unavailable", "the API is starting or stopping")
    return runtime


RuntimeDep = Annotated[ApiRuntime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """The request's transaction: committed when the route returns, before the response is sent."""
    async with unit_of_work(runtime.db) as session:
        yield session


# scope="function": the commit happens before the response leaves, so a 2xx means the change is durable.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A session for reads only, in autocommit mode.

    Under READ COMMITTED every statement takes its own snapshot even inside a transaction, so dropping
    BEGIN/COMMIT changes nothing a reader can see and saves two round trips per request.
    """
    try:
        async with runtime.db.sessions(bind=runtime.read_engine) as session:
            yield session
    except (OperationalError, OSError, ConnectionError, PoolTimeout) as exc:
        raise RetryableError(f"database unavailable: {type(exc).__name__}", code="db") from exc
    except DBAPIError as exc:
        # 08: the connection broke; 57: operator intervention, statement_timeout (57014) included.
        if exc.connection_invalidated or str(getattr(exc.orig, "sqlstate", "") or "")[:2] in {"08", "57"}:
            raise RetryableError("database unavailable or statement timed out", code="db") from exc
        raise


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]


async def get_now(runtime: RuntimeDep) -> datetime:
    """The request's notion of now (one value per request)."""
    return runtime.clock()


NowDep = Annotated[datetime, Depends(get_now)]


def client_address(scope: Scope) -> str:
    """The peer's address as the server saw it (the key of the failed-authentication throttle)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def get_caller(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Authenticate the bearer key (throttled after failures), then spend one token of its rate limit."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401, "unauthorized", "a bearer API key is required", headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        principal = await runtime.keys.verify(credentials.credentials, client=client_address(request.scope))
    except AuthThrottled as exc:
        raise ApiError(
            429,
            "rate_limited",
            "too many failed authentications from this address",
            headers={"Retry-After": exc.retry_after},
        ) from None
    if principal is None:
        raise ApiError(
            401,
            "invalid_api_key",
            "the API key is unknown or revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    wait = runtime.limiter.take(principal.key_id, rate=principal.rate_limit_per_s)
    if wait > 0:
        raise ApiError(
            429,
            "rate_limited",
            "too many requests for this API key",
            headers={"Retry-After": runtime.limiter.retry_after(wait)},
        )
    return principal


CallerDep = Annotated[Principal, Depends(get_caller)]


def insufficient_scope(scope: str) -> ApiError:
    """The 403 of a key without ``scope`` (the routes' and the fast lane's)."""
    return ApiError(403, "insufficient_scope", f"this API key lacks the scope {scope}")


def requires(scope: str, *alternatives: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that answers 403 unless the caller holds ``scope`` (or one of ``alternatives``)."""
    accepted = (scope, *alternatives)

    async def check(caller: CallerDep) -> Principal:
        if not caller.has_any(accepted):
            raise insufficient_scope(scope)
        return caller

    return check


TICKET_READERS = (TICKETS_READ, TICKETS_WRITE)
"""Who may read tickets (``tickets:write`` without PII): the routes' and the fast lane's rule."""
TicketReaderDep = Annotated[Principal, Depends(requires(*TICKET_READERS))]
