"""`complaints stack up|down|env` as real processes: detached, foreground, and a missing state file."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.stack.cli import app
from shared.stack.kafka import wait_for_kafka
from shared.stack.postgres import drop_database
from shared.stack.statefile import pid_alive
from tests.shared.stack._net import accepts


def _env(stack_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")}
    env["STACK_DIR"] = str(stack_dir)
    return env


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "shared.stack", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def _exports(stdout: str) -> dict[str, str]:
    lines = [line.removeprefix("export ") for line in stdout.splitlines() if line.startswith("export ")]
    return dict(line.split("=", 1) for line in lines)


async def test_detached_stack_runs_until_down(tmp_path: Path) -> None:
    env, database = _env(tmp_path), f"stack_cli_{uuid.uuid4().hex[:8]}"
    started = _cli("up", "--detach", "--database", database, env=env)
    assert started.returncode == 0, started.stderr
    state = json.loads((tmp_path / "state.json").read_text())
    pid, endpoints = state["pid"], state["endpoints"]
    try:
        assert pid_alive(pid)
        assert _exports(started.stdout)["KAFKA_BOOTSTRAP_SERVERS"] == endpoints["kafka_bootstrap"]
        await wait_for_kafka(endpoints["kafka_bootstrap"], startup_timeout=5)
        assert _exports(_cli("env", env=env).stdout) == _exports(started.stdout)
        again = _cli("up", "--detach", env=env)
        assert again.returncode == 1
        assert "already runs" in again.stderr
    finally:
        stopped = _cli("down", env=env)
        await drop_database(endpoints["database_admin_url"], database)
    assert stopped.returncode == 0, stopped.stderr
    assert not pid_alive(pid)
    assert not (tmp_path / "state.json").exists()
    assert not await accepts(endpoints["smtp_host"], endpoints["smtp_port"])


def test_foreground_stack_stops_on_sigint(tmp_path: Path) -> None:
    state_file = tmp_path / "fg.json"
    command = [
        sys.executable,
        "-m",
        "shared.stack",
        "up",
        "--state-file",
        str(state_file),
        "--database",
        "postgres",
    ]
    proc = subprocess.Popen(
        command, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert proc.stdout is not None
        exports: dict[str, str] = {}
        while "MAIL_SMTP_PORT" not in exports:
            line = proc.stdout.readline()
            assert line, "the stack exited before printing its environment"
            exports.update(_exports(line))
        assert state_file.exists()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not state_file.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(
            (exports["MAIL_SMTP_HOST"], int(exports["MAIL_SMTP_PORT"])), timeout=2
        ).close()


def test_down_without_a_stack_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["down", "--state-file", str(tmp_path / "none.json")])
    assert result.exit_code == 0
    assert "no local stack state" in result.output
