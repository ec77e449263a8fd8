"""tickets: the list view's JSON kept by a trigger, and an index for status filters

Revision ID: 5e0c2a9d41b7
Revises: 1908b79ff83d
Create Date: 2026-11-22 05:15:00.000000

GET /v1/tickets serves many reads per write. Rendering 50 rows of 28 fields to JSON on every read cost
PostgreSQL or the API ~0.5 ms per page; the trigger renders a ticket's summary once per write instead
(same transaction, so it can never be stale). ``sla_state`` depends on the reader's clock and is added by
the API. The text equals what ``TicketSummary`` serialises to (pydantic's timestamp format, normalised
tags); tests/responder/api compare the two. A new summary field needs a migration that replaces the function.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e0c2a9d41b7"
down_revision: str | None = "1908b79ff83d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Timestamps as pydantic writes them: UTC with 'Z', microseconds only when there are any.
_TS_FUNCTION = """
CREATE OR REPLACE FUNCTION api_json_ts(ts timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN ts IS NULL THEN NULL
    WHEN extract(microseconds FROM ts)::bigint % 1000000 = 0
      THEN to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    ELSE to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
  END
$$
"""

_SUMMARY_FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_summary_doc() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.summary_doc := json_build_object(
    'id', NEW.id,
    'seller_id', NEW.seller_id,
    'marketplace_id', NEW.marketplace_id,
    'order_id', NEW.order_id,
    'status', NEW.status,
    'priority', coalesce(NEW.priority_override, NEW.priority),
    'priority_auto', NEW.priority,
    'priority_override', NEW.priority_override,
    'category', NEW.category,
    'tags', (SELECT coalesce(json_agg(json_build_object(
                 'name', e.tag ->> 'name',
                 'confidence', CASE WHEN jsonb_typeof(e.tag -> 'confidence') = 'number'
                                    THEN (e.tag ->> 'confidence')::float8 END) ORDER BY e.n),
               '[]'::json)
             FROM jsonb_array_elements(coalesce(NEW.tags, '[]'::jsonb)) WITH ORDINALITY AS e(tag, n)),
    'confidence', NEW.confidence,
    'language', NEW.language,
    'asin', NEW.asin,
    'sku', NEW.sku,
    'assignee', NEW.assignee,
    'no_response_needed', NEW.no_response_needed,
    'due_at', api_json_ts(NEW.due_at),
    'sla_alerted', NEW.sla_alerted,
    'ageing', NEW.ageing,
    'first_response_at', api_json_ts(NEW.first_response_at),
    'last_buyer_message_at', api_json_ts(NEW.last_buyer_message_at),
    'message_count', NEW.message_count,
    'abusive_score', NEW.abusive_score,
    'buyer_hash', NEW.buyer_hash,
    'version', NEW.version,
    'created_at', api_json_ts(NEW.created_at),
    'updated_at', api_json_ts(NEW.updated_at),
    'pii_redacted_at', api_json_ts(NEW.pii_redacted_at)
  )::text;
  RETURN NEW;
END
$$
"""

_TRIGGER = """
CREATE TRIGGER tickets_summary_doc BEFORE INSERT OR UPDATE ON tickets
FOR EACH ROW EXECUTE FUNCTION tickets_summary_doc()
"""


def upgrade() -> None:
    op.add_column("tickets", sa.Column("summary_doc", sa.Text(), nullable=True))
    op.execute(_TS_FUNCTION)
    op.execute(_SUMMARY_FUNCTION)
    op.execute(_TRIGGER)
    op.execute("UPDATE tickets SET summary_doc = NULL")  # the trigger renders every existing row
    op.alter_column("tickets", "summary_doc", nullable=False)  # the trigger fills it before the check
    op.create_index(
        "ix_tickets_seller_status_created", "tickets", ["seller_id", "status", "created_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_seller_status_created", table_name="tickets")
    op.execute("DROP TRIGGER IF EXISTS tickets_summary_doc ON tickets")
    op.execute("DROP FUNCTION IF EXISTS tickets_summary_doc()")
    op.execute("DROP FUNCTION IF EXISTS api_json_ts(timestamptz)")
    op.drop_column("tickets", "summary_doc")
