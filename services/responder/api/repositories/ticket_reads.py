"""SQL of the hot ticket reads (GET /v1/tickets and GET /v1/tickets/{id}) on the plain asyncpg pool.

Statements are built from fixed fragments with positional parameters only (no value is ever spliced into
the text), one text per combination of filters, so asyncpg prepares each shape once per connection.
Every statement is bounded by the caller's sellers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import orjson

from services.responder.api.cursor import Cursor
from services.responder.tickets.sla import A_TO_Z_RULE
from services.responder.tickets.status import AWAITING_SELLER

__all__ = ["TicketFilter", "get_ticket_detail", "list_sql", "list_tickets"]


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """What GET /tickets may narrow by; ``sellers`` is already the caller's allowed set."""

    sellers: Sequence[str]
    statuses: Sequence[str] = ()
    priorities: Sequence[str] = ()
    categories: Sequence[str] = ()
    tags: Sequence[str] = ()
    marketplaces: Sequence[str] = ()
    asins: Sequence[str] = ()
    skus: Sequence[str] = ()
    languages: Sequence[str] = ()
    assignee: str | None = None
    unassigned: bool = False
    sla: str | None = None
    due_window: timedelta | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    sort: str = "created_at"
    descending: bool = True
    after: Cursor | None = None


_PRIORITY = "coalesce(t.priority_override, t.priority)"
_SORT_COLUMNS = {
    "created_at": "t.created_at",
    "updated_at": "t.updated_at",
    "due_at": "t.due_at",
    "priority": _PRIORITY,
}


class _Params:
    """Positional parameters: ``add(value)`` returns its placeholder."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"

    def one_of(self, column: str, values: Sequence[str]) -> str:
        # One value as '=' keeps PostgreSQL walking an index in order (= ANY(array) makes it sort).
        if len(values) == 1:
            return f"{column} = {self.add(values[0])}"
        return f"{column} = ANY({self.add(list(values))}::text[])"


def _conditions(f: TicketFilter, now: datetime, p: _Params, seller: str) -> list[str]:
    c = [seller]
    lists: tuple[tuple[Sequence[str], str], ...] = (
        (f.statuses, "t.status"),
        (f.priorities, _PRIORITY),
        (f.categories, "t.category"),
        (f.marketplaces, "t.marketplace_id"),
        (f.asins, "t.asin"),
        (f.skus, "t.sku"),
        (f.languages, "t.language"),
    )
    c += [p.one_of(column, values) for values, column in lists if values]
    c += [f"t.tags @> {p.add(orjson.dumps([{'name': tag}]).decode())}::jsonb" for tag in f.tags]
    if f.assignee is not None:
        c.append(f"t.assignee = {p.add(f.assignee)}")
    if f.unassigned:
        c.append("t.assignee IS NULL")
    if f.sla is not None:
        c += [f"t.status = ANY({p.add(list(AWAITING_SELLER))}::text[])", "t.due_at IS NOT NULL"]
        if f.sla == "breached":
            c.append(f"t.due_at <= {p.add(now)}")
        elif f.sla == "ok":
            c.append(f"t.due_at > {p.add(now + (f.due_window or timedelta(0)))}")
        else:
            window = f.due_window or timedelta(0)
            c += [f"t.due_at > {p.add(now)}", f"t.due_at <= {p.add(now + window)}"]
    ranges = (
        (f.created_from, f.created_to, "t.created_at"),
        (f.updated_from, f.updated_to, "t.updated_at"),
    )
    for low, high, column in ranges:
        if low is not None:
            c.append(f"{column} >= {p.add(low)}")
        if high is not None:
            c.append(f"{column} < {p.add(high)}")
    if f.after is not None:
        c.append(_after(f, f.after, p))
    return c


def _after(f: TicketFilter, cur: Cursor, p: _Params) -> str:
    """Rows strictly after the cursor in (sort key, id) order; null due dates sort last either way."""
    col = _SORT_COLUMNS[f.sort]
    op = "<" if f.descending else ">"
    if cur.value is None:
        return f"({col} IS NULL AND t.id {op} {p.add(cur.id)})"
    beyond = f"({col}, t.id) {op} ({p.add(cur.value)}, {p.add(cur.id)})"
    return f"({beyond} OR {col} IS NULL)" if f.sort == "due_at" else beyond


def _sla_state(p: _Params, *, now: datetime, window: timedelta) -> str:
    """``sla.sla_state`` in SQL (tests/responder/api/test_read_paths.py holds them equal at every boundary).

    A short word per row instead of status and due_at to decode and compare in Python. (Splicing it into
    the summary in SQL as well moved more work to PostgreSQL than it saved here.)
    """
    awaiting, at, soon = p.add(list(AWAITING_SELLER)), p.add(now), p.add(now + window)
    state = (
        "CASE WHEN t.due_at IS NULL THEN 'none' "
        f"WHEN t.status <> ALL({awaiting}::text[]) THEN 'answered' "
        f"WHEN t.due_at <= {at} THEN 'breached' "
        f"WHEN t.due_at <= {soon} THEN 'due_soon' ELSE 'ok' END"
    )
    return state


def list_sql(f: TicketFilter, *, now: datetime, window: timedelta, limit: int) -> tuple[str, list[Any]]:
    """The page statement and its parameters (pure; ``limit`` rows at most).

    One seller: an index walk in sort order. Several: the same walk per seller (a LATERAL subquery with
    its own LIMIT), merged; ``seller_id = ANY(...)`` would make PostgreSQL read and sort every ticket of
    every seller for each page.
    """
    if not f.sellers:
        return "SELECT NULL::text AS summary_doc WHERE false", []
    p = _Params()
    state = _sla_state(p, now=now, window=window)
    a_to_z = f"t.reasons @> jsonb_build_array(jsonb_build_object('rule_id', {p.add(A_TO_Z_RULE)}::text))"
    several = len(f.sellers) > 1
    seller = "t.seller_id = s.seller_id" if several else f"t.seller_id = {p.add(f.sellers[0])}"
    where = " AND ".join(_conditions(f, now, p, seller))
    col = _SORT_COLUMNS[f.sort]
    direction = "DESC" if f.descending else "ASC"
    # Only due_at can be null. NULLS LAST on a NOT NULL column changes no order but stops PostgreSQL from
    # walking ix_tickets_seller_created backwards (it sorted every ticket of the seller instead).
    nulls = " NULLS LAST" if f.sort == "due_at" else ""
    lim = p.add(limit)
    page = (
        f"SELECT t.summary_doc, {state} AS sla_state, {a_to_z} AS a_to_z, {col} AS sort_value, t.id "
        "FROM tickets AS t "
        f"WHERE {where} ORDER BY {col} {direction}{nulls}, t.id {direction} LIMIT {lim}"
    )
    if not several:
        return page, p.values
    sellers = p.add(sorted(f.sellers))
    sql = (
        f"SELECT m.* FROM unnest({sellers}::text[]) AS s(seller_id) CROSS JOIN LATERAL ({page}) AS m "
        f"ORDER BY m.sort_value {direction}{nulls}, m.id {direction} LIMIT {lim}"
    )
    return sql, p.values


async def list_tickets(
    conn: asyncpg.Connection, *, f: TicketFilter, now: datetime, window: timedelta, limit: int
) -> list[asyncpg.Record]:
    """One page in keyset order: rows of ``summary_doc`` (JSON text), ``sla_state``, ``a_to_z``,
    ``sort_value``, ``id``."""
    sql, params = list_sql(f, now=now, window=window, limit=limit)
    rows: list[asyncpg.Record] = await conn.fetch(sql, *params)
    return rows


# Timestamps inside JSON in the API's format (api_json_ts, migration 5e0c2a9d41b7); bytea goes as hex.
_DETAIL = """
SELECT t.summary_doc, t.status, t.due_at, t.version, t.category, t.confidence, t.language,
  t.model_version, t.abusive_score, t.reasons::text AS reasons_json, t.buyer_alias_enc, t.subject_enc,
  (SELECT json_agg(json_build_object(
      'id', e.id, 'kind', e.kind, 'actor', e.actor, 'occurred_at', api_json_ts(e.occurred_at),
      'recorded_at', api_json_ts(e.recorded_at), 'event_id', e.event_id, 'data', e.data,
      'pii_enc', encode(e.pii_enc, 'hex')) ORDER BY e.occurred_at, e.id)::text
   FROM (SELECT * FROM ticket_events WHERE ticket_id = t.id
         ORDER BY occurred_at DESC, id DESC LIMIT $3) AS e) AS timeline_json,
  (SELECT json_agg(json_build_object(
      'id', o.id, 'status', o.status, 'channel', o.channel, 'action', o.action,
      'template_id', o.template_id, 'template_version', o.template_version, 'language', o.language,
      'fallback', o.fallback, 'lint', coalesce(o.lint, '[]'::jsonb), 'attempts', o.attempts,
      'last_error', o.last_error, 'created_by', o.created_by, 'created_at', api_json_ts(o.created_at),
      'sent_at', api_json_ts(o.sent_at),
      'subject_enc', encode(o.subject_enc, 'hex'), 'body_enc', encode(o.body_enc, 'hex'))
      ORDER BY o.created_at, o.id)::text
   FROM outbox_messages AS o WHERE o.ticket_id = t.id) AS replies_json,
  (SELECT json_build_object(
      'order_id', c.order_id, 'marketplace_id', c.marketplace_id, 'order_status', c.order_status,
      'fulfillment_type', c.fulfillment_type, 'purchase_date', api_json_ts(c.purchase_date),
      'earliest_delivery_date', api_json_ts(c.earliest_delivery_date),
      'latest_delivery_date', api_json_ts(c.latest_delivery_date),
      'latest_ship_date', api_json_ts(c.latest_ship_date), 'tracking_milestone', c.tracking_milestone,
      'carrier', c.carrier, 'order_amount', c.order_amount::text, 'currency', c.currency,
      'last_event_at', api_json_ts(c.last_event_at))::text
   FROM order_context AS c WHERE c.seller_id = t.seller_id AND c.order_id = t.order_id) AS order_json
FROM tickets AS t
WHERE t.id = $1 AND t.seller_id = ANY($2::text[])
"""


async def get_ticket_detail(
    conn: asyncpg.Connection, *, ticket_id: uuid.UUID, sellers: Sequence[str], timeline_limit: int = 1000
) -> asyncpg.Record | None:
    """A ticket of one of ``sellers``: its ``summary_doc``, classification columns, encrypted PII, and
    ``timeline_json`` (newest ``timeline_limit``, oldest first), ``replies_json`` and ``order_json``."""
    if not sellers:
        return None
    row: asyncpg.Record | None = await conn.fetchrow(_DETAIL, ticket_id, list(sellers), timeline_limit)
    return row
