"""One SP-API call: pacing, LWA token, headers, retries where they are safe, and error classification."""

from __future__ import annotations

import asyncio
import logging
import platform
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from prometheus_client import Counter

from shared.settings import SpApiSettings
from shared.spapi.endpoints import base_url_for
from shared.spapi.errors import (
    AuthorizationError,
    InvalidRequestError,
    MessageNotAllowedError,
    NotFoundError,
    OutcomeUnknownError,
    ServiceUnavailableError,
    SolicitationNotAvailableError,
    SpApiConnectionError,
    SpApiError,
    SpApiPermanentError,
    ThrottledError,
)
from shared.spapi.lwa import LwaClient
from shared.spapi.ratelimit import RateLimiter

__all__ = ["Call", "CallExecutor", "RetryPolicy", "user_agent"]

log = logging.getLogger(__name__)

ACCESS_DENIED = "Access to requested resource is denied."
NOT_ALLOWED = "Invalid amazonOrderId and template combination"
# Failures that happen before a byte of the request leaves this host: Amazon cannot have acted.
_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def user_agent() -> str:
    """``complaints/<version> (Language=Python/<v>; Platform=<os>)`` as the SP-API guide recommends."""
    try:
        version = metadata.version("complaints")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"complaints/{version} (Language=Python/{platform.python_version()}; Platform={platform.system()})"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter for 429, 5xx and connection failures."""

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_retry_after_s: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))
        jittered = ceiling / 2 + random.uniform(0.0, ceiling / 2)
        if retry_after is not None:
            return max(jittered, min(retry_after, self.max_retry_after_s))
        return jittered


@dataclass(frozen=True)
class Call:
    """One operation call; ``sends`` marks a buyer-visible effect that must never happen twice."""

    operation: str
    method: str
    path: str
    seller_id: str
    marketplace_id: str | None
    params: Mapping[str, str] | None = None
    json_body: Mapping[str, Any] | None = None
    sends: bool = False


@dataclass(frozen=True)
class _AmazonError:
    code: str | None
    message: str | None
    details: str | None

    @classmethod
    def of(cls, response: httpx.Response) -> _AmazonError:
        try:
            first = response.json()["errors"][0]
            return cls(first.get("code"), first.get("message"), first.get("details"))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return cls(None, None, None)


CALLS = Counter(
    "spapi_calls_total",
    "SP-API HTTP calls (each attempt) by operation and status code; 'error' when no answer came.",
    ["operation", "status"],
)


class CallExecutor:
    """Runs ``Call``s for ``SpApiClient``."""

    def __init__(
        self,
        settings: SpApiSettings,
        http: httpx.AsyncClient,
        lwa: LwaClient,
        limiter: RateLimiter,
        retry: RetryPolicy,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._http = http
        self._lwa = lwa
        self._limiter = limiter
        self._retry = retry
        self._sleep = sleep
        self._user_agent = user_agent()
        self._bases: dict[str | None, str] = {}
        self._date: tuple[int, str] = (0, "")

    def _url(self, call: Call) -> str:
        # The query is encoded here, once: httpx merging ``params`` into the URL costs more than the request
        # line itself. The base of each marketplace is looked up once.
        base = self._bases.get(call.marketplace_id)
        if base is None:
            base = self._bases[call.marketplace_id] = base_url_for(
                self._settings.endpoint, call.marketplace_id
            )
        query = f"?{urlencode(call.params, quote_via=quote)}" if call.params else ""
        return base + call.path + query

    async def execute(self, call: Call) -> httpx.Response:
        """The 2xx response, or the classified ``SpApiError``."""
        url = self._url(call)
        token_refreshed = False
        attempt = 0
        while True:
            attempt += 1
            await self._limiter.acquire(call.seller_id, call.operation)
            token = await self._lwa.access_token(call.seller_id)
            try:
                response = await self._http.request(
                    call.method,
                    url,
                    json=dict(call.json_body) if call.json_body is not None else None,
                    headers=self._headers(token),
                )
            except httpx.TransportError as exc:
                CALLS.labels(call.operation, "error").inc()
                failure = self._transport_failure(call, exc, attempt)
                if failure is not None:
                    raise failure from exc
                await self._backoff(call, attempt, None, type(exc).__name__)
                continue
            status = response.status_code
            CALLS.labels(call.operation, str(status)).inc()
            if status < 300:
                self._limiter.observe_rate(
                    call.seller_id, call.operation, response.headers.get("x-amzn-RateLimit-Limit")
                )
                return response
            error = _AmazonError.of(response)
            if _token_rejected(status, error) and not token_refreshed:
                # An expired or revoked token is refused before anything happens: refresh once and repeat.
                self._lwa.invalidate(call.seller_id, token)
                token_refreshed = True
                attempt -= 1
                continue
            if status == 429:
                self._limiter.throttled(call.seller_id, call.operation)
            if not _repeatable(call, status) or attempt >= self._retry.max_attempts:
                raise _classify(call, response, error)
            await self._backoff(call, attempt, _retry_after(response), str(status))

    def _headers(self, token: str) -> dict[str, str]:
        now = datetime.now(UTC)
        second = int(now.timestamp())
        if self._date[0] != second:  # formatted once a second, not per request
            self._date = (second, now.strftime("%Y%m%dT%H%M%SZ"))
        return {
            "x-amz-access-token": token,
            "x-amz-date": self._date[1],
            "user-agent": self._user_agent,
            "accept": "application/json",
        }

    def _transport_failure(self, call: Call, exc: httpx.TransportError, attempt: int) -> SpApiError | None:
        reason = type(exc).__name__
        if call.sends and not isinstance(exc, _UNSENT):
            return OutcomeUnknownError(
                f"{call.operation}: no answer after the request was sent ({reason})", operation=call.operation
            )
        if attempt >= self._retry.max_attempts:
            return SpApiConnectionError(f"{call.operation}: {reason}", operation=call.operation)
        return None

    async def _backoff(self, call: Call, attempt: int, retry_after: float | None, reason: str) -> None:
        delay = self._retry.delay(attempt, retry_after)
        log.warning(
            "spapi.retry",
            extra={
                "operation": call.operation,
                "seller_id": call.seller_id,
                "attempt": attempt,
                "reason": reason,
                "delay_s": round(delay, 3),
            },
        )
        await self._sleep(delay)


def _token_rejected(status: int, error: _AmazonError) -> bool:
    return status == 401 or (status == 403 and error.message == ACCESS_DENIED)


def _repeatable(call: Call, status: int) -> bool:
    """Whether repeating is safe: 429 and 503 come before processing; other 5xx may come after it."""
    if status in (429, 503):
        return True
    return status >= 500 and not call.sends


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


def _classify(call: Call, response: httpx.Response, error: _AmazonError) -> SpApiError:
    status = response.status_code
    kind: type[SpApiError]
    if status == 429:
        kind = ThrottledError
    elif status >= 500:
        kind = OutcomeUnknownError if call.sends and status != 503 else ServiceUnavailableError
    elif _token_rejected(status, error):
        kind = AuthorizationError
    elif status == 403 and (error.message or "").startswith(NOT_ALLOWED):
        kind = MessageNotAllowedError
    elif status == 403 and call.operation == "createProductReviewAndSellerFeedbackSolicitation":
        kind = SolicitationNotAvailableError
    elif status == 403:
        kind = MessageNotAllowedError if call.sends else AuthorizationError
    elif status == 404:
        kind = NotFoundError
    elif status in (400, 413, 415, 422):
        kind = InvalidRequestError
    else:
        kind = SpApiPermanentError
    return kind(
        f"{call.operation}: HTTP {status} {error.code or ''} {error.message or ''}".strip(),
        operation=call.operation,
        status=status,
        amazon_code=error.code,
        amazon_message=error.message,
        amazon_details=error.details,
        request_id=response.headers.get("x-amzn-RequestId"),
    )
