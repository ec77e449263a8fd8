"""Run Alembic migrations from code (``complaints migrate``, tests, ``make run``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

__all__ = ["alembic_config", "upgrade_head", "upgrade_head_async"]

_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    """Alembic config pointing at our migrations and the given database URL."""
    cfg = Config(str(_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(_ROOT / "complaints" / "db" / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def upgrade_head(url: str) -> None:
    """Upgrade the database to the newest revision (blocking; runs its own event loop)."""
    command.upgrade(alembic_config(url), "head")


async def upgrade_head_async(url: str) -> None:
    """Upgrade from async code (in a worker thread, since env.py runs its own loop)."""
    await asyncio.to_thread(upgrade_head, url)
