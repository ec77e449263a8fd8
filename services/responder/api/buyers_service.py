"""GET /v1/buyers/{hash}: history and the abusive-returner score, explained."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.api.errors import ApiError
from services.responder.api.repositories import buyers as repo
from services.responder.api.schemas.buyers import (
    AbuseOut,
    BuyerEventOut,
    BuyerHistoryOut,
    BuyerOut,
    ReasonOut,
)
from services.responder.api.security import Principal
from services.responder.api.views import summary_of
from services.responder.buyers import repository as history_repo
from services.responder.tables import Ticket
from shared.abuse import assess_abuse

__all__ = ["buyer"]


def _from_ticket(tickets: list[Ticket], threshold: float) -> AbuseOut:
    latest = next((t for t in tickets if t.abusive_score is not None), None)
    if latest is None or latest.abusive_score is None:
        return AbuseOut(score=None, abusive=False, threshold=threshold, source="none", reasons=[])
    reasons = [
        ReasonOut(rule_id=str(r["rule_id"]), detail=str(r.get("detail", "")), weight=r.get("weight"))
        for r in latest.reasons or []
        if str(r.get("rule_id", "")).startswith("abuse.")
    ]
    score = latest.abusive_score
    return AbuseOut(
        score=score, abusive=score >= threshold, threshold=threshold, source="latest_ticket", reasons=reasons
    )


async def buyer(
    session: AsyncSession,
    *,
    buyer_hash: str,
    caller: Principal,
    now: datetime,
    threshold: float,
    window: timedelta,
) -> BuyerOut:
    """404 when the caller's sellers know nothing about this buyer."""
    sellers = list(caller.sellers)
    events = (
        list(await history_repo.buyer_events(session, buyer_hash=buyer_hash, sellers=sellers))
        if sellers
        else []
    )
    tickets = (
        list(await repo.buyer_tickets(session, buyer_hash=buyer_hash, sellers=sellers)) if sellers else []
    )
    if not events and not tickets:
        raise ApiError(404, "buyer_not_found", "no history for this buyer")
    history = await history_repo.buyer_history(session, buyer_hash=buyer_hash, sellers=sellers, now=now)
    if events:
        assessed = assess_abuse(history, threshold=threshold)
        abuse = AbuseOut(
            score=assessed.score,
            abusive=assessed.abusive,
            threshold=threshold,
            source="recomputed",
            reasons=[
                ReasonOut(rule_id=r.rule_id, detail=r.detail, weight=r.weight) for r in assessed.reasons
            ],
        )
    else:
        abuse = _from_ticket(tickets, threshold)
    counts = dataclasses.asdict(history)
    counts.pop("orders_365d", None)
    return BuyerOut(
        buyer_hash=buyer_hash,
        history=BuyerHistoryOut(**counts),
        abuse=abuse,
        events=[
            BuyerEventOut(
                event_id=e.event_id,
                seller_id=e.seller_id,
                order_id=e.order_id,
                kind=e.kind,
                reason=e.reason,
                long_use=e.long_use,
                occurred_at=e.occurred_at,
            )
            for e in events
        ],
        tickets=[summary_of(t, now=now, window=window) for t in tickets],
    )
