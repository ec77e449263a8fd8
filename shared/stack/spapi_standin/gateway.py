"""The pipeline every stand-in operation runs through: faults, LWA token check, usage plan, headers, log."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from shared.stack.spapi_standin.connections import Connections, peer_of
from shared.stack.spapi_standin.state import Fault, RequestRecord, StandinState

__all__ = ["HAL", "JSON", "Caller", "Endpoint", "Gateway", "content_type", "error_response", "json_object"]

HAL = "application/hal+json"
JSON = "application/json"
ACCESS_DENIED = "Access to requested resource is denied."

# Observed in public client tests (NOTES §4.4); the models do not spell out a 429 body.
_FAULT_ERRORS: dict[int, tuple[str, str]] = {
    429: ("QuotaExceeded", "You exceeded your quota for the requested resource."),
    500: ("InternalFailure", "We encountered an internal error. Please try again."),
    503: ("ServiceUnavailable", "Temporary overloading or maintenance of the server."),
}
# Statuses on which Amazon sends x-amzn-RateLimit-Limit "on a best-effort basis" (NOTES §4.4).
_RATE_HEADER_STATUSES = frozenset({200, 201, 202, 204, 400, 404})

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the application and the selling partner its token was issued for."""

    client_id: str
    seller_id: str
    request_id: str


def error_response(
    status: int, code: str, message: str, details: str = "", *, media_type: str = HAL
) -> JSONResponse:
    """The SP-API error shape ``{"errors": [{"code", "message", "details"}]}``."""
    body = {"errors": [{"code": code, "message": message, "details": details}]}
    return JSONResponse(body, status_code=status, media_type=media_type)


class Gateway:
    """Wraps operation handlers with what Amazon's front door does before and after them."""

    def __init__(self, state: StandinState, connections: Connections) -> None:
        self.state = state
        self.connections = connections

    def operation(
        self, name: str, handler: Callable[[Request, Caller], Awaitable[Response]], *, media_type: str = HAL
    ) -> Endpoint:
        """An endpoint that needs a seller's access token and obeys the operation's usage plan."""

        async def endpoint(request: Request) -> Response:
            request_id = str(uuid.uuid4())
            state = self.state
            early = await self._fault(name, request, processed=False, media_type=media_type)
            if early is not None:
                return self._finish(early, name, request, None, request_id)
            token = state.access_tokens.get(request.headers.get("x-amz-access-token", ""))
            if token is None or token.seller_id is None:
                details = "" if token else "The access token you provided is revoked, malformed or invalid."
                denied = error_response(403, "Unauthorized", ACCESS_DENIED, details, media_type=media_type)
                return self._finish(denied, name, request, None, request_id)
            if state.clock() >= token.expires_at:
                expired = error_response(
                    403,
                    "Unauthorized",
                    ACCESS_DENIED,
                    "The access token you provided has expired.",
                    media_type=media_type,
                )
                return self._finish(expired, name, request, token.seller_id, request_id)
            if not state.admit(token.client_id, token.seller_id, name):
                throttled = _fault_error(429, media_type)
                return self._finish(throttled, name, request, token.seller_id, request_id)
            response = await handler(request, Caller(token.client_id, token.seller_id, request_id))
            late = await self._fault(name, request, processed=True, media_type=media_type)
            response = late or response
            if response.status_code in _RATE_HEADER_STATUSES and name in state.rate_limits:
                response.headers["x-amzn-RateLimit-Limit"] = repr(float(state.rate_limits[name].rate))
            return self._finish(response, name, request, token.seller_id, request_id)

        return endpoint

    def open(self, name: str, handler: Endpoint, *, media_type: str = JSON) -> Endpoint:
        """An endpoint without SP-API auth or usage plan (LWA, document downloads) that still takes faults."""

        async def endpoint(request: Request) -> Response:
            request_id = str(uuid.uuid4())
            early = await self._fault(name, request, processed=False, media_type=media_type)
            if early is not None:
                return self._finish(early, name, request, None, request_id)
            response = await handler(request)
            late = await self._fault(name, request, processed=True, media_type=media_type)
            return self._finish(late or response, name, request, None, request_id)

        return endpoint

    async def _fault(
        self, name: str, request: Request, *, processed: bool, media_type: str
    ) -> Response | None:
        fault = self.state.take_fault(name, processed=processed)
        if fault is None:
            return None
        return await self._apply(fault, request, media_type)

    async def _apply(self, fault: Fault, request: Request, media_type: str) -> Response | None:
        if fault.kind == "delay":
            await asyncio.sleep(fault.delay_s)
            return None
        if fault.kind == "drop":
            if await self.connections.drop(peer_of(request.scope.get("client"))):
                # uvicorn discards whatever we answer now: the connection is gone.
                return Response(status_code=599)
            return _fault_error(500, media_type)
        return _fault_error(fault.status, media_type)

    def _finish(
        self, response: Response, name: str, request: Request, seller_id: str | None, request_id: str
    ) -> Response:
        response.headers["x-amzn-RequestId"] = request_id
        self.state.requests.append(
            RequestRecord(
                operation=name,
                seller_id=seller_id,
                status=0 if response.status_code == 599 else response.status_code,
                at=self.state.clock(),
                user_agent=request.headers.get("user-agent"),
                amz_date=request.headers.get("x-amz-date"),
            )
        )
        return response


def _fault_error(status: int, media_type: str) -> JSONResponse:
    code, message = _FAULT_ERRORS.get(status, (str(status), "Injected failure."))
    return error_response(status, code, message, media_type=media_type)


def content_type(request: Request) -> str:
    """The request's media type without parameters, lower-cased."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def json_object(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
