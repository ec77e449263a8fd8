"""helpdesk sync: accounts, links, the change queue and the trigger that fills it

Every timeline entry (``ticket_events``) of a ticket whose seller has a ``helpdesk_accounts`` row queues one
``helpdesk_sync`` row in the same transaction, whichever code path wrote the entry; sellers without sync
pay one primary-key probe of a tiny table per entry.

Revision ID: b9b617f6a6a1
Revises: c1a4f2e8b6d3
Create Date: 2026-12-03 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b9b617f6a6a1"
down_revision: str | None = "634c81c14fea"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGGER = """
CREATE FUNCTION helpdesk_sync_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO helpdesk_sync (ticket_id, seller_id, event_id)
    SELECT t.id, t.seller_id, NEW.id
    FROM tickets t JOIN helpdesk_accounts a ON a.seller_id = t.seller_id
    WHERE t.id = NEW.ticket_id;
    RETURN NULL;
END $$
"""
_CREATE_TRIGGER = """
CREATE TRIGGER helpdesk_sync_enqueue AFTER INSERT ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION helpdesk_sync_enqueue()
"""


def upgrade() -> None:
    op.create_table(
        "helpdesk_accounts",
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", name=op.f("pk_helpdesk_accounts")),
    )
    op.create_table(
        "helpdesk_links",
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("remote_id", sa.BigInteger(), nullable=False),
        sa.Column("pushed", sa.dialects.postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("remote_status", sa.String(length=16), nullable=True),
        sa.Column("remote_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_helpdesk_links_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_helpdesk_links")),
    )
    op.create_table(
        "helpdesk_sync",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_helpdesk_sync_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpdesk_sync")),
    )
    op.create_index(
        "ix_helpdesk_sync_open",
        "helpdesk_sync",
        ["ticket_id", "id"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
    )
    op.execute(_TRIGGER)
    op.execute(_CREATE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS helpdesk_sync_enqueue ON ticket_events")
    op.execute("DROP FUNCTION IF EXISTS helpdesk_sync_enqueue()")
    op.drop_index("ix_helpdesk_sync_open", table_name="helpdesk_sync", postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.drop_table("helpdesk_sync")
    op.drop_table("helpdesk_links")
    op.drop_table("helpdesk_accounts")
