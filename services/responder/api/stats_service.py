"""GET /v1/stats: assemble the figures of the repositories into one answer."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.api import health_service
from services.responder.api.errors import ApiError
from services.responder.api.repositories import stats as repo
from services.responder.api.schemas.stats import (
    AsinReasons,
    AutoReplyOut,
    CountRow,
    FirstResponseOut,
    KeywordRow,
    ReasonCount,
    ReturnReason,
    SlaOut,
    SolicitationsOut,
    StatsCounts,
    StatsOut,
    StatsQuery,
)
from services.responder.api.security import Principal
from services.responder.api.tickets_service import allowed_sellers

__all__ = ["MAX_RANGE", "stats"]

MAX_RANGE = timedelta(days=731)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _counts(rows: list[tuple[str, datetime, str | None, int]], *, top: int) -> StatsCounts:
    by_dim: dict[str, list[CountRow]] = defaultdict(list)
    totals: dict[str, Counter[str | None]] = defaultdict(Counter)
    for dim, bucket, key, n in rows:
        by_dim[dim].append(CountRow(bucket=bucket, key=key, count=n))
        totals[dim][key] += n
    for dim in ("asin", "sku"):
        keep = {k for k, _ in totals[dim].most_common(top)}
        by_dim[dim] = [r for r in by_dim[dim] if r.key in keep]
    return StatsCounts(
        category=by_dim["category"],
        priority=by_dim["priority"],
        marketplace=by_dim["marketplace"],
        asin=by_dim["asin"],
        sku=by_dim["sku"],
    )


async def _solicitations(session: AsyncSession, scope: repo.StatsScope) -> SolicitationsOut:
    by_status: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for status, reason, n in await repo.solicitation_counts(session, scope):
        by_status[status] += int(n)
        if status == "skipped":
            skipped[reason or "unspecified"] += int(n)
    return SolicitationsOut(
        eligible=sum(by_status.values()) - by_status["skipped"],
        sent=by_status["sent"],
        pending=by_status["pending"] + by_status["sending"],
        unknown=by_status["unknown"],
        failed=by_status["failed"],
        skipped=dict(sorted(skipped.items())),
    )


async def stats(session: AsyncSession, *, query: StatsQuery, caller: Principal, now: datetime) -> StatsOut:
    """All figures for the caller's sellers over [from, to)."""
    end = query.end or now
    start = query.start or end - timedelta(days=30)
    if start >= end or end - start > MAX_RANGE:
        raise ApiError(400, "invalid_range", "'from' must be before 'to' and the range at most 731 days")
    scope = repo.StatsScope(
        sellers=allowed_sellers(caller, query.seller_id),
        marketplaces=query.marketplace_id,
        start=start,
        end=end,
        bucket=query.bucket,
    )
    if not scope.sellers:
        raise ApiError(403, "seller_not_allowed", "this API key is bound to no seller")
    reasons: dict[tuple[str, datetime], list[ReasonCount]] = defaultdict(list)
    for asin, month, rule_id, n in await repo.top_reasons_per_asin(session, scope):
        reasons[(asin, month)].append(ReasonCount(rule_id=rule_id, count=int(n)))
    answered, p50, p90 = await repo.first_response_percentiles(session, scope)
    measured, within = await repo.sla_counts(session, scope, now=now)
    tickets, auto = await repo.auto_reply_counts(session, scope)
    return StatsOut(
        start=start,
        end=end,
        bucket=query.bucket,
        counts=_counts(await repo.counts_by_dimension(session, scope), top=query.top),
        top_reasons_per_asin=[AsinReasons(asin=a, month=m, reasons=r) for (a, m), r in reasons.items()],
        keyword_trends=[
            KeywordRow(bucket=b, keyword=k, count=int(n))
            for b, k, n in await repo.keyword_trends(session, scope, top=query.top)
        ],
        first_response=FirstResponseOut(answered=answered, p50_seconds=p50, p90_seconds=p90),
        sla=SlaOut(measured=measured, within=within, share=_share(within, measured)),
        auto_reply=AutoReplyOut(tickets=tickets, auto_replied=auto, rate=_share(auto, tickets)),
        returns_by_reason=[
            ReturnReason(reason=r, count=int(n)) for r, n in await repo.returns_by_reason(session, scope)
        ],
        solicitations=await _solicitations(session, scope),
        account_health=await health_service.account_health(
            session, sellers=scope.sellers, marketplaces=scope.marketplaces, start=start, end=end
        ),
        asin_spikes=await health_service.asin_spikes(
            session, sellers=scope.sellers, marketplaces=scope.marketplaces, start=start, end=end
        ),
    )
