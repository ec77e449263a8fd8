"""`complaints`: one console command for every service, the local stack and the operator tools."""

from __future__ import annotations

import asyncio
import importlib

import typer

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


def _mount(module: str, name: str | None = None) -> None:
    """Add a sub-app's commands (merged at the top level when ``name`` is None)."""
    sub = importlib.import_module(module).app
    if name:
        app.add_typer(sub, name=name)
    else:
        app.add_typer(sub)


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
    from shared.db.migrate import upgrade_head
    from shared.settings import DatabaseSettings

    upgrade_head(DatabaseSettings().url.get_secret_value())


@app.command()
def run(
    demo: bool = typer.Option(True, help="Feed the demo scenario once everything is up."),
    api_port: int = typer.Option(8080, help="Port of the tickets API (0 picks a free one)."),
) -> None:
    """Start the local stack and all services, feed the demo, serve until Ctrl-C."""
    from shared.devrun import run_everything

    asyncio.run(run_everything(demo=demo, api_port=api_port))


for _module, _name in (
    ("shared.stack.cli", "stack"),
    ("services.ingest.cli", None),
    ("services.classifier.cli", None),
    ("services.responder.cli", None),
    ("services.responder.api.cli", None),
):
    try:
        _mount(_module, _name)
    except ModuleNotFoundError as _exc:  # a service's tools are optional in a trimmed image
        if not _exc.name or not _module.startswith(_exc.name):
            raise


@app.command("migrations-check")
def migrations_check() -> None:
    """Fail when the SQLAlchemy models and the Alembic migrations disagree (uses a scratch database)."""
    from shared.db.check import migrations_check as check

    asyncio.run(check())
