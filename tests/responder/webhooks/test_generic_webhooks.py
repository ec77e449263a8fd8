"""Generic signed webhooks: ticket.created, ticket.updated and reply.sent reach a real loopback receiver,
signed like the SLA webhooks, retried after a 500, and once each even when the source events are redelivered."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from services.responder.handlers import ResponderDeps, handle_batch
from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports.messaging import MessagingTransport
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderSettings, WebhookSubscription
from services.responder.webhooks import events as webhook_events
from services.responder.webhooks import repository as webhook_repo
from services.responder.webhooks.delivery import DeliveryPolicy, WebhookDispatcher
from services.responder.workers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSender, verify
from shared.db.session import Database, unit_of_work
from shared.events import ComplaintClassified, SignalKind
from shared.kafka.typed import Consumed
from shared.stack.spapi_standin import StandinHandle
from shared.topics import CLASSIFIED
from tests.responder.api.receiver import Receiver, webhook_receiver
from tests.responder.exactly_once_support import CIPHER, eventually, new_order_id, new_sellers, spapi_client
from tests.responder.support import classified

pytestmark = pytest.mark.integration

SECRET = "a-webhook-secret-for-tests"
FAST = DeliveryPolicy(backoff_s=0.01, backoff_max_s=0.05, max_attempts=5)


def _deps(sub: WebhookSubscription) -> ResponderDeps:
    return ResponderDeps(
        cipher=CIPHER, composer=ReplyComposer(responder=ResponderSettings()), webhooks=(sub,)
    )


async def _consume(db: Database, sub: WebhookSubscription, events: list[ComplaintClassified]) -> None:
    records = [Consumed(e, CLASSIFIED, 0, i, None, ()) for i, e in enumerate(events)]
    async with unit_of_work(db) as session:
        await handle_batch(records, session=session, deps=_deps(sub), now=datetime.now(UTC))


async def _deliver_until(dispatcher: WebhookDispatcher, receiver: Receiver, n: int) -> None:
    async def pass_() -> int:
        await dispatcher.tick()
        return len(receiver.requests)

    await eventually(pass_, until=lambda got: got >= n, within=15)


def _verified(receiver: Receiver) -> list[dict[str, Any]]:
    bodies = []
    for request in receiver.requests:
        timestamp = int(request.headers[TIMESTAMP_HEADER.lower()])
        signature = request.headers[SIGNATURE_HEADER.lower()]
        assert verify(SECRET, timestamp, request.body, signature, now=timestamp, tolerance_s=300)
        assert not verify(
            "another-secret-entirely", timestamp, request.body, signature, now=timestamp, tolerance_s=300
        )
        body = json.loads(request.body)
        assert request.headers["x-complaints-event-id"] == body["id"]
        assert request.headers["x-complaints-event"] == body["type"]
        bodies.append(body)
    return bodies


async def test_ticket_and_reply_events_arrive_signed_retried_after_500_and_once_each(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers = new_sellers(state, 1)
    (seller,) = sellers
    order = new_order_id()
    state.add_order(order, seller)
    first = classified(
        order_id=order, seller_id=seller, kind=SignalKind.RETURN_REPORT_ROW, category="defective"
    )
    again = classified(
        order_id=order, seller_id=seller, kind=SignalKind.RETURN_REPORT_ROW, category="defective", dedup="x"
    )
    async with webhook_receiver([500]) as receiver:
        sub = WebhookSubscription(name="erp", url=receiver.url, secret=SecretStr(SECRET))
        await _consume(db, sub, [first])
        await _consume(db, sub, [first])  # the same Kafka record redelivered
        await _consume(db, sub, [again])  # a second signal on the same ticket

        async with spapi_client(standin, sellers) as client:
            transport = MessagingTransport(client, ReplyComposer(responder=ResponderSettings()))
            sender = OutboxSender(
                db=db,
                transports={"messaging": transport},
                cipher=CIPHER,
                config=SenderConfig(),
                webhooks=[sub],
            )
            while await sender.tick():
                pass
        http = WebhookSender(url=sub.url, secret=SECRET, max_attempts=1, backoff_s=0.01, timeout_s=5.0)
        try:
            dispatcher = WebhookDispatcher(
                db=db, senders={"erp": http}, policy=FAST, clock=lambda: datetime.now(UTC)
            )
            # ticket.created, ticket.updated and reply.sent: 3 events, plus the first POST answered 500
            await _deliver_until(dispatcher, receiver, 4)
            assert await dispatcher.tick() == 0  # nothing left, nothing sent twice
        finally:
            await http.aclose()

    bodies = _verified(receiver)
    assert len(bodies) == 4
    retried = bodies[0]["id"]
    assert [b["id"] for b in bodies].count(retried) == 2  # the 500 was delivered again, same id and body
    assert Counter(b["type"] for b in bodies[1:]) == Counter(
        {"ticket.created": 1, "ticket.updated": 1, "reply.sent": 1}
    )
    by_type = {b["type"]: b for b in bodies}
    ticket = by_type["ticket.created"]["data"]["ticket"]
    assert (ticket["order_id"], ticket["seller_id"], ticket["category"]) == (order, seller, "defective")
    assert by_type["reply.sent"]["data"]["reply"]["ticket_id"] == ticket["id"]
    assert by_type["reply.sent"]["data"]["reply"]["channel"] == "messaging"
    assert "buyer" not in json.dumps(bodies)  # no buyer alias or text in any payload


async def test_a_repeated_event_adds_no_delivery_and_a_4xx_is_final(db: Database) -> None:
    async with webhook_receiver([410]) as receiver:
        sub = WebhookSubscription(
            name="helpdesk", url=receiver.url, secret=SecretStr(SECRET), sellers=["S-ONLY"]
        )
        other = WebhookSubscription(
            name="tickets-only", url=receiver.url, secret=SecretStr(SECRET), events=["ticket.created"]
        )
        event = webhook_events.reply_sent(
            outbox_id=uuid.uuid4(),
            ticket_id=uuid.uuid4(),
            seller_id="S-ONLY",
            order_id=None,
            channel="email",
            created_by="auto",
            now=datetime.now(UTC),
        )
        rows = webhook_events.delivery_rows([event], [sub, other])
        assert [r["subscription"] for r in rows] == ["helpdesk"]  # the other wants ticket.created only
        assert webhook_events.delivery_rows([event], [sub.model_copy(update={"sellers": ["S-OTHER"]})]) == []
        for _ in range(2):
            async with unit_of_work(db) as session:
                await webhook_repo.insert_deliveries(session, rows=rows)
        http = WebhookSender(url=sub.url, secret=SECRET, max_attempts=1, backoff_s=0.01, timeout_s=5.0)
        try:
            dispatcher = WebhookDispatcher(
                db=db, senders={"helpdesk": http}, policy=FAST, clock=lambda: datetime.now(UTC)
            )
            assert await dispatcher.tick() == 1
            assert await dispatcher.tick() == 0  # 410 is final: not retried
        finally:
            await http.aclose()
    assert len(receiver.requests) == 1
