"""`complaints keys create|list|revoke`: API keys (uses DATABASE_URL and RESPONDER_API_KEY_PEPPER)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from services.responder.api.keystore import issue_key
from services.responder.api.repositories import keys as repo
from services.responder.api.security import RESERVED_NAMES, SCOPES, TICKETS_READ
from services.responder.api.tables import ApiKey
from services.responder.settings import ResponderApiServiceSettings, ResponderSettings
from shared.db.session import Database, unit_of_work

__all__ = ["app", "keys"]

app = typer.Typer(no_args_is_help=True, add_completion=False)
keys = typer.Typer(no_args_is_help=True, add_completion=False, help="API keys of the internal HTTP API.")
app.add_typer(keys, name="keys")

T = TypeVar("T")


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database(ResponderApiServiceSettings().database)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _pepper(settings: ResponderApiServiceSettings) -> str:
    """The API's pepper; the placeholder only on a local database (raises typer.Exit)."""
    pepper = settings.responder.api_key_pepper.get_secret_value()
    placeholder = ResponderSettings.model_fields["api_key_pepper"].default.get_secret_value()
    try:
        host = make_url(settings.database.url.get_secret_value()).host or ""
    except ArgumentError:
        host = ""  # not a URL: certainly not the local stack
    if pepper.strip() == placeholder and (settings.environment != "local" or host not in _LOOPBACK):
        print(
            "error: RESPONDER_API_KEY_PEPPER is the placeholder and the database is not the local stack: "
            "set the running API's pepper (a key hashed with another pepper is never accepted).",
            file=sys.stderr,
        )
        raise typer.Exit(code=2)
    return pepper


@keys.command("create")
def create(
    name: Annotated[str, typer.Option(help="Who uses the key; shown as the actor on ticket timelines.")],
    seller: Annotated[list[str], typer.Option(help="Seller id the key may access (repeat for several).")],
    scope: Annotated[list[str], typer.Option(help=f"One of {', '.join(SCOPES)} (repeat).")] = [TICKETS_READ],  # noqa: B006  # typer reads list defaults, never mutates them
    rate_limit: Annotated[
        float | None, typer.Option(help="Requests per second (default: the server's).")
    ] = None,
) -> None:
    """Create a key and print it once: only its hash is stored."""
    unknown = sorted(set(scope) - set(SCOPES))
    if unknown:
        raise typer.BadParameter(f"unknown scope(s): {', '.join(unknown)}", param_hint="--scope")
    if not name.strip() or len(name) > 128 or name.strip().lower() in RESERVED_NAMES:
        reserved = ", ".join(sorted(RESERVED_NAMES))
        raise typer.BadParameter(f"give a name of 1 to 128 characters, not {reserved}", param_hint="--name")
    pepper = _pepper(ResponderApiServiceSettings())

    async def work(db: Database) -> tuple[str, ApiKey]:
        async with unit_of_work(db) as session:
            return await issue_key(
                session,
                name=name.strip(),
                scopes=sorted(set(scope)),
                sellers=sorted(set(seller)),
                pepper=pepper,
                rate_limit_per_s=rate_limit,
            )

    plaintext, row = _run(work)
    print(f"id:      {row.id}")
    print(f"prefix:  {row.prefix}")
    print(f"scopes:  {' '.join(row.scopes)}")
    print(f"sellers: {' '.join(row.sellers)}")
    print(f"key:     {plaintext}")
    print("The key is shown only now; store it in your secret manager.")


def _line(cells: Sequence[str]) -> str:
    widths = (36, 20, 12, 40, 30, 25, 25)
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


@keys.command("list")
def list_(all_: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False) -> None:
    """List keys (prefixes only; the secrets are not stored)."""

    async def work(db: Database) -> Sequence[ApiKey]:
        async with unit_of_work(db) as session:
            return await repo.list_keys(session, include_revoked=all_)

    rows = _run(work)
    print(_line(("id", "name", "prefix", "scopes", "sellers", "created", "revoked")))
    for r in rows:
        revoked = r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else "-"
        cells = (str(r.id), r.name, r.prefix, ",".join(r.scopes), ",".join(r.sellers))
        print(_line((*cells, r.created_at.isoformat(timespec="seconds"), revoked)))


@keys.command("revoke")
def revoke(key: Annotated[str, typer.Argument(help="The key's id or prefix.")]) -> None:
    """Revoke a key (running API processes stop accepting it within their key cache time)."""

    async def work(db: Database) -> ApiKey | None:
        async with unit_of_work(db) as session:
            return await repo.revoke_key(session, ident=key, now=datetime.now(UTC))

    row = _run(work)
    if row is None:
        print(f"no active key {key}")
        raise typer.Exit(1)
    print(f"revoked {row.prefix} ({row.name})")
