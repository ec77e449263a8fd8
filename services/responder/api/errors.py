"""JSON errors with stable codes: ``{"error": {"code": ..., "message": ..., "details": [...]}}``.

Codes: unauthorized, invalid_api_key, insufficient_scope, seller_not_allowed, rate_limited, not_found,
ticket_not_found, buyer_not_found, template_not_found, precondition_required, precondition_failed,
invalid_cursor, validation_error, idempotency_key_reused, reply_blocked, method_not_allowed,
unavailable, internal_error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import RetryableError

__all__ = [
    "ApiError",
    "ErrorAnswer",
    "api_error_answer",
    "error_body",
    "install_error_handlers",
    "internal_answer",
    "unavailable_answer",
]

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    """An error the client can act on, answered as JSON with its status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        details: list[Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.details = details


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    """The error envelope."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """Status, envelope and headers of an error response (shared by FastAPI's handlers and the fast lane)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> JSONResponse:
        """As a FastAPI response."""
        return JSONResponse(self.body, self.status, headers=self.headers)


def api_error_answer(exc: ApiError) -> ErrorAnswer:
    """The answer to an ApiError."""
    return ErrorAnswer(exc.status, error_body(exc.code, exc.message, exc.details), exc.headers)


def unavailable_answer(exc: RetryableError) -> ErrorAnswer:
    """503 when a backing service is down (logged without details)."""
    log.warning("api.unavailable", extra={"error": exc.code})
    return ErrorAnswer(
        503, error_body("unavailable", "a backing service is unavailable; retry later"), {"Retry-After": "5"}
    )


def internal_answer(path: str, exc: Exception) -> ErrorAnswer:
    """500 for anything unexpected (logged by type only: the message may carry input)."""
    log.error("api.internal_error", extra={"path": path, "exc_type": type(exc).__name__})
    return ErrorAnswer(500, error_body("internal_error", "internal error"))


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return api_error_answer(exc).response()


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only where and what: the rejected input may be a buyer's text, which must not be echoed or logged.
    details = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    return JSONResponse(error_body("validation_error", "the request is not valid", details), 422)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=dict(exc.headers or {}))


async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RetryableError)
    return unavailable_answer(exc).response()


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    return internal_answer(request.url.path, exc).response()


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves the API in the same JSON envelope."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RetryableError, _unavailable)
    app.add_exception_handler(Exception, _internal)
