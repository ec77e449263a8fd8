"""order milestones (evidence packs, stalled shipments) and identical-body counts (the sender's cap)

``order_milestones`` keeps every carrier milestone an order's tracking notifications reported, so an A-to-z
evidence pack shows the whole delivery history and the stalled-shipment check sees when tracking last moved.
``outbox_identical_bodies`` counts automatic messages per seller, UTC day and normalised body digest.
Both start empty: milestones arrive with the next tracking notifications.

Revision ID: 634c81c14fea
Revises: c1a4f2e8b6d3
Create Date: 2026-12-03 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "634c81c14fea"
down_revision: str | None = "c1a4f2e8b6d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_milestones",
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("description", sa.String(length=256), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "order_id", "code", "occurred_at", name=op.f("pk_order_milestones")),
    )
    op.create_index(
        "ix_order_milestones_seller_time", "order_milestones", ["seller_id", "occurred_at"], unique=False
    )
    op.create_table(
        "outbox_identical_bodies",
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("body_digest", sa.String(length=64), nullable=False),
        sa.Column("sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("queued", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "day", "body_digest", name=op.f("pk_outbox_identical_bodies")),
    )


def downgrade() -> None:
    op.drop_table("outbox_identical_bodies")
    op.drop_index("ix_order_milestones_seller_time", table_name="order_milestones")
    op.drop_table("order_milestones")
