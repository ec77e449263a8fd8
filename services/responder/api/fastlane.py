"""A pure-ASGI lane in front of the FastAPI app for the two reads dashboards poll.

GET /v1/tickets and GET /v1/tickets/{id}: through FastAPI's middleware stack, routing and dependency
solving (query model included) a request spent ~0.25 ms of CPU before the route's own code ran, more
than the query and the JSON together (py-spy under `make bench`). The lane answers the well-formed,
authenticated case of those two routes with the same service functions, key store, rate limiter,
error envelopes and metrics as the routes in ``routes/tickets.py``.

Everything else goes to the FastAPI app untouched: other paths and methods, a request without a bearer
key or with an unknown one, a query ``TicketQuery`` rejects, an id that is not a canonical UUID, a runtime
that is not up. So FastAPI still answers every 401/422/503 of its own, and its routes remain what OpenAPI
documents; tests/responder/api/test_fastlane.py sends the same requests both ways and compares the answers.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any, get_origin
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from services.responder.api import tickets_service as service
from services.responder.api.deps import TICKET_READERS, client_address, insufficient_scope
from services.responder.api.errors import (
    ApiError,
    ErrorAnswer,
    api_error_answer,
    internal_answer,
    unavailable_answer,
)
from services.responder.api.metrics import LATENCY, REQUESTS
from services.responder.api.runtime import ApiRuntime
from services.responder.api.schemas.tickets import TicketQuery
from shared.auth_throttle import AuthThrottled
from shared.errors import RetryableError

__all__ = ["TicketReadsLane"]

_LIST_PATH = "/v1/tickets"
_DETAIL_PREFIX = "/v1/tickets/"
_DETAIL_ROUTE = "/v1/tickets/{ticket_id}"  # the route template, as FastAPI labels metrics
_CANONICAL_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Repeated query parameters: lists take every value, scalars the last one (as Starlette's QueryParams).
_LIST_FIELDS = frozenset(n for n, f in TicketQuery.model_fields.items() if get_origin(f.annotation) is list)
_JSON = (b"content-type", b"application/json")


class _FallThrough(Exception):
    """This request is FastAPI's to answer."""


def _bearer(scope: Scope) -> str:
    """The key of the first Authorization header, read as FastAPI's HTTPBearer reads it."""
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"authorization":
            scheme, _, param = value.decode("latin-1").partition(" ")
            token = param.strip()
            if scheme.lower() == "bearer" and token:
                return token
            break
    raise _FallThrough


def _ticket_query(raw: bytes) -> TicketQuery:
    values: dict[str, Any] = {}
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if name in _LIST_FIELDS:
            values.setdefault(name, []).append(value)
        else:
            values[name] = value
    try:
        return TicketQuery.model_validate(values)
    except ValidationError:
        raise _FallThrough from None


class TicketReadsLane:
    """ASGI app: serves the two ticket reads itself when it can, hands every other request to ``app``."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(_LIST_PATH):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        ticket_id: uuid.UUID | None = None
        if path == _LIST_PATH:
            route = _LIST_PATH
        elif path.startswith(_DETAIL_PREFIX) and _CANONICAL_UUID.match(path[len(_DETAIL_PREFIX) :]):
            route, ticket_id = _DETAIL_ROUTE, uuid.UUID(path[len(_DETAIL_PREFIX) :])
        else:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            status, body, headers = await self._answer(scope, ticket_id)
        except _FallThrough:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [_JSON, (b"content-length", str(len(body)).encode()), *headers],
            }
        )
        await send({"type": "http.response.body", "body": body})
        REQUESTS.labels(route, "GET", str(status)).inc()
        LATENCY.labels(route, "GET").observe(time.perf_counter() - started)

    async def _answer(
        self, scope: Scope, ticket_id: uuid.UUID | None
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        runtime = getattr(self.app.state, "runtime", None)
        if not isinstance(runtime, ApiRuntime):
            raise _FallThrough
        query = _ticket_query(scope["query_string"]) if ticket_id is None else None
        token = _bearer(scope)
        try:
            caller = await runtime.keys.verify(token, client=client_address(scope))
            if caller is None or runtime.limiter.take(caller.key_id, rate=caller.rate_limit_per_s) > 0:
                raise _FallThrough  # FastAPI answers 401, or 429 with its Retry-After
            if not caller.has_any(TICKET_READERS):
                raise insufficient_scope(TICKET_READERS[0])
            if query is not None:
                return 200, await service.page_for(runtime, query=query, caller=caller), []
            assert ticket_id is not None
            body, etag = await service.detail_for(runtime, ticket_id=ticket_id, caller=caller)
            return 200, body, [(b"etag", etag.encode())]
        except (_FallThrough, AuthThrottled):
            raise _FallThrough from None  # FastAPI answers 429 for a throttled address
        except ApiError as exc:
            return _error(api_error_answer(exc))
        except RetryableError as exc:
            return _error(unavailable_answer(exc))
        except Exception as exc:  # noqa: BLE001  # answered like FastAPI's catch-all, never re-raised
            return _error(internal_answer(scope["path"], exc))


def _error(answer: ErrorAnswer) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
    return answer.status, orjson.dumps(answer.body), headers
