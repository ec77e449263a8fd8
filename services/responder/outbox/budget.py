"""The daily send budget per seller: a ceiling on buyer messages per UTC day, so a runaway never spams.

Limit = ``per_order`` x average daily orders + ``base`` (default 5 x orders + 600), unless the seller has an
explicit limit. The average comes from the seller's setting when there is one, else from the order context
rows of the last ``window_days`` days. Every message that may have reached a buyer today counts: sent,
unknown and in flight. A row over the budget is not dropped and not escalated: it stays ``pending`` with
``not_before`` at the start of the next UTC day, and the ticket's timeline says so. Rows a person queued
(``created_by`` other than ``auto``) count but are never deferred: the budget guards against automation.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.outbox import repository as outbox_repo
from services.responder.outbox.repository import COUNTED_STATUSES
from services.responder.settings import ResponderSettings
from services.responder.tables import OutboxMessage
from services.responder.tickets import repository, timeline

__all__ = [
    "COUNTED_STATUSES",
    "BudgetPolicy",
    "SendBudget",
    "budget_day",
    "daily_limit",
    "defer_to_next_day",
    "rows_to_defer",
]

"""Outbox states that may have reached a buyer: they use up budget."""

BUDGET_USED = Gauge(
    "outbox_send_budget_used",
    "Messages that count against a seller's daily send budget today, as the sender last counted them.",
    ["seller_id"],
)
BUDGET_LIMIT = Gauge(
    "outbox_send_budget_limit", "A seller's daily send budget (messages per UTC day).", ["seller_id"]
)


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """How the daily limit of each seller is set."""

    per_order: float = 5.0
    base: int = 600
    average_daily_orders: Mapping[str, float] = field(default_factory=dict)
    limits: Mapping[str, int] = field(default_factory=dict)
    window_days: int = 30
    cache_ttl: timedelta = timedelta(minutes=10)
    usage_ttl: timedelta = timedelta(minutes=1)
    exact_margin: float = 0.1
    enabled: bool = True

    @classmethod
    def from_settings(cls, settings: ResponderSettings) -> BudgetPolicy:
        """The policy configured with ``RESPONDER_SEND_BUDGET_*`` and ``RESPONDER_AVERAGE_DAILY_ORDERS``."""
        return cls(
            per_order=settings.send_budget_per_order,
            base=settings.send_budget_base,
            average_daily_orders=dict(settings.average_daily_orders),
            limits=dict(settings.send_budget_limits),
        )


def daily_limit(policy: BudgetPolicy, seller_id: str, *, counted_orders: int) -> int:
    """Messages ``seller_id`` may send per day (``counted_orders``: orders seen in the window)."""
    explicit = policy.limits.get(seller_id)
    if explicit is not None:
        return max(0, explicit)
    average = policy.average_daily_orders.get(seller_id)
    if average is None:
        average = counted_orders / max(1, policy.window_days)
    return max(0, math.ceil(policy.per_order * average) + policy.base)


def budget_day(now: datetime) -> tuple[datetime, datetime]:
    """Start of ``now``'s UTC day and of the next one (the budget resets at UTC midnight)."""
    start = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def rows_to_defer(
    claimed: Sequence[OutboxMessage], *, used: Mapping[str, int], limits: Mapping[str, int]
) -> list[OutboxMessage]:
    """Claimed automatic rows beyond their seller's limit, newest first (``used`` includes ``claimed``)."""
    deferred: list[OutboxMessage] = []
    by_seller: dict[str, list[OutboxMessage]] = {}
    for row in claimed:
        by_seller.setdefault(row.seller_id, []).append(row)
    for seller_id, rows in by_seller.items():
        over = used.get(seller_id, 0) - limits.get(seller_id, 0)
        automatic = [
            r for r in sorted(rows, key=lambda r: r.created_at, reverse=True) if r.created_by == "auto"
        ]
        deferred.extend(automatic[: max(0, over)])
    return deferred


async def defer_to_next_day(session: AsyncSession, row: OutboxMessage, *, now: datetime) -> None:
    """Keep an unclaimed row pending until the next budget day, and say so on the ticket's timeline."""
    row.not_before = budget_day(now)[1]
    row.last_error = "daily send budget reached; deferred to the next day"
    if row.ticket_id is None:
        return  # a solicitation has no timeline
    entry = timeline.deferred_entry(outbox_id=row.id, not_before=row.not_before, now=now)
    await repository.add_timeline(session, ticket_id=row.ticket_id, entry=entry)


class SendBudget:
    """Daily limits (cached for ``cache_ttl``) and today's usage per seller.

    Usage is counted in the database when first needed, when older than ``usage_ttl`` and whenever a seller
    is within ``exact_margin`` of the limit; in between, this sender adds its own claims to the last count.
    That is exact because one sender serves a seller at a time (ownership.py) and forgets a seller's count
    when it takes the seller over; the count and the claims it allows commit together under the seller's
    budget lock (``lease_repository.lock_budgets``), so two senders never both spend the last message.
    """

    def __init__(self, policy: BudgetPolicy) -> None:
        self.policy = policy
        self._cache: dict[str, tuple[datetime, int]] = {}
        self._usage: dict[str, tuple[datetime, datetime, int]] = {}  # seller -> (day, valid until, used)

    async def limits(
        self, session: AsyncSession, *, seller_ids: Iterable[str], now: datetime
    ) -> dict[str, int]:
        """The current daily limit of each seller."""
        wanted = set(seller_ids)
        fresh = {s: hit[1] for s in wanted if (hit := self._cache.get(s)) and hit[0] > now}
        missing = sorted(wanted - fresh.keys())
        if missing:
            counted: Mapping[str, int] = {}
            if any(
                s not in self.policy.limits and s not in self.policy.average_daily_orders for s in missing
            ):
                since = now - timedelta(days=self.policy.window_days)
                counted = await outbox_repo.orders_since(session, seller_ids=missing, since=since)
            for seller_id in missing:
                limit = daily_limit(self.policy, seller_id, counted_orders=counted.get(seller_id, 0))
                self._cache[seller_id] = (now + self.policy.cache_ttl, limit)
                fresh[seller_id] = limit
        return fresh

    async def over_budget(
        self, session: AsyncSession, *, claimed: Sequence[OutboxMessage], now: datetime
    ) -> list[OutboxMessage]:
        """Which of the just-claimed rows (flushed as 'sending') must wait for tomorrow."""
        if not self.policy.enabled or not claimed:
            return []
        day = budget_day(now)[0]
        batch = Counter(row.seller_id for row in claimed)
        limits = await self.limits(session, seller_ids=batch, now=now)
        used: dict[str, int] = {}
        exact = [
            s for s in batch if not self._clearly_under(s, day=day, now=now, more=batch[s], limit=limits[s])
        ]
        if exact:
            counted = await outbox_repo.sends_since(session, seller_ids=exact, since=day)
            for seller_id in exact:
                used[seller_id] = counted.get(seller_id, 0)  # the claimed rows included
        for seller_id in batch.keys() - set(exact):
            used[seller_id] = self._usage[seller_id][2] + batch[seller_id]
        deferred = rows_to_defer(claimed, used=used, limits=limits)
        held = Counter(row.seller_id for row in deferred)
        for seller_id, n in used.items():
            fresh = seller_id in exact
            until = now + self.policy.usage_ttl if fresh else self._usage[seller_id][1]
            self._usage[seller_id] = (day, until, n - held[seller_id])
            BUDGET_USED.labels(seller_id).set(n - held[seller_id])
            BUDGET_LIMIT.labels(seller_id).set(limits[seller_id])
        return deferred

    def forget(self, seller_ids: Iterable[str]) -> None:
        """Drop the local usage of these sellers: their next check counts in the database."""
        for seller_id in seller_ids:
            self._usage.pop(seller_id, None)

    def _clearly_under(self, seller_id: str, *, day: datetime, now: datetime, more: int, limit: int) -> bool:
        # Far below the limit the local count is good enough; near it (or when stale) count in the database,
        # which also sees what other sender replicas sent.
        known = self._usage.get(seller_id)
        if known is None or known[0] != day or known[1] <= now:
            return False
        return known[2] + more <= limit * (1 - self.policy.exact_margin)
