"""The env file of `complaints run`: owner-only, read only while its process lives, the caller's variables win."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from complaints.devrun.envfile import (
    ENV_FILE_NAME,
    apply_env_file,
    find_env_file,
    remove_env_file,
    system_env,
    write_env_file,
)


def test_a_live_run_is_found_from_a_subfolder_and_fills_only_missing_variables(tmp_path: Path) -> None:
    path = tmp_path / ENV_FILE_NAME
    write_env_file(path, {"DATABASE_URL": "postgresql+asyncpg://run/db", "RESPONDER_API_KEY_PEPPER": "p"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    below = tmp_path / "services" / "ingest"
    below.mkdir(parents=True)
    assert find_env_file(below) == path
    environ = {"DATABASE_URL": "mine"}
    assert apply_env_file(path, environ) == ["RESPONDER_API_KEY_PEPPER"]
    assert environ == {"DATABASE_URL": "mine", "RESPONDER_API_KEY_PEPPER": "p"}


def test_the_file_of_a_finished_run_is_ignored(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    path = tmp_path / ENV_FILE_NAME
    write_env_file(path, {"A": "1"}, pid=int(gone.stdout))
    assert find_env_file(tmp_path) is None


def test_broken_files_are_ignored_and_only_the_owner_removes_it(tmp_path: Path) -> None:
    path = tmp_path / ENV_FILE_NAME
    path.parent.mkdir(parents=True)
    for text in ("", "\x00", "[]", '{"pid": "x", "env": {}}', '{"pid": 1, "env": []}'):
        path.write_text(text, encoding="utf-8")
        assert find_env_file(tmp_path) is None
        assert apply_env_file(path, {}) == []
    write_env_file(path, {"A": "1"}, pid=os.getpid())
    remove_env_file(path, pid=os.getpid() + 1)
    assert path.exists()
    remove_env_file(path)
    assert not path.exists()


def test_only_the_systems_variables_are_kept() -> None:
    env = {
        "PATH": "/usr/bin",
        "HOME": "/root",
        "DATABASE_URL": "postgresql+asyncpg://x/db",
        "RESPONDER_API_KEY_PEPPER": "p",
        "RESPONDER_PII_ENCRYPTION_KEY": "k",
        "ENVIRONMENT": "local",
        "COMPLAINTS_API_URL": "http://127.0.0.1:8080",
    }
    assert set(system_env(env)) == set(env) - {"PATH", "HOME"}
