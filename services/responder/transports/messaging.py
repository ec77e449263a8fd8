"""Proactive messages through the Messaging API: only an action Amazon lists for the order, in the buyer's locale."""

from __future__ import annotations

from typing import Protocol

from services.responder.transports import OutboundMessage, OutcomeUnknown
from shared.errors import PermanentError
from shared.spapi.client import SpApiClient
from shared.spapi.errors import OutcomeUnknownError

__all__ = ["LocaleRenderer", "MessagingTransport"]

_PREFERENCE = ("unexpectedProblem", "confirmDeliveryDetails")


class LocaleRenderer(Protocol):
    """Re-renders a queued message for the buyer's locale (None when no compliant text exists)."""

    def rerender(self, message: OutboundMessage, *, action: str, locale: str) -> str | None:
        """The text for ``action`` in ``locale``."""
        ...


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
        allowed = set(await self._client.get_messaging_actions(seller, order, mp))
        wanted = [message.action] if message.action else []
        action = next((a for a in [*wanted, *_PREFERENCE] if a in allowed), None)
        if action is None:
            raise PermanentError("no suitable message action is available for this order", code="no_action")
        text = message.body
        if self._renderer is not None:
            locale = await self._client.get_attributes(seller, order, mp)
            rendered = self._renderer.rerender(message, action=action, locale=locale)
            if rendered is None:
                raise PermanentError(f"no compliant text in the buyer's locale {locale}", code="locale")
            text = rendered
        try:
            await self._client.send_message(seller, order, mp, action, {"text": text})
        except OutcomeUnknownError as exc:
            raise OutcomeUnknown(str(exc)) from exc
