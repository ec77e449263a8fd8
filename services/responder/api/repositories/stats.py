"""SQL of GET /v1/stats: one statement per figure, all scoped to the caller's sellers and the time range.

Bucket and window names are inlined from a fixed allow-list (GROUP BY must repeat the same expression,
which bound parameters would not be); everything else is bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.tickets.status import AWAITING_SELLER

__all__ = [
    "BUCKETS",
    "StatsScope",
    "auto_reply_counts",
    "counts_by_dimension",
    "first_response_percentiles",
    "keyword_trends",
    "returns_by_reason",
    "sla_counts",
    "solicitation_counts",
    "top_reasons_per_asin",
]

BUCKETS = ("day", "week", "month")
_DIMENSIONS = {
    "category": "t.category",
    "priority": "coalesce(t.priority_override, t.priority)",
    "marketplace": "t.marketplace_id",
    "asin": "t.asin",
    "sku": "t.sku",
}
# Bookkeeping reasons say how the verdict was reached, not what the buyer complained about.
_NOT_A_COMPLAINT_REASON = ("language.%", "text.%", "sla.%", "priority.points", "abuse.score")
_FEATURE = r"""substring(e->>'detail' from '^[''"](.+)[''"] -> ')"""


@dataclass(frozen=True, slots=True)
class StatsScope:
    """Sellers (already authorised), optional marketplaces and the half-open range [start, end)."""

    sellers: Sequence[str]
    marketplaces: Sequence[str]
    start: datetime
    end: datetime
    bucket: str


def _where(scope: StatsScope, column: str = "t.created_at") -> str:
    clause = f"t.seller_id IN :sellers AND {column} >= :start AND {column} < :end"
    return clause + (" AND t.marketplace_id IN :markets" if scope.marketplaces else "")


def _params(scope: StatsScope, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"sellers": list(scope.sellers), "start": scope.start, "end": scope.end, **extra}
    if scope.marketplaces:
        params["markets"] = list(scope.marketplaces)
    return params


async def _rows(session: AsyncSession, sql: str, scope: StatsScope, **extra: Any) -> Sequence[Any]:
    stmt = text(sql).bindparams(bindparam("sellers", expanding=True))
    if scope.marketplaces:
        stmt = stmt.bindparams(bindparam("markets", expanding=True))
    return (await session.execute(stmt, _params(scope, **extra))).all()


def _trunc(scope: StatsScope, unit: str | None = None) -> str:
    chosen = unit or scope.bucket
    if chosen not in BUCKETS:
        raise ValueError(f"unknown bucket {chosen}")
    return f"date_trunc('{chosen}', t.created_at, 'UTC')"


async def counts_by_dimension(
    session: AsyncSession, scope: StatsScope
) -> list[tuple[str, datetime, str | None, int]]:
    """(dimension, bucket start, key, tickets) for every dimension, in one scan (GROUPING SETS)."""
    b = _trunc(scope)
    cols = ", ".join(f"{expr} AS {name}" for name, expr in _DIMENSIONS.items())
    flags = ", ".join(f"grouping({name}) AS g_{name}" for name in _DIMENSIONS)
    sets = ", ".join(f"(b, {name})" for name in _DIMENSIONS)
    sql = (
        f"SELECT b, {', '.join(_DIMENSIONS)}, {flags}, count(*) AS n FROM "
        f"(SELECT {b} AS b, {cols} FROM tickets t WHERE {_where(scope)}) AS s "
        f"GROUP BY GROUPING SETS ({sets}) ORDER BY b"
    )
    out: list[tuple[str, datetime, str | None, int]] = []
    for row in await _rows(session, sql, scope):
        m = row._mapping
        for name in _DIMENSIONS:
            if m[f"g_{name}"] == 0:
                out.append((name, m["b"], m[name], int(m["n"])))
    return out


async def top_reasons_per_asin(session: AsyncSession, scope: StatsScope, *, top: int = 3) -> Sequence[Any]:
    """(asin, month, rule_id, tickets) for the ``top`` classification reasons of each ASIN and month."""
    excluded = " AND ".join(f"e->>'rule_id' NOT LIKE '{p}'" for p in _NOT_A_COMPLAINT_REASON)
    sql = (
        f"WITH r AS (SELECT t.asin, {_trunc(scope, 'month')} AS month, e->>'rule_id' AS rule_id, "
        f"count(DISTINCT t.id) AS n FROM tickets t CROSS JOIN LATERAL jsonb_array_elements(t.reasons) AS e "
        f"WHERE {_where(scope)} AND t.asin IS NOT NULL AND e->>'rule_id' IS NOT NULL AND {excluded} "
        f"GROUP BY 1, 2, 3), "
        f"ranked AS (SELECT *, row_number() OVER (PARTITION BY asin, month ORDER BY n DESC, rule_id) AS rk FROM r) "
        f"SELECT asin, month, rule_id, n FROM ranked WHERE rk <= :top ORDER BY month, asin, rk"
    )
    return await _rows(session, sql, scope, top=top)


async def keyword_trends(session: AsyncSession, scope: StatsScope, *, top: int) -> Sequence[Any]:
    """(bucket, keyword, tickets) for the ``top`` model features (n-grams) of the range."""
    sql = (
        f"WITH k AS (SELECT {_trunc(scope)} AS b, {_FEATURE} AS kw, t.id FROM tickets t "
        f"CROSS JOIN LATERAL jsonb_array_elements(t.reasons) AS e "
        f"WHERE {_where(scope)} AND e->>'rule_id' = 'text.feature'), "
        f"top AS (SELECT kw FROM k WHERE kw IS NOT NULL GROUP BY kw ORDER BY count(DISTINCT id) DESC, kw LIMIT :top) "
        f"SELECT b, kw, count(DISTINCT id) AS n FROM k WHERE kw IN (SELECT kw FROM top) GROUP BY b, kw ORDER BY b, kw"
    )
    return await _rows(session, sql, scope, top=top)


async def first_response_percentiles(
    session: AsyncSession, scope: StatsScope
) -> tuple[int, float | None, float | None]:
    """(answered tickets, p50 seconds, p90 seconds) from ticket creation to the first reply sent."""
    sql = (
        "SELECT count(*) AS n, "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.first_response_at - t.created_at)) AS p50, "
        "percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM t.first_response_at - t.created_at)) AS p90 "
        f"FROM tickets t WHERE {_where(scope)} AND t.first_response_at IS NOT NULL"
    )
    n, p50, p90 = (await _rows(session, sql, scope))[0]
    return int(n), None if p50 is None else float(p50), None if p90 is None else float(p90)


async def sla_counts(session: AsyncSession, scope: StatsScope, *, now: datetime) -> tuple[int, int]:
    """(tickets whose first deadline is decided, answered by it), against each ticket's first deadline."""
    awaiting = ", ".join(f"'{s}'" for s in AWAITING_SELLER)
    sql = (
        "WITH d AS (SELECT t.first_response_at AS answered, t.status, coalesce(("
        "SELECT (e.data->>'due_at')::timestamptz FROM ticket_events e WHERE e.ticket_id = t.id "
        "AND e.kind = 'classification' AND e.data->>'due_at' IS NOT NULL ORDER BY e.occurred_at, e.id LIMIT 1"
        f"), t.due_at) AS deadline FROM tickets t WHERE {_where(scope)}) "
        "SELECT count(*) FILTER (WHERE answered IS NOT NULL OR deadline < :now) AS measured, "
        "count(*) FILTER (WHERE answered <= deadline) AS within FROM d "
        f"WHERE deadline IS NOT NULL AND (answered IS NOT NULL OR status IN ({awaiting}))"
    )
    measured, within = (await _rows(session, sql, scope, now=now))[0]
    return int(measured), int(within)


async def auto_reply_counts(session: AsyncSession, scope: StatsScope) -> tuple[int, int]:
    """(tickets, tickets that got an automatic reply sent)."""
    sql = (
        "SELECT count(*) AS n, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM outbox_messages o "
        "WHERE o.ticket_id = t.id AND o.created_by = 'auto' AND o.status = 'sent')) AS auto "
        f"FROM tickets t WHERE {_where(scope)}"
    )
    n, auto = (await _rows(session, sql, scope))[0]
    return int(n), int(auto)


async def returns_by_reason(session: AsyncSession, scope: StatsScope) -> Sequence[Any]:
    """(normalized return reason, signals) of return signals that occurred in the range."""
    sql = (
        "SELECT e.data->>'return_reason' AS reason, count(*) AS n FROM ticket_events e "
        "JOIN tickets t ON t.id = e.ticket_id "
        f"WHERE {_where(scope, 'e.occurred_at')} AND e.kind = 'signal' AND e.data->>'return_reason' IS NOT NULL "
        "GROUP BY 1 ORDER BY n DESC, reason"
    )
    return await _rows(session, sql, scope)


async def solicitation_counts(session: AsyncSession, scope: StatsScope) -> Sequence[Any]:
    """(status, skip reason or null, solicitations) of the review requests queued in the range."""
    sql = (
        "SELECT t.status, CASE WHEN t.status = 'skipped' THEN split_part(t.last_error, ':', 1) END AS reason, "
        "count(*) AS n FROM outbox_messages t "
        f"WHERE t.channel = 'solicitation' AND {_where(scope)} GROUP BY 1, 2 ORDER BY 1, 2"
    )
    return await _rows(session, sql, scope)
