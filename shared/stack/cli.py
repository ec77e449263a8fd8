"""``complaints stack up|down|env``: run the local stack in the foreground or as a background process."""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from shared.stack.endpoints import StackEndpoints
from shared.stack.paths import stack_dir
from shared.stack.statefile import pid_alive, read_state, remove_state, write_state

__all__ = ["app"]

log = logging.getLogger(__name__)

app = typer.Typer(
    help="Local stack: Kafka (Tansu), PostgreSQL, AWS (moto), SMTP and the SP-API stand-in on loopback.",
    no_args_is_help=True,
)

StateFileOpt = Annotated[
    Path | None, typer.Option("--state-file", help="State file (default: $STACK_DIR/state.json or .stack/).")
]
DatabaseOpt = Annotated[str, typer.Option("--database", help="Application database to create if missing.")]
EmlDirOpt = Annotated[Path | None, typer.Option("--eml-dir", help="Also write received mail as .eml here.")]
PgDataOpt = Annotated[Path | None, typer.Option("--pgdata", help="Data folder for embedded PostgreSQL.")]


def _state_path(state_file: Path | None) -> Path:
    return state_file if state_file is not None else stack_dir() / "state.json"


def _exports(endpoints: StackEndpoints) -> str:
    return "\n".join(f"export {key}={shlex.quote(value)}" for key, value in endpoints.env().items())


def _quiet_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # Per-request and per-connection chatter from the components themselves.
    for noisy in ("aiokafka", "werkzeug", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


async def _serve(state_path: Path | None, database: str, eml_dir: Path | None, pgdata: Path | None) -> None:
    # Imported here so `down` and `env` start quickly without loading every client library.
    from shared.stack.local import LocalStack

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def request_stop() -> None:
        stopping.set()
        # A second Ctrl-C gets the default behaviour, so a stuck shutdown can still be interrupted.
        for signum in signals:
            loop.remove_signal_handler(signum)

    for signum in signals:
        loop.add_signal_handler(signum, request_stop)
    stack = LocalStack(database_name=database, smtp_eml_dir=eml_dir, pg_data_dir=pgdata)
    async with stack:
        if state_path is not None:
            write_state(state_path, stack.endpoints)
        print(_exports(stack.endpoints), flush=True)
        try:
            await stopping.wait()
        finally:
            if state_path is not None:
                remove_state(state_path, pid=os.getpid())
    log.info("local stack stopped")


def _detach(
    state_path: Path, database: str, eml_dir: Path | None, pgdata: Path | None, ready_s: float
) -> None:
    current = read_state(state_path)
    if current is not None and pid_alive(current.pid):
        typer.echo(f"a local stack already runs (pid {current.pid}); run `complaints stack down`", err=True)
        raise typer.Exit(1)
    remove_state(state_path)
    command = [
        sys.executable,
        "-m",
        "shared.stack",
        "up",
        "--state-file",
        str(state_path),
        "--database",
        database,
    ]
    if eml_dir is not None:
        command += ["--eml-dir", str(eml_dir)]
    if pgdata is not None:
        command += ["--pgdata", str(pgdata)]
    state_path.parent.mkdir(parents=True, exist_ok=True)
    log_path = state_path.with_name("stack.log")
    with log_path.open("wb") as out:
        # A new session: Ctrl-C in the calling terminal must not reach the background stack.
        child = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    deadline = time.monotonic() + ready_s
    while (state := read_state(state_path)) is None or state.pid != child.pid:
        if child.poll() is not None or time.monotonic() > deadline:
            if child.poll() is None:
                child.kill()
            tail = log_path.read_text(errors="replace")[-3000:]
            typer.echo(f"local stack did not start; log {log_path}:\n{tail}", err=True)
            raise typer.Exit(1)
        time.sleep(0.1)
    typer.echo(f"local stack running in the background (pid {child.pid}, log {log_path})", err=True)
    print(_exports(state.endpoints))


@app.command()
def up(
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Run in the background.")] = False,
    state_file: StateFileOpt = None,
    database: DatabaseOpt = "complaints",
    eml_dir: EmlDirOpt = None,
    pgdata: PgDataOpt = None,
    ready_timeout: Annotated[float, typer.Option(help="Seconds to wait for a detached stack.")] = 120.0,
) -> None:
    """Start the stack, print `export KEY=VALUE` lines, and run until Ctrl-C/SIGTERM (or detach)."""
    _quiet_logging()
    if detach:
        _detach(_state_path(state_file), database, eml_dir, pgdata, ready_timeout)
        return
    asyncio.run(_serve(state_file, database, eml_dir, pgdata))


@app.command()
def down(
    state_file: StateFileOpt = None,
    grace: Annotated[float, typer.Option(help="Seconds between SIGTERM and SIGKILL.")] = 20.0,
) -> None:
    """Stop the background stack named in the state file and remove the file."""
    path = _state_path(state_file)
    state = read_state(path)
    if state is None:
        typer.echo(f"no local stack state at {path}", err=True)
        return
    if pid_alive(state.pid):
        os.kill(state.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while pid_alive(state.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_alive(state.pid):
            os.kill(state.pid, signal.SIGKILL)
    path.unlink(missing_ok=True)
    typer.echo(f"local stack stopped (pid {state.pid})", err=True)


@app.command()
def env(state_file: StateFileOpt = None) -> None:
    """Print the `export KEY=VALUE` lines of the background stack."""
    path = _state_path(state_file)
    state = read_state(path)
    if state is None or not pid_alive(state.pid):
        typer.echo(f"no running local stack at {path}", err=True)
        raise typer.Exit(1)
    print(_exports(state.endpoints))
