"""`complaints keys create|list|revoke` against the real database; the printed key works once created."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from services.responder.api.cli import app
from tests.responder.api.helpers import PEPPER, bearer


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


async def test_keys_create_uses_the_environment_of_a_running_complaints_run(
    client: httpx.AsyncClient, migrated_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from complaints.cli import app as complaints
    from complaints.devrun.envfile import ENV_FILE_NAME, write_env_file

    for name in ("DATABASE_URL", "RESPONDER_API_KEY_PEPPER"):
        monkeypatch.delenv(name, raising=False)  # restored after the test: the command fills os.environ
    write_env_file(
        tmp_path / ENV_FILE_NAME, {"DATABASE_URL": migrated_db, "RESPONDER_API_KEY_PEPPER": PEPPER}
    )
    monkeypatch.chdir(tmp_path)
    args = ["keys", "create", "--name", "ops", "--seller", "SELLER-A"]
    created = await asyncio.to_thread(CliRunner().invoke, complaints, args)
    assert created.exit_code == 0, created.output
    assert "using the environment of the running `complaints run`" in created.stderr
    match = re.search(r"^key:\s+(\S+)$", created.stdout, re.MULTILINE)
    assert match
    assert (await client.get("/v1/tickets", headers=bearer(match.group(1)))).status_code == 200


def test_keys_create_refuses_the_placeholder_pepper_outside_the_local_stack() -> None:
    args = ["keys", "create", "--name", "ops", "--seller", "S"]
    for env in (
        {"DATABASE_URL": "postgresql+asyncpg://u@db.internal:5432/complaints", "ENVIRONMENT": "local"},
        {"DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1:5432/complaints", "ENVIRONMENT": "test"},
        {"DATABASE_URL": "not a url", "ENVIRONMENT": "local"},
    ):
        result = CliRunner().invoke(app, args, env={**env, "RESPONDER_API_KEY_PEPPER": "changeme"})
        assert result.exit_code == 2, (env, result.output)
        assert "RESPONDER_API_KEY_PEPPER is the placeholder" in result.stderr
