"""grant the new read scopes to existing API keys

Reads needed no scope before stats:read and templates:read existed; keys issued then keep what they could do.

Revision ID: 3b7d9e1c5a20
Revises: 5e0c2a9d41b7
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3b7d9e1c5a20"
down_revision: str | None = "5e0c2a9d41b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW = ("stats:read", "templates:read")


def upgrade() -> None:
    for scope in _NEW:
        op.execute(
            f"UPDATE api_keys SET scopes = scopes || '[\"{scope}\"]'::jsonb "
            f"WHERE NOT scopes ? '{scope}' AND NOT scopes ? 'admin'"
        )


def downgrade() -> None:
    for scope in _NEW:
        op.execute(f"UPDATE api_keys SET scopes = scopes - '{scope}'")
