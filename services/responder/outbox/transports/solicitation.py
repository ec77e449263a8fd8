"""Review requests through the Solicitations API: only when Amazon offers one for the order, once.

getSolicitationActionsForOrder first (Amazon lists ``productReviewAndSellerFeedback`` only inside the window,
once per order, and not for buyers who opted out), then the one POST, which has no body. Not offered: the row
is skipped, nothing is sent. A refusal of the POST itself (already asked, window just closed) is a skip too.
"""

from __future__ import annotations

from services.responder.outbox.transports import OutboundMessage, OutcomeUnknown, Skipped, Throttled
from services.responder.solicitations.schedule import SOLICITATION_ACTION
from shared.errors import PermanentError
from shared.spapi.client import SpApiClient
from shared.spapi.errors import OutcomeUnknownError, SolicitationNotAvailableError, ThrottledError

__all__ = ["NOT_OFFERED", "SolicitationTransport"]

NOT_OFFERED = "not_offered"


class SolicitationTransport:
    """Send one queued solicitation with the SP-API client (paced per seller and operation)."""

    def __init__(self, client: SpApiClient) -> None:
        self._client = client

    async def send(self, message: OutboundMessage) -> None:
        """getSolicitationActionsForOrder, then createProductReviewAndSellerFeedbackSolicitation."""
        if not message.order_id or not message.marketplace_id:
            raise PermanentError("a solicitation needs an order and a marketplace", code="no_order")
        seller, order, mp = message.seller_id, message.order_id, message.marketplace_id
        try:
            offered = await self._client.get_solicitation_actions(seller, order, mp)
            if SOLICITATION_ACTION not in offered:
                raise Skipped("Amazon does not offer a solicitation for this order now", code=NOT_OFFERED)
            await self._client.create_solicitation(seller, order, mp)
        except SolicitationNotAvailableError as exc:
            raise Skipped(f"Amazon refused the solicitation: {exc.amazon_message}", code=NOT_OFFERED) from exc
        except ThrottledError as exc:
            raise Throttled(str(exc), retry_after=exc.retry_after) from exc
        except OutcomeUnknownError as exc:
            raise OutcomeUnknown(str(exc)) from exc
