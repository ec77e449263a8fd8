"""What the responder keeps for account health from the events it consumes (pure selection, SQL in repository).

Amazon's figures come as AccountHealthReported. Our own defect signals come from the complaints we classify:
feedback report rows of one or two stars (Amazon's negative feedback) and A-to-z claims (the claim notice, or
the returns report's A-to-z column). Chargebacks reach us only inside Amazon's report: no input of ours carries
a chargeback notice.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.health import repository
from shared.events import AccountHealthReported, ComplaintClassified, SignalKind

__all__ = ["NEGATIVE_FEEDBACK_MAX_STARS", "defects_of", "record_health"]

NEGATIVE_FEEDBACK_MAX_STARS = 2
"""Amazon counts one- and two-star feedback as negative (an order defect)."""


def defects_of(event: ComplaintClassified) -> list[repository.Defect]:
    """The order defects a classified complaint shows (none without an order id)."""
    signal = event.signal
    if not signal.order_id:
        return []
    kinds: list[str] = []
    rating = signal.feedback_rating
    if (
        signal.kind is SignalKind.FEEDBACK_REPORT_ROW
        and rating is not None
        and rating <= NEGATIVE_FEEDBACK_MAX_STARS
    ):
        kinds.append("negative_feedback")
    if signal.kind is SignalKind.A_TO_Z_CLAIM or signal.a_to_z_claim:
        kinds.append("a_to_z")
    return [
        repository.Defect(
            seller_id=event.seller_id,
            order_id=signal.order_id,
            kind=kind,
            marketplace_id=signal.marketplace_id,
            occurred_at=signal.occurred_at,
        )
        for kind in kinds
    ]


async def record_health(
    session: AsyncSession, *, events: Sequence[AccountHealthReported | ComplaintClassified]
) -> None:
    """Store Amazon's figures and our defect signals of a batch (already deduplicated by event id)."""
    reports = [e for e in events if isinstance(e, AccountHealthReported)]
    defects = [d for e in events if isinstance(e, ComplaintClassified) for d in defects_of(e)]
    await repository.add_reports(session, events=reports)
    await repository.add_defects(session, defects=defects)
