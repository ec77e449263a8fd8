"""Signed webhook delivery with exponential backoff.

Each POST carries ``X-Complaints-Timestamp`` (unix seconds) and ``X-Complaints-Signature: v1=<hex>``, the
HMAC-SHA256 of ``<timestamp>.<body>`` under the shared secret; receivers recompute it and reject stale
timestamps to stop replays. 5xx, 429 and transport errors are retried; other 4xx are final.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
import time
from collections.abc import Callable

import httpx

from shared.crypto import digests_equal

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookSender", "sign", "verify"]

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

    async def deliver(self, body: bytes, *, event_type: str, event_id: str) -> bool:
        """Send with retries; False when every attempt failed or the receiver refused for good."""
        for attempt in range(1, self._max_attempts + 1):
            timestamp = int(self._clock())
            headers = {
                "Content-Type": "application/json",
                "X-Complaints-Event": event_type,
                "X-Complaints-Event-Id": event_id,
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            }
            retry_after: float | None = None
            try:
                response = await self._client.post(self._url, content=body, headers=headers)
            except httpx.TransportError as exc:
                outcome = f"transport:{type(exc).__name__}"
            else:
                if response.is_success:
                    return True
                outcome = f"http:{response.status_code}"
                if response.status_code != 429 and response.status_code < 500:
                    log.warning("webhook.refused", extra={"event_id": event_id, "outcome": outcome})
                    return False
                retry_after = _seconds(response.headers.get("Retry-After"))
            log.info("webhook.retry", extra={"event_id": event_id, "attempt": attempt, "outcome": outcome})
            if attempt < self._max_attempts:
                delay = self._backoff_s * 2 ** (attempt - 1) * (0.5 + random.random() / 2)  # jitter only
                await self._wait(max(delay, min(retry_after or 0.0, 60.0)))
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
