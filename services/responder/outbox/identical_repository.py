"""SQL of the identical-message cap: today's counts per seller and body digest, raised in one statement."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal, cast

from sqlalchemy import Table, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.outbox.identical_tables import IdenticalBodyCount
from services.responder.tables import Ticket
from services.responder.tickets.transitions import ESCALATED

__all__ = ["Counted", "add", "counts", "escalate_ticket", "prune"]

_COUNTS = cast(Table, IdenticalBodyCount.__table__)
Counted = Literal["sent", "queued"]


async def counts(
    session: AsyncSession, *, day: date, keys: Sequence[tuple[str, str]], of: Counted = "sent"
) -> Counter[tuple[str, str]]:
    """Today's ``sent`` (or ``queued``) rows per (seller, digest)."""
    c = IdenticalBodyCount
    column = c.sent if of == "sent" else c.queued
    stmt = select(c.seller_id, c.body_digest, column).where(
        c.day == day, tuple_(c.seller_id, c.body_digest).in_(list(dict.fromkeys(keys)))
    )
    return Counter({(s, d): n for s, d, n in (await session.execute(stmt)).all()})


async def add(
    session: AsyncSession, *, day: date, counts: Counter[tuple[str, str]], of: Counted = "sent"
) -> None:
    """Raise today's ``sent`` (or ``queued``) counts, a row per key created on first use; keys in a stable
    order, so two transactions raising the same rows never wait on each other in a cycle."""
    rows: list[dict[str, Any]] = [
        {"seller_id": s, "day": day, "body_digest": d, of: n} for (s, d), n in sorted(counts.items()) if n
    ]
    if not rows:
        return
    stmt = insert(_COUNTS).values(rows)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[_COUNTS.c.seller_id, _COUNTS.c.day, _COUNTS.c.body_digest],
            set_={of: _COUNTS.c[of] + stmt.excluded[of]},
        )
    )


async def prune(session: AsyncSession, *, before: date) -> None:
    """Forget the counts of days before ``before``."""
    await session.execute(delete(_COUNTS).where(_COUNTS.c.day < before))


async def escalate_ticket(session: AsyncSession, *, ticket_id: uuid.UUID) -> None:
    """Hand a ticket to a person (its reply is held)."""
    t = cast(Table, Ticket.__table__).c
    await session.execute(
        update(Ticket)
        .where(t.id == ticket_id)
        .values(status=ESCALATED, version=t.version + 1, updated_at=func.now())
    )
