"""outbox rows keep the W3C traceparent of the complaint they answer

The sender's span continues the complaint's trace (ingest, classifier, responder, send): the row carries the
traceparent of the responder span that queued it. Nullable: rows queued before (or by an agent without a
trace) are sent under a trace of their own.

Revision ID: 03e9fdd5877d
Revises: c1a4f2e8b6d3
Create Date: 2026-12-03 19:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "03e9fdd5877d"
down_revision: str | None = "7621311c2538"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox_messages", sa.Column("traceparent", sa.String(length=55), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox_messages", "traceparent")
