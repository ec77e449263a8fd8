"""Proactive messages through the Messaging API: only an action Amazon lists for the order, in the buyer's locale.

Order of calls: getMessagingActionsForOrder (which message types the order allows now), GetAttributes (the
buyer's locale), then the one POST. The action is the queued one when Amazon lists it, else
``unexpectedProblem``, else ``confirmDeliveryDetails`` for a delivery problem. When none fits, the message fails
for good (the sender escalates the ticket) without a POST: never a 403 loop.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import httpx

from services.responder.outbox.transports import OutboundMessage, OutcomeUnknown, Throttled
from services.responder.replies.ids import template_category
from shared.errors import ComplaintsError, PermanentError
from shared.settings import SpApiSettings
from shared.spapi.client import SpApiClient
from shared.spapi.errors import OutcomeUnknownError, ThrottledError

__all__ = [
    "DELIVERY_CATEGORIES",
    "LocaleRenderer",
    "MessagingTransport",
    "SpApiTransport",
    "choose_action",
    "spapi_http_client",
]

UNEXPECTED_PROBLEM = "unexpectedProblem"
CONFIRM_DELIVERY = "confirmDeliveryDetails"
DELIVERY_CATEGORIES = frozenset({"not_received"})
"""Complaint categories about delivery, where confirmDeliveryDetails fits the message's purpose."""


class LocaleRenderer(Protocol):
    """Re-renders a queued message for the buyer's locale (None when no compliant text exists)."""

    def rerender(self, message: OutboundMessage, *, action: str, locale: str) -> str | None:
        """The text for ``action`` in ``locale``."""
        ...


def choose_action(message: OutboundMessage, allowed: set[str]) -> str | None:
    """The message type to send, from those Amazon allows for the order now (None: nothing fits)."""
    if message.action and message.action in allowed:
        return message.action
    if UNEXPECTED_PROBLEM in allowed:
        return UNEXPECTED_PROBLEM
    delivery = (
        message.action == CONFIRM_DELIVERY or template_category(message.template_id) in DELIVERY_CATEGORIES
    )
    if delivery and CONFIRM_DELIVERY in allowed:
        return CONFIRM_DELIVERY
    return None


class MessagingTransport:
    """Send one queued message with the SP-API client (rate limited per seller and operation)."""

    def __init__(self, client: SpApiClient, renderer: LocaleRenderer | None = None) -> None:
        self._client = client
        self._renderer = renderer

    async def send(self, message: OutboundMessage) -> None:
        """getMessagingActionsForOrder, GetAttributes, then the action; an uncertain send is OutcomeUnknown."""
        if not message.order_id or not message.marketplace_id:
            raise PermanentError("a Messaging API message needs an order and a marketplace", code="no_order")
        seller, order, mp = message.seller_id, message.order_id, message.marketplace_id
        try:
            allowed = set(await self._client.get_messaging_actions(seller, order, mp))
            action = choose_action(message, allowed)
            if action is None:
                raise PermanentError(
                    "no suitable message action is available for this order", code="no_action"
                )
            text = message.body
            if self._renderer is not None:
                locale = await self._client.get_attributes(seller, order, mp)
                rendered = _rerender(self._renderer, message, action=action, locale=locale)
                if rendered is None:
                    raise PermanentError(f"no compliant text in the buyer's locale {locale}", code="locale")
                text = rendered
            await self._client.send_message(seller, order, mp, action, {"text": text})
        except ThrottledError as exc:
            raise Throttled(str(exc), retry_after=exc.retry_after) from exc
        except OutcomeUnknownError as exc:
            raise OutcomeUnknown(str(exc)) from exc


def _rerender(renderer: LocaleRenderer, message: OutboundMessage, *, action: str, locale: str) -> str | None:
    # Nothing was posted yet: a template that is gone or broken fails this row for good, never the sender.
    try:
        return renderer.rerender(message, action=action, locale=locale)
    except ComplaintsError:
        raise
    except Exception as exc:  # any rendering fault: permanent for this row, nothing was posted
        raise PermanentError(f"re-rendering failed: {type(exc).__name__}", code="render") from exc


class SpApiTransport(httpx.AsyncBaseTransport):
    """At most ``limit`` requests on the wire, each on a connection of its own; the others wait here, in order.

    Every connection is a one-connection pool, taken from an idle list (most recently used first, so spare
    ones expire) for one request at a time. httpcore's shared pool checks every connection (a system call
    each) and hands one idle connection to every queued request at once for each request it places, so its
    bookkeeping grew with connections x requests and cost more CPU than the requests themselves. A request
    waiting here has not left the host, so a cancellation or crash while waiting is harmless.
    """

    def __init__(self, limit: int, *, keepalive_expiry_s: float = 4.0) -> None:
        self._gate = asyncio.Semaphore(limit)
        self._limits = httpx.Limits(
            max_connections=1, max_keepalive_connections=1, keepalive_expiry=keepalive_expiry_s
        )
        self._ssl = httpx.create_ssl_context()  # loading the CA bundle costs ~0.1 s: once, not per connection
        self._idle: list[httpx.AsyncHTTPTransport] = []
        self._every: list[httpx.AsyncHTTPTransport] = []

    def _connection(self) -> httpx.AsyncHTTPTransport:
        if self._idle:
            return self._idle.pop()
        made = httpx.AsyncHTTPTransport(verify=self._ssl, limits=self._limits)
        self._every.append(made)
        return made

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self._gate:
            connection = self._connection()
            try:
                response = await connection.handle_async_request(request)
                try:
                    raw = b"".join([chunk async for chunk in response.aiter_raw()])
                finally:
                    await response.aclose()
            finally:
                self._idle.append(connection)
        return httpx.Response(
            response.status_code, headers=response.headers, content=raw, extensions=response.extensions
        )

    @property
    def connections(self) -> int:
        """Connections opened so far (each serves one request at a time)."""
        return len(self._every)

    async def aclose(self) -> None:
        for connection in self._every:
            await connection.aclose()


def spapi_http_client(settings: SpApiSettings, *, connections: int | None = None) -> httpx.AsyncClient:
    """The HTTP client for ``SpApiClient(settings, http=...)`` when many sends are in flight at once, with
    ``connections`` (default ``SPAPI_HTTP_CONNECTIONS``) on the wire at most."""
    limit = settings.http_connections if connections is None else connections
    return httpx.AsyncClient(timeout=httpx.Timeout(settings.timeout_s), transport=SpApiTransport(limit))
