"""A demo API key and a look at the demo tickets through the real HTTP API."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from services.responder.api.keystore import issue_key
from services.responder.api.security import SCOPES
from shared.db.session import Database, unit_of_work
from shared.settings import DatabaseSettings

__all__ = ["create_demo_key", "ticket_lines"]


async def create_demo_key(database_url: str, *, pepper: str, seller_id: str) -> str:
    """Create an all-scopes key for the demo seller and return it (shown once, stored hashed)."""
    db = Database(DatabaseSettings(url=SecretStr(database_url)))
    try:
        async with unit_of_work(db) as session:
            plaintext, _ = await issue_key(
                session, name="make-run-demo", scopes=sorted(SCOPES), sellers=[seller_id], pepper=pepper
            )
    finally:
        await db.dispose()
    return plaintext


async def ticket_lines(api: str, key: str) -> list[str]:
    """One line per ticket as the API lists them."""
    async with httpx.AsyncClient(
        base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=10
    ) as client:
        response = await client.get("/v1/tickets", params={"limit": 50})
        response.raise_for_status()
        items = response.json().get("items", [])
    return [
        f"  {t.get('order_id') or '-':<20} {t.get('language') or '-':<3} {t.get('category', ''):<17} "
        f"{t.get('priority', ''):<3} {t.get('status', '')}"
        for t in items
    ]
