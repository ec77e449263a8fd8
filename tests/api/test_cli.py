"""`complaints keys create|list|revoke` against the real database; the printed key works once created."""

from __future__ import annotations

import asyncio
import re

import httpx
from typer.testing import CliRunner, Result

from services.responder.api.cli import app
from tests.api.helpers import PEPPER, bearer


async def _cli(url: str, *args: str) -> Result:
    env = {"DATABASE_URL": url, "RESPONDER_API_KEY_PEPPER": PEPPER}
    # The commands run their own event loop, so they run in a thread beside the test's loop.
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


async def test_create_list_revoke(client: httpx.AsyncClient, migrated_db: str) -> None:
    created = await _cli(
        migrated_db, "keys", "create", "--name", "erp", "--seller", "SELLER-A", "--scope", "tickets:read"
    )
    assert created.exit_code == 0, created.output
    match = re.search(r"^key:\s+(\S+)$", created.output, re.MULTILINE)
    prefix = re.search(r"^prefix:\s+(\S+)$", created.output, re.MULTILINE)
    assert match
    assert prefix
    key = match.group(1)
    assert (await client.get("/v1/tickets", headers=bearer(key))).status_code == 200

    listed = await _cli(migrated_db, "keys", "list")
    assert listed.exit_code == 0
    assert prefix.group(1) in listed.output
    assert "erp" in listed.output
    assert key not in listed.output

    revoked = await _cli(migrated_db, "keys", "revoke", prefix.group(1))
    assert revoked.exit_code == 0, revoked.output
    assert (await client.get("/v1/tickets", headers=bearer(key))).status_code == 401
    assert (await _cli(migrated_db, "keys", "revoke", prefix.group(1))).exit_code == 1
    assert prefix.group(1) not in (await _cli(migrated_db, "keys", "list")).output
    assert prefix.group(1) in (await _cli(migrated_db, "keys", "list", "--all")).output


async def test_unknown_scope_and_reserved_names_are_refused(migrated_db: str) -> None:
    result = await _cli(migrated_db, "keys", "create", "--name", "x", "--seller", "S", "--scope", "root")
    assert result.exit_code == 2
    # 'auto' is how automatic replies are told from human ones; a key must not pose as it.
    result = await _cli(migrated_db, "keys", "create", "--name", "auto", "--seller", "S")
    assert result.exit_code == 2
