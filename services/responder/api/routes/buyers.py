"""GET /v1/buyers/{buyer_hash}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from services.responder.api import buyers_service as service
from services.responder.api.deps import NowDep, ReadSessionDep, RuntimeDep, requires
from services.responder.api.schemas.buyers import BuyerOut
from services.responder.api.schemas.common import error_responses
from services.responder.api.security import TICKETS_READ, Principal

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["buyers"])


@router.get(
    "/buyers/{buyer_hash}",
    response_model=BuyerOut,
    summary="A buyer's history and abusive-returner score",
    responses=error_responses(401, 403, 404, 422, 429),
)
async def get_buyer(
    buyer_hash: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="The salted buyer hash.")],
    caller: Annotated[Principal, Depends(requires(TICKETS_READ))],
    session: ReadSessionDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> BuyerOut:
    """Only events and tickets of the caller's sellers count."""
    return await service.buyer(
        session,
        buyer_hash=buyer_hash,
        caller=caller,
        now=now,
        threshold=runtime.settings.classifier.abusive_threshold,
        window=runtime.sla_window,
    )
