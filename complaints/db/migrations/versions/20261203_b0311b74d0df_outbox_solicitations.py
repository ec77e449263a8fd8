"""review requests through the outbox: rows without a ticket, and a last moment to send

A solicitation (Solicitations API ``productReviewAndSellerFeedback``) is queued per order, not per ticket, so
``outbox_messages.ticket_id`` may be NULL. ``expires_at`` is the end of Amazon's solicitation window: a row
claimed after it is skipped, never sent. Existing rows keep their ticket and get no expiry.

Revision ID: b0311b74d0df
Revises: c1a4f2e8b6d3
Create Date: 2026-12-03 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b0311b74d0df"
down_revision: str | None = "b9b617f6a6a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("outbox_messages", "ticket_id", existing_type=sa.UUID(), nullable=True)
    op.add_column("outbox_messages", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM outbox_messages WHERE ticket_id IS NULL")
    op.drop_column("outbox_messages", "expires_at")
    op.alter_column("outbox_messages", "ticket_id", existing_type=sa.UUID(), nullable=False)
