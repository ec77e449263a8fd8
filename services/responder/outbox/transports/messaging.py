"""Proactive messages through the Messaging API: only an action Amazon lists for the order, in the buyer's locale.

Order of calls: getMessagingActionsForOrder (which message types the order allows now), GetAttributes (the
buyer's locale), then the one POST. The action is the queued one when Amazon lists it, else
``unexpectedProblem``, else ``confirmDeliveryDetails`` for a delivery problem. When none fits, the message fails
for good (the sender escalates the ticket) without a POST: never a 403 loop.
"""

from __future__ import annotations

from typing import Protocol

from services.responder.outbox.transports import OutboundMessage, OutcomeUnknown, Throttled
from services.responder.outbox.transports.spapi_http import SpApiTransport, spapi_http_client
from services.responder.replies.ids import template_category
from shared.errors import ComplaintsError, PermanentError
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
