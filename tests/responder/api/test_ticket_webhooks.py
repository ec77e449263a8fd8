"""A PATCH through the API becomes one signed ticket.updated, delivered by the API process's own loop to a real
loopback receiver."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from services.responder.api.security import TICKETS_WRITE
from services.responder.settings import ResponderApiServiceSettings, WebhookSubscription
from services.responder.workers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from shared.db.session import Database
from tests.responder.api.helpers import add_key, add_ticket, bearer
from tests.responder.api.receiver import Receiver, webhook_receiver

SECRET = "api-webhook-secret-0123"


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with webhook_receiver([]) as r:
        yield r


@pytest.fixture
def settings(settings: ResponderApiServiceSettings, receiver: Receiver) -> ResponderApiServiceSettings:
    sub = WebhookSubscription(
        name="erp", url=receiver.url, secret=SecretStr(SECRET), events=["ticket.updated"]
    )
    responder = settings.responder.model_copy(update={"webhooks": [sub]})
    return settings.model_copy(update={"responder": responder})


async def test_a_patch_is_one_signed_ticket_updated(
    client: httpx.AsyncClient, db: Database, receiver: Receiver
) -> None:
    ticket = await add_ticket(db)
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_WRITE], name="erp")
    url = f"/v1/tickets/{ticket.id}"
    ok = await client.patch(url, json={"status": "escalated"}, headers={**bearer(key), "If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    stale = await client.patch(url, json={"status": "closed"}, headers={**bearer(key), "If-Match": '"1"'})
    assert stale.status_code == 412  # refused: no event for it

    await receiver.wait_for(1)
    [request] = receiver.requests
    timestamp = int(request.headers[TIMESTAMP_HEADER.lower()])
    assert verify(
        SECRET,
        timestamp,
        request.body,
        request.headers[SIGNATURE_HEADER.lower()],
        now=timestamp,
        tolerance_s=60,
    )
    body = json.loads(request.body)
    assert body["type"] == "ticket.updated"
    assert body["data"]["ticket"]["id"] == str(ticket.id)
    assert (body["data"]["ticket"]["status"], body["data"]["ticket"]["version"]) == ("escalated", 2)
