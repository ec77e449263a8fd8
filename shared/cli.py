"""`complaints`: one console command for every service, the local stack and the operator tools."""

from __future__ import annotations

import asyncio
import importlib

import typer

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


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


@app.command("migrations-check")
def migrations_check() -> None:
    """Fail when the SQLAlchemy models and the Alembic migrations disagree (uses a scratch database)."""
    from shared.db.check import migrations_check as check

    asyncio.run(check())


# The operators' tools live with their services; their commands join this one.
app.add_typer(importlib.import_module("shared.stack.cli").app, name="stack")
for _module in (
    "services.ingest.cli",
    "services.classifier.cli",
    "services.responder.cli",
    "services.responder.api.cli",
):
    app.add_typer(importlib.import_module(_module).app)
