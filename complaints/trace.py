"""`complaints trace TICKET_ID`: one ticket's journey through the services' logs.

The trace id is the correlation id of every log line written for a complaint (shared.tracing); an outbox row
keeps the traceparent of the complaint it answers, so a ticket's replies name its traces. The lines of those
traces, from every service's log, come out in time order.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import typer

__all__ = ["follow", "trace_command", "trace_ids"]

DEFAULT_LOGS = Path(".stack") / "run" / "logs"


def trace_ids(traceparents: Iterable[str | None]) -> list[str]:
    """The trace ids named by W3C traceparents (malformed ones are skipped), in first-seen order."""
    found: dict[str, None] = {}
    for value in traceparents:
        parts = (value or "").split("-")
        if len(parts) == 4 and len(parts[1]) == 32:
            found[parts[1]] = None
    return list(found)


def follow(log_dir: Path, ids: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
    """(service, line) of every JSON log line under ``log_dir`` whose correlation id is one of ``ids``, by time."""
    wanted = set(ids)
    lines: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(log_dir.glob("*.log")):
        with path.open(encoding="utf-8", errors="replace") as handle:
            for raw in handle:
                if not raw.startswith("{") or not any(i in raw for i in wanted):
                    continue
                try:
                    doc = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(doc, dict) and doc.get("correlation_id") in wanted:
                    lines.append((path.stem, doc))
    return sorted(lines, key=lambda item: str(item[1].get("ts", "")))


async def _traceparents(ticket_id: uuid.UUID) -> list[str | None]:
    from services.responder.outbox import repository
    from shared.db.session import Database, unit_of_work
    from shared.settings import DatabaseSettings

    db = Database(DatabaseSettings())
    try:
        async with unit_of_work(db) as session:
            return await repository.ticket_traceparents(session, ticket_id=ticket_id)
    finally:
        await db.dispose()


def trace_command(ticket_id: uuid.UUID, logs: Path = DEFAULT_LOGS) -> None:
    """Print one ticket's log lines from every service in time order (its traces: ingest to the send)."""
    ids = trace_ids(asyncio.run(_traceparents(ticket_id)))
    if not ids:
        typer.echo(f"ticket {ticket_id} has no traced reply (yet); nothing to follow", err=True)
        raise typer.Exit(1)
    typer.echo(f"trace {', '.join(ids)}", err=True)
    for service, line in follow(logs, ids):
        rest = {
            k: v for k, v in line.items() if k not in {"ts", "event", "correlation_id", "level", "logger"}
        }
        typer.echo(
            f"{line.get('ts', '')}  {service:<10} {line.get('event', '')}  {json.dumps(rest, default=str)}"
        )
