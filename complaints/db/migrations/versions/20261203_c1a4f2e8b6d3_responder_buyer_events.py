"""the responder's own buyer history, backfilled from the classifier's

The buyers API read the classifier's table ``classifier_buyer_events``; the responder now keeps a projection
of the same facts from the ComplaintClassified events it consumes (``buyer_activity``), in
``responder_buyer_events``. Both tables live in the one application database (one DATABASE_URL, one
migration chain), so the history known so far is copied over here: rows have the same key (the signal's
event id), so an event that is also replayed later adds nothing twice. Downgrade drops the projection only.

Rollout: complaints applied by a responder of the previous release during the rollout are not projected;
running this migration's INSERT ... SELECT again once the rollout is done fills them in (it is idempotent).

Revision ID: c1a4f2e8b6d3
Revises: 3b7d9e1c5a20
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c1a4f2e8b6d3"
down_revision: str | None = "3b7d9e1c5a20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "event_id, buyer_hash, seller_id, order_id, kind, reason, long_use, occurred_at"


def upgrade() -> None:
    op.create_table(
        "responder_buyer_events",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("buyer_hash", sa.String(length=64), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("long_use", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_responder_buyer_events")),
    )
    op.create_index(
        "ix_responder_buyer_events_hash_time",
        "responder_buyer_events",
        ["buyer_hash", "occurred_at"],
        unique=False,
    )
    op.execute(
        f"INSERT INTO responder_buyer_events ({_COLUMNS}) "
        f"SELECT {_COLUMNS} FROM classifier_buyer_events ON CONFLICT DO NOTHING"
    )


def downgrade() -> None:
    op.drop_index("ix_responder_buyer_events_hash_time", table_name="responder_buyer_events")
    op.drop_table("responder_buyer_events")
