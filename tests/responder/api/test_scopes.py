"""Every read needs its scope: 403 without it, in the FastAPI routes and the fast lane alike."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi import FastAPI

from services.responder.api.security import (
    ADMIN,
    REPLIES_SEND,
    SCOPES,
    STATS_READ,
    TEMPLATES_READ,
    TICKETS_READ,
    TICKETS_WRITE,
)
from shared.db.session import Database
from tests.responder.api.helpers import add_key, add_ticket, bearer

_PARAMS = {"ticket_id": str(uuid.uuid4()), "buyer_hash": "abcdefgh12345678", "template_id": "email/x/en"}


def _get_paths(app: FastAPI) -> list[str]:
    """Every GET operation the API documents, path parameters filled in."""
    return [
        re.sub(r"\{(\w+)\}", lambda m: _PARAMS[m.group(1)], path)
        for path, operations in app.openapi()["paths"].items()
        if "get" in operations and path.startswith("/v1/")
    ]


async def test_a_key_without_scopes_reads_nothing(
    app: FastAPI, client: httpx.AsyncClient, db: Database
) -> None:
    await add_ticket(db)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[])
    paths = _get_paths(app)
    assert {"/v1/tickets", "/v1/stats", "/v1/templates"} <= set(paths)
    for path in paths:
        answer = await client.get(path, headers=bearer(key))
        assert answer.status_code == 403, path
        assert answer.json()["error"]["code"] == "insufficient_scope", path


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/v1/tickets", {TICKETS_READ, TICKETS_WRITE, ADMIN}),
        (f"/v1/tickets/{uuid.uuid4()}", {TICKETS_READ, TICKETS_WRITE, ADMIN}),
        ("/v1/buyers/abcdefgh12345678", {TICKETS_READ, ADMIN}),
        ("/v1/stats", {STATS_READ, ADMIN}),
        ("/v1/templates", {TEMPLATES_READ, ADMIN}),
    ],
)
async def test_each_read_needs_its_own_scope(
    client: httpx.AsyncClient, db: Database, path: str, allowed: set[str]
) -> None:
    for scope in SCOPES:
        key = await add_key(db, sellers=["SELLER-A"], scopes=[scope], name=f"k-{scope}")
        answer = await client.get(path, headers=bearer(key))
        assert (answer.status_code != 403) is (scope in allowed), (path, scope, answer.status_code)


async def test_template_previews_need_templates_read(client: httpx.AsyncClient, db: Database) -> None:
    sender = await add_key(db, sellers=["SELLER-A"], scopes=[REPLIES_SEND])
    reader = await add_key(db, sellers=["SELLER-A"], scopes=[TEMPLATES_READ])
    path = "/v1/templates/email/defective/fr/preview"
    assert (await client.post(path, json={}, headers=bearer(sender))).status_code == 403
    assert (await client.post(path, json={}, headers=bearer(reader))).status_code == 200
