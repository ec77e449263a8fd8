"""`complaints migrations-check`: migrate a scratch database and fail if the models drifted (alembic check)."""

from __future__ import annotations

import asyncio
import uuid

from alembic import command

from complaints.db.migrate import alembic_config, upgrade_head
from shared.stack.postgres import create_database, drop_database, postgres_server

__all__ = ["migrations_check"]


async def migrations_check() -> None:
    """Upgrade a scratch database to head, then compare it with the models; raises on drift."""
    async with postgres_server() as server:
        name = f"alembic_check_{uuid.uuid4().hex[:10]}"
        url = await create_database(server.admin_url, name)
        try:
            await asyncio.to_thread(upgrade_head, url)
            await asyncio.to_thread(command.check, alembic_config(url))
        finally:
            await drop_database(server.admin_url, name)
