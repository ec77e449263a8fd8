"""``complaints doctor`` against the real local stack: all green, then each broken dependency named with a fix."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from complaints.cli import app
from complaints.doctor import Check, run_checks
from complaints.settings import Settings
from shared.stack.endpoints import StackEndpoints
from shared.stack.smtp import SmtpServer
from tests.plugins.stack import DatabaseFactory

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def stack_env(
    stack_endpoints: StackEndpoints,
    migrated_db: str,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    env = {
        **stack_endpoints.env(),
        "DATABASE_URL": migrated_db,
        "MAIL_SMTP_HOST": smtp_server.host,
        "MAIL_SMTP_PORT": str(smtp_server.port),
        "MAIL_TRANSPORT": "smtp",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SPAPI_REFRESH_TOKENS", raising=False)
    return env


def _by_name(checks: list[Check]) -> dict[str, list[Check]]:
    out: dict[str, list[Check]] = {}
    for check in checks:
        out.setdefault(check.name, []).append(check)
    return out


async def test_every_check_passes_on_the_local_stack(stack_env: dict[str, str]) -> None:
    checks = await run_checks(Settings())
    assert [c for c in checks if not c.ok] == []
    assert set(_by_name(checks)) == {"kafka", "postgres", "sqs", "mail", "sp-api"}


async def test_each_broken_dependency_is_named_with_its_fix(
    stack_env: dict[str, str], fresh_database: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    unmigrated = await fresh_database("doc")
    port = _closed_port()
    monkeypatch.setenv("DATABASE_URL", unmigrated)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{port}")
    monkeypatch.setenv("MAIL_SMTP_PORT", str(port))
    monkeypatch.setenv("INGEST_SQS_QUEUE_URLS", '["http://127.0.0.1:1/000000000000/nope"]')
    monkeypatch.setenv("SPAPI_REFRESH_TOKENS", '{"SELLER": "Atzr|x"}')
    monkeypatch.setenv("SPAPI_LWA_ENDPOINT", f"http://127.0.0.1:{port}/auth/o2/token")
    checks = _by_name(await run_checks(Settings()))
    assert all(not c.ok and c.fix for group in checks.values() for c in group)
    (database,) = checks["postgres"]
    assert "no migrations" in database.detail
    assert database.fix == "complaints migrate"
    assert "KAFKA_BOOTSTRAP_SERVERS" in checks["kafka"][0].fix
    assert "MAIL_SMTP" in checks["mail"][0].fix
    assert checks["sp-api"][0].detail.startswith("seller SELLER:")
    assert "Atzr" not in repr(checks)


async def test_the_command_exits_1_and_prints_the_fix(
    stack_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no `complaints run` env file from the repository
    ok = await asyncio.to_thread(CliRunner().invoke, app, ["doctor"])
    assert ok.exit_code == 0, ok.output
    monkeypatch.setenv("MAIL_SMTP_PORT", str(_closed_port()))
    failed = await asyncio.to_thread(CliRunner().invoke, app, ["doctor"])
    assert failed.exit_code == 1
    assert "FAIL  mail" in failed.stdout
    assert "fix: " in failed.stdout
    bad = await asyncio.to_thread(CliRunner().invoke, app, ["doctor"], env={"KAFKA_ACKS": "banana"})
    assert bad.exit_code == 1
    assert "FAIL  config" in bad.stdout
    assert "Traceback" not in bad.output
