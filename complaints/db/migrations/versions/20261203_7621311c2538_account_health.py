"""account health: Amazon's reported figures, our defect signals per order, ASIN spikes, ODR warnings

Four new tables of the responder, filled from events from now on (no backfill: Amazon's figures arrive with
the next report, defect signals with the next complaints; the running estimate fills its 60-day window as
they come), and a partial index on the timeline's signals by time for the spike pass. Downgrade drops them.

Revision ID: 7621311c2538
Revises: c1a4f2e8b6d3
Create Date: 2026-12-03 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7621311c2538"
down_revision: str | None = "2ef330b9444e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EMPTY = sa.text("'[]'::jsonb")


def upgrade() -> None:
    op.create_table(
        "account_health_reports",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("marketplace_id", sa.String(length=32), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report_id", sa.String(length=64), nullable=True),
        sa.Column("account_status", sa.String(length=32), nullable=True),
        sa.Column("account_health_rating", sa.String(length=16), nullable=True),
        sa.Column(
            "order_defect_rates",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            server_default=_EMPTY,
            nullable=False,
        ),
        sa.Column("late_shipment_rate", sa.Float(), nullable=True),
        sa.Column("pre_fulfillment_cancellation_rate", sa.Float(), nullable=True),
        sa.Column("valid_tracking_rate", sa.Float(), nullable=True),
        sa.Column("on_time_delivery_rate", sa.Float(), nullable=True),
        sa.Column("policy_violations", sa.Integer(), nullable=True),
        sa.Column(
            "warnings",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            server_default=_EMPTY,
            nullable=False,
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_account_health_reports")),
    )
    op.create_index(
        "ix_account_health_seller_market_time",
        "account_health_reports",
        ["seller_id", "marketplace_id", "reported_at"],
        unique=False,
    )
    op.create_table(
        "health_defect_signals",
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("marketplace_id", sa.String(length=32), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "order_id", "kind", name=op.f("pk_health_defect_signals")),
    )
    op.create_index(
        "ix_health_defects_seller_time", "health_defect_signals", ["seller_id", "occurred_at"], unique=False
    )
    op.create_table(
        "asin_spikes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("marketplace_id", sa.String(length=32), nullable=False),
        sa.Column("asin", sa.String(length=16), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.Column("baseline_per_day", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column(
            "top_reasons",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            server_default=_EMPTY,
            nullable=False,
        ),
        sa.Column(
            "example_ticket_ids",
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()),
            server_default=_EMPTY,
            nullable=False,
        ),
        sa.Column("raised_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asin_spikes")),
        sa.UniqueConstraint("seller_id", "marketplace_id", "asin", "day", name="uq_asin_spikes_day"),
    )
    op.create_index("ix_asin_spikes_seller_day", "asin_spikes", ["seller_id", "day"], unique=False)
    op.create_table(
        "odr_warnings",
        sa.Column("alert_key", sa.String(length=512), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("marketplace_id", sa.String(length=32), nullable=False),
        sa.Column("fulfillment", sa.String(length=8), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("estimate", sa.Float(), nullable=False),
        sa.Column("amazon_rate", sa.Float(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("alert_key", name=op.f("pk_odr_warnings")),
    )
    op.create_index(
        "ix_ticket_events_signal_time",
        "ticket_events",
        ["occurred_at"],
        unique=False,
        postgresql_where=sa.text("kind = 'signal'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_ticket_events_signal_time", table_name="ticket_events", postgresql_where=sa.text("kind = 'signal'")
    )
    op.drop_table("odr_warnings")
    op.drop_index("ix_asin_spikes_seller_day", table_name="asin_spikes")
    op.drop_table("asin_spikes")
    op.drop_index("ix_health_defects_seller_time", table_name="health_defect_signals")
    op.drop_table("health_defect_signals")
    op.drop_index("ix_account_health_seller_market_time", table_name="account_health_reports")
    op.drop_table("account_health_reports")
