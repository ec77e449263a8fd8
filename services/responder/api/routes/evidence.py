"""GET /v1/tickets/{id}/evidence: the evidence pack of an A-to-z claim or an abusive return (SAFE-T)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.responder.api import evidence_service as service
from services.responder.api.deps import NowDep, ReadSessionDep, RuntimeDep, TicketReaderDep
from services.responder.api.schemas.common import error_responses
from services.responder.api.schemas.evidence import EvidencePack

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["tickets"])


@router.get(
    "/tickets/{ticket_id}/evidence",
    response_model=EvidencePack,
    summary="The evidence pack of an A-to-z claim (or of a return tagged abusive_returner, for SAFE-T)",
    responses=error_responses(401, 403, 404, 409, 422, 429),
)
async def get_evidence(
    ticket_id: uuid.UUID, caller: TicketReaderDep, runtime: RuntimeDep, session: ReadSessionDep, now: NowDep
) -> EvidencePack:
    """Order and shipment proof, every message and reply with its outcome, product, returns and the 72 h
    deadline; assembled when read. Message text only for tickets:read (as on the ticket); 409 when the
    ticket is neither an A-to-z claim nor an abusive return."""
    return await service.evidence_for(
        session, ticket_id=ticket_id, caller=caller, cipher=runtime.cipher, now=now, window=runtime.sla_window
    )
