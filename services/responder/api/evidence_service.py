"""GET /v1/tickets/{id}/evidence: the claim's evidence pack, assembled when read (a handful of indexed
queries: ready as soon as the claim's ticket exists)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.api.errors import ApiError
from services.responder.api.evidence import evidence_kind, evidence_pack
from services.responder.api.schemas.evidence import EvidencePack
from services.responder.api.security import Principal
from services.responder.api.tickets_service import load_ticket, read_ticket
from services.responder.shipments import repository as shipments
from shared.crypto import PiiCipher

__all__ = ["evidence_for"]


async def evidence_for(
    session: AsyncSession,
    *,
    ticket_id: uuid.UUID,
    caller: Principal,
    cipher: PiiCipher,
    now: datetime,
    window: timedelta,
) -> EvidencePack:
    """The pack of the caller's ticket; 404 for another tenant's id, 409 for a ticket that is no claim."""
    ticket = await load_ticket(session, ticket_id=ticket_id, caller=caller)
    detail = await read_ticket(session, ticket=ticket, caller=caller, cipher=cipher, now=now, window=window)
    kind = evidence_kind(detail)
    if kind is None:
        raise ApiError(
            409,
            "not_a_claim",
            "evidence packs are kept for A-to-z claims and for returns tagged abusive_returner",
        )
    milestones = (
        await shipments.milestones_of_order(session, seller_id=ticket.seller_id, order_id=ticket.order_id)
        if ticket.order_id
        else []
    )
    return evidence_pack(detail, kind=kind, milestones=milestones, now=now)
