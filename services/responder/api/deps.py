"""Request dependencies: the runtime, the unit of work, the calling key (authenticated, rate limited)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.api.errors import ApiError
from services.responder.api.runtime import ApiRuntime
from services.responder.api.security import Principal
from shared.db.session import unit_of_work
from shared.errors import RetryableError

__all__ = [
    "CallerDep",
    "NowDep",
    "ReadSessionDep",
    "RuntimeDep",
    "SessionDep",
    "get_runtime",
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
    except (OperationalError, OSError, ConnectionError) as exc:
        raise RetryableError(f"database unavailable: {type(exc).__name__}", code="db") from exc


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]


async def get_now(runtime: RuntimeDep) -> datetime:
    """The request's notion of now (one value per request)."""
    return runtime.clock()


NowDep = Annotated[datetime, Depends(get_now)]


async def get_caller(
    runtime: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """Authenticate the bearer key, then spend one token of its rate limit."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401, "unauthorized", "a bearer API key is required", headers={"WWW-Authenticate": "Bearer"}
        )
    principal = await runtime.keys.verify(credentials.credentials)
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


def requires(scope: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that answers 403 unless the caller holds ``scope``."""

    async def check(caller: CallerDep) -> Principal:
        if not caller.has(scope):
            raise ApiError(403, "insufficient_scope", f"this API key lacks the scope {scope}")
        return caller

    return check
