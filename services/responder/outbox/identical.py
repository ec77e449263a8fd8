"""The identical-message cap: the same text sent to many orders in one day draws Amazon's review.

Automatic rows are counted per seller, UTC day and digest of the normalised body (case folded, digits masked so
order numbers and dates do not make two texts differ, whitespace collapsed). The count lives in PostgreSQL
and is read and raised under the seller's budget lock in the sender's claim transaction, so every replica sees
the same number. A row that would go past the cap is never dropped and never sent as-is: it is ``held`` for a
person (a visible status of the reply, an ``reply_held`` timeline entry, the ticket escalated), who writes
their own reply. Rows a person queued are never held: a human already chose those words.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.outbox import identical_repository as repo
from services.responder.outbox.budget import budget_day
from services.responder.tables import OutboxMessage
from services.responder.tickets import repository as tickets_repo
from services.responder.tickets import timeline
from shared.crypto import PiiCipher
from shared.errors import PermanentError

__all__ = ["HELD", "IdenticalCap", "body_digest", "hold_row", "normalise_body", "rows_over_cap"]

HELD = "held"
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def normalise_body(text: str) -> str:
    """What 'the same text' means: NFKC, case folded, digit runs masked, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub(" ", _DIGITS.sub("#", folded)).strip()


def body_digest(text: str) -> str:
    """SHA-256 of the normalised body (hex)."""
    return hashlib.sha256(normalise_body(text).encode()).hexdigest()


def rows_over_cap(
    rows: Sequence[tuple[str, str]], *, sent: Counter[tuple[str, str]], cap: int
) -> tuple[list[int], Counter[tuple[str, str]]]:
    """Indexes of the (seller, digest) rows past the cap given today's counts, and what the others add."""
    over: list[int] = []
    added: Counter[tuple[str, str]] = Counter()
    for i, key in enumerate(rows):
        if sent[key] + added[key] >= cap:
            over.append(i)
        else:
            added[key] += 1
    return over, added


class IdenticalCap:
    """Counts the claimed automatic rows and says which must be held (call under the budget lock)."""

    def __init__(self, cap: int, cipher: PiiCipher) -> None:
        self.cap = cap
        self._cipher = cipher
        self._pruned: object = None  # the day whose older counts this process last removed

    async def over_cap(
        self, session: AsyncSession, *, claimed: Sequence[OutboxMessage], now: datetime
    ) -> list[OutboxMessage]:
        """The rows to hold; the others are counted as sent today (in this transaction)."""
        keyed: list[tuple[OutboxMessage, tuple[str, str]]] = []
        for row in sorted(claimed, key=lambda r: (r.created_at, r.id)):
            if row.created_by != "auto" or row.body_enc is None:
                continue  # a person's text, or no text of ours at all (a review request: Amazon writes it)
            try:
                body = self._cipher.decrypt(row.body_enc) or ""
            except PermanentError:
                continue  # the send itself fails this row with the reason
            keyed.append((row, (row.seller_id, body_digest(body))))
        if not keyed:
            return []
        day = budget_day(now)[0].date()
        if self._pruned != day:
            await repo.prune(session, before=day - timedelta(days=1))
            self._pruned = day
        sent = await repo.counts(session, day=day, keys=[k for _, k in keyed])
        over, added = rows_over_cap([k for _, k in keyed], sent=sent, cap=self.cap)
        await repo.add(session, day=day, counts=added)
        return [keyed[i][0] for i in over]


async def hold_row(session: AsyncSession, row: OutboxMessage, *, cap: int, now: datetime) -> None:
    """Hold a claimed row for a person: not sent as-is, not dropped; the timeline says why, the ticket
    escalates."""
    row.status = HELD
    row.claimed_at = None
    row.attempts -= 1
    row.last_error = f"identical_message_cap: {cap} messages with this text already went out today"
    if row.ticket_id is None:
        return  # only rows of a ticket carry a text of ours, so only they are ever held (over_cap)
    await repo.escalate_ticket(session, ticket_id=row.ticket_id)
    entry = timeline.Entry(
        "reply_held", now, {"outbox_id": str(row.id), "reason": "identical_message_cap", "cap": cap}
    )
    await tickets_repo.add_timeline(session, ticket_id=row.ticket_id, entry=entry)
