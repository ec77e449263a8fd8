"""Signed webhook delivery with exponential backoff: the one home of webhook signing and of what a receiver's
answer means (SLA alerts and the generic ticket/reply webhooks both post through ``WebhookSender``).

Each POST carries ``X-Complaints-Timestamp`` (unix seconds) and ``X-Complaints-Signature: v1=<hex>``, the
HMAC-SHA256 of ``<timestamp>.<body>`` under the shared secret; receivers recompute it and reject stale
timestamps to stop replays. 5xx, 429 and transport errors are retried; other 4xx are final. ``attempt`` is
one classified POST (for callers that keep their own retry schedule); ``deliver`` retries in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from shared.crypto import digests_equal

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookAttempt", "WebhookSender", "sign", "verify"]

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Complaints-Timestamp"
SIGNATURE_HEADER = "X-Complaints-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for a body sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def verify(
    secret: str, timestamp: int, body: bytes, signature: str, *, now: float, tolerance_s: float
) -> bool:
    """What a receiver does: fresh timestamp and a matching signature (constant-time)."""
    if abs(now - timestamp) > tolerance_s:
        return False
    return digests_equal(sign(secret, timestamp, body), signature)


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    """One POST's result: ``delivered`` (2xx), else whether trying again may help, and how soon at least."""

    delivered: bool
    retryable: bool
    outcome: str
    retry_after: float | None = None


class WebhookSender:
    """POSTs JSON bodies to one URL; ``deliver`` returns True once the receiver answered 2xx."""

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        max_attempts: int,
        backoff_s: float,
        timeout_s: float,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = asyncio.sleep,
    ) -> None:
        self._url = url
        self._secret = secret
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._client = client or httpx.AsyncClient(timeout=timeout_s)
        self._clock = clock
        self._sleep = sleep

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def attempt(self, body: bytes, *, event_type: str, event_id: str) -> WebhookAttempt:
        """One signed POST, classified: 5xx, 429 and transport errors are retryable, other 4xx final."""
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json",
            "X-Complaints-Event": event_type,
            "X-Complaints-Event-Id": event_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.TransportError as exc:
            return WebhookAttempt(False, True, f"transport:{type(exc).__name__}")
        if response.is_success:
            return WebhookAttempt(True, False, f"http:{response.status_code}")
        retryable = response.status_code == 429 or response.status_code >= 500
        retry_after = _seconds(response.headers.get("Retry-After")) if retryable else None
        return WebhookAttempt(False, retryable, f"http:{response.status_code}", retry_after)

    async def deliver(self, body: bytes, *, event_type: str, event_id: str) -> bool:
        """Send with retries; False when every attempt failed or the receiver refused for good."""
        for attempt in range(1, self._max_attempts + 1):
            result = await self.attempt(body, event_type=event_type, event_id=event_id)
            if result.delivered:
                return True
            if not result.retryable:
                log.warning("webhook.refused", extra={"event_id": event_id, "outcome": result.outcome})
                return False
            log.info(
                "webhook.retry", extra={"event_id": event_id, "attempt": attempt, "outcome": result.outcome}
            )
            if attempt < self._max_attempts:
                delay = self._backoff_s * 2 ** (attempt - 1) * (0.5 + random.random() / 2)  # jitter only
                await self._wait(max(delay, min(result.retry_after or 0.0, 60.0)))
        log.warning("webhook.gave_up", extra={"event_id": event_id, "attempts": self._max_attempts})
        return False

    async def _wait(self, seconds: float) -> None:
        result = self._sleep(seconds)
        if asyncio.iscoroutine(result):
            await result


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
