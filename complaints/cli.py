"""`complaints`: one console command for every service, the local stack and the operator tools."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import typer

from complaints import dlq
from services.classifier import cli as classifier_cli
from services.ingest import cli as ingest_cli
from services.responder import cli as responder_cli
from services.responder.api import cli as api_cli
from shared.stack import cli as stack_cli

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help=__doc__)  # --install-completion / --show-completion

# Commands that start or manage a system, and the services (configured by their environment alone): they
# never act on the environment of a running `complaints run`.
_OWN_ENVIRONMENT = frozenset(
    {"run", "chaos", "stack", "migrations-check", "ingest", "classifier", "responder", "api"}
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"complaints {version('complaints')}")
        raise typer.Exit


@app.callback()
def main(
    ctx: typer.Context,
    _: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Complaints: one console command for every service, the local stack and the operator tools."""
    if ctx.invoked_subcommand in _OWN_ENVIRONMENT:
        return
    from complaints.devrun.envfile import apply_env_file, find_env_file

    path = find_env_file(Path.cwd())
    if path is not None and apply_env_file(path, os.environ):
        typer.echo(f"using the environment of the running `complaints run` ({path})", err=True)


@app.command()
def ingest() -> None:
    """Run the ingest service (SQS pollers, EventBridge and inbound-mail HTTP endpoints, reports)."""
    from services.ingest.__main__ import main

    main()


@app.command()
def classifier() -> None:
    """Run the classifier service."""
    from services.classifier.__main__ import main

    main()


@app.command()
def responder() -> None:
    """Run the responder worker (tickets, outbox sender)."""
    from services.responder.__main__ import main

    main()


@app.command()
def api() -> None:
    """Run the internal HTTP API."""
    from services.responder.api.__main__ import main

    main()


@app.command()
def migrate() -> None:
    """Apply database migrations (alembic upgrade head) to DATABASE_URL."""
    from complaints.db.migrate import upgrade_head
    from shared.settings import DatabaseSettings

    upgrade_head(DatabaseSettings().url.get_secret_value())


@app.command()
def run(
    demo: bool = typer.Option(True, help="Feed the demo scenario once everything is up."),
    api_port: int = typer.Option(8080, help="Port of the tickets API (0 picks a free one)."),
) -> None:
    """Start the local stack and all services, feed the demo, serve until Ctrl-C."""
    from complaints.devrun import run_everything

    asyncio.run(run_everything(demo=demo, api_port=api_port))


@app.command()
def chaos(
    duration: float = typer.Option(600.0, help="Seconds of load while faults are injected."),
    rate: float = typer.Option(3.0, help="Inputs per second."),
    repeats: int = typer.Option(3, help="Injections of each fault kind."),
    seed: int | None = typer.Option(
        None, help="Seed of the load and the fault schedule (printed when random)."
    ),
    work_dir: str = typer.Option(".stack/chaos", help="Embedded PostgreSQL data and service logs."),
) -> None:
    """Fault campaign on the local stack: load, injected faults, drain, a table; exit 1 on a broken invariant."""
    from complaints.devrun.chaos import CampaignConfig, run_campaign

    config = CampaignConfig(
        Path(work_dir).resolve(), duration_s=duration, rate=rate, repeats=repeats, seed=seed
    )
    result = asyncio.run(run_campaign(config))
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def doctor() -> None:
    """Check the configuration and every dependency (Kafka and its topics, PostgreSQL and the migration
    level, SQS queues, SMTP or SES, SP-API through LWA); print what is wrong and how to fix it; exit 1 on any
    failure."""
    import pydantic

    from complaints.doctor import render, run_checks
    from complaints.settings import Settings

    try:
        settings = Settings()
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            typer.echo(f"FAIL  config    {where}: {error['msg']}\n      fix: set it in the environment")
        raise typer.Exit(1) from None
    typer.echo(f"ok    config    environment {settings.environment}")
    checks = asyncio.run(run_checks(settings))
    for check in checks:
        typer.echo(render(check))
    if not all(check.ok for check in checks):
        raise typer.Exit(1)


@app.command("migrations-check")
def migrations_check() -> None:
    """Fail when the SQLAlchemy models and the Alembic migrations disagree (uses a scratch database)."""
    from complaints.db.check import migrations_check as check

    asyncio.run(check())


@app.command("trace")
def trace(
    ticket_id: str = typer.Argument(..., help="The ticket (its id in the API and the console)."),
    logs: str = typer.Option(
        ".stack/run/logs", help="Folder of the services' JSON logs (`complaints run`'s)."
    ),
) -> None:
    """Print one ticket's log lines from every service in time order (its traces: ingest to the send)."""
    from complaints.trace import trace_command

    try:
        ticket = uuid.UUID(ticket_id)
    except ValueError:
        raise typer.BadParameter("not a ticket id (a UUID)", param_hint="TICKET_ID") from None
    trace_command(ticket, Path(logs))


# The operators' tools live with their services; their commands join this one.
app.add_typer(stack_cli.app, name="stack")
app.add_typer(dlq.app, name="dlq")
for _tools in (ingest_cli, classifier_cli, responder_cli, api_cli):
    app.add_typer(_tools.app)
