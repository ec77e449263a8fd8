"""A small Zendesk Tickets API client whose failures are classified for the sync worker.

``Throttled`` (429, with Retry-After): Zendesk did nothing, retry after the wait. ``RetryableError``: connection
refused, a 5xx or a timeout; the request may or may not have been carried out, so the worker looks before it
writes again (external_id, note reference). ``PermanentError``: any other 4xx.
"""

from __future__ import annotations

from typing import Any

import httpx

from services.responder.outbox.transports import Throttled
from shared.errors import PermanentError, RetryableError

__all__ = ["IdempotencyMismatch", "ZendeskClient"]


class IdempotencyMismatch(PermanentError):
    """The Idempotency-Key was used with another body (400): the ticket exists, look it up."""


class ZendeskClient:
    """One seller's Zendesk account: token auth, JSON in and out, classified errors."""

    def __init__(
        self,
        *,
        base_url: str,
        email: str,
        token: str,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            auth=(f"{email}/token", token),
            timeout=timeout_s,
            trust_env=False,
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def create_ticket(self, body: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """POST /api/v2/tickets; the same key and body give the same ticket back."""
        data = await self._call(
            "POST", "/api/v2/tickets", json=body, headers={"Idempotency-Key": idempotency_key}
        )
        return dict(data["ticket"])

    async def update_ticket(self, remote_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """PUT /api/v2/tickets/{id}."""
        data = await self._call("PUT", f"/api/v2/tickets/{remote_id}", json=body)
        return dict(data["ticket"])

    async def find_by_external_id(self, external_id: str) -> list[dict[str, Any]]:
        """GET /api/v2/tickets?external_id=..."""
        data = await self._call("GET", "/api/v2/tickets", params={"external_id": external_id})
        return [dict(t) for t in data.get("tickets", [])]

    async def comments(self, remote_id: int) -> list[dict[str, Any]]:
        """GET /api/v2/tickets/{id}/comments (first page: our notes are recent)."""
        data = await self._call("GET", f"/api/v2/tickets/{remote_id}/comments")
        return [dict(c) for c in data.get("comments", [])]

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise RetryableError(
                f"zendesk unreachable: {type(exc).__name__}", code="zendesk_transport"
            ) from exc
        status = response.status_code
        if status == 429:
            raise Throttled("zendesk rate limit", code="zendesk_429", retry_after=_seconds(response))
        if status >= 500:
            raise RetryableError(
                f"zendesk answered {status}", code="zendesk_5xx", retry_after=_seconds(response)
            )
        if status == 400 and "Idempotent" in response.text:
            raise IdempotencyMismatch("idempotency key reused with another body", code="zendesk_idempotency")
        if status >= 400:
            raise PermanentError(f"zendesk refused with {status}", code=f"zendesk_{status}")
        try:
            data = response.json()
        except ValueError as exc:
            raise RetryableError("zendesk answered with no JSON", code="zendesk_body") from exc
        if not isinstance(data, dict):
            raise RetryableError("zendesk answered with no JSON object", code="zendesk_body")
        return data


def _seconds(response: httpx.Response) -> float | None:
    try:
        value = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return min(max(value, 0.0), 3600.0)
