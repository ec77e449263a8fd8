"""GET /v1/stats."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.responder.api import stats_service as service
from services.responder.api.deps import NowDep, ReadSessionDep, requires
from services.responder.api.schemas.common import error_responses
from services.responder.api.schemas.stats import StatsOut, StatsQuery
from services.responder.api.security import STATS_READ, Principal

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["stats"])


@router.get(
    "/stats",
    response_model=StatsOut,
    summary="Counts, reasons, keyword trends, response times, SLA and auto-reply rates, account health",
    responses=error_responses(400, 401, 403, 422, 429),
)
async def get_stats(
    query: Annotated[StatsQuery, Query()],
    caller: Annotated[Principal, Depends(requires(STATS_READ))],
    session: ReadSessionDep,
    now: NowDep,
) -> StatsOut:
    """Tickets by creation time in [from, to), bucketed by day, week or month (UTC)."""
    return await service.stats(session, query=query, caller=caller, now=now)
