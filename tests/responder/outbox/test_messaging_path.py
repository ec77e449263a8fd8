"""Proactive replies through the Messaging API, end to end on the real database and the SP-API stand-in."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports.messaging import MessagingTransport
from services.responder.replies.compliance.language import guess_language
from shared.db.session import Database
from shared.events import ComplaintClassified, SignalKind
from shared.spapi.client import SpApiClient
from shared.stack.spapi_standin import StandinHandle, StandinState
from tests.responder.exactly_once_support import (
    CIPHER,
    apply,
    deps,
    lost_parcel_context,
    new_order_id,
    new_sellers,
    outbox_rows,
    spapi_client,
    ticket_of,
    timeline_kinds,
)
from tests.responder.support import classified

pytestmark = pytest.mark.integration


def _sender(db: Database, client: SpApiClient) -> OutboxSender:
    transport = MessagingTransport(client, deps().composer)
    return OutboxSender(db=db, transports={"messaging": transport}, cipher=CIPHER, config=SenderConfig())


def _operations(state: StandinState, since: int, seller: str | None) -> list[str]:
    return [r.operation for r in state.requests[since:] if seller is None or r.seller_id == seller]


def _defective_return(seller: str, order: str) -> ComplaintClassified:
    return classified(
        order_id=order,
        seller_id=seller,
        kind=SignalKind.RETURN_REPORT_ROW,
        category="defective",
        text="Arrived broken, it does not switch on.",
    )


def _seed(
    state: StandinState, *, locale: str = "en-US", actions: Sequence[str] | None = None
) -> tuple[dict[str, str], str, str]:
    sellers = new_sellers(state, 1)
    order = new_order_id()
    state.add_order(order, next(iter(sellers)), buyer_locale=locale, actions=actions)
    return sellers, next(iter(sellers)), order


async def test_defective_return_goes_once_as_unexpected_problem_in_the_buyers_locale(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers, seller, order = _seed(state, locale="de-DE")
    await apply(db, _defective_return(seller, order))
    async with db.sessions() as session:
        (queued,) = await outbox_rows(session, seller_ids=[seller])
    assert (queued.channel, queued.status, queued.action, queued.language) == (
        "messaging",
        "pending",
        "unexpectedProblem",
        "en",
    )

    start = len(state.requests)
    async with spapi_client(standin, sellers) as client:
        sender = _sender(db, client)
        assert await sender.tick() == 1
        assert await sender.tick() == 0

    (message,) = state.messages_for(order)
    assert message.action == "unexpectedProblem"
    assert order in message.body["text"]
    assert guess_language(message.body["text"]).language == "de"  # re-rendered from GetAttributes
    assert _operations(state, start, seller) == [
        "getMessagingActionsForOrder",
        "GetAttributes",
        "createUnexpectedProblem",
    ]
    async with db.sessions() as session:
        (row,) = await outbox_rows(session, seller_ids=[seller])
        ticket = await ticket_of(session, order)
    assert row.status == "sent"
    assert ticket.status == "replied"


async def test_lost_parcel_uses_confirm_delivery_details_when_that_is_what_the_order_allows(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers, seller, order = _seed(state, actions=("confirmDeliveryDetails", "invoice"))
    never_arrived = classified(
        order_id=order,
        seller_id=seller,
        kind=SignalKind.FEEDBACK_REPORT_ROW,
        category="not_received",
        text="Never arrived.",
    )
    await apply(db, lost_parcel_context(seller, order), never_arrived)
    async with db.sessions() as session:
        (queued,) = await outbox_rows(session, seller_ids=[seller])
    assert queued.channel == "messaging"

    async with spapi_client(standin, sellers) as client:
        assert await _sender(db, client).tick() == 1

    (message,) = state.messages_for(order)
    assert message.action == "confirmDeliveryDetails"
    assert order in message.body["text"]


async def test_an_action_the_order_does_not_allow_fails_and_escalates_without_any_send(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    # confirmDeliveryDetails exists but does not fit a defective item: nothing may be sent.
    sellers, seller, order = _seed(state, actions=("confirmDeliveryDetails", "invoice"))
    await apply(db, _defective_return(seller, order))

    start = len(state.requests)
    async with spapi_client(standin, sellers) as client:
        sender = _sender(db, client)
        assert await sender.tick() == 1
        assert await sender.tick() == 0

    assert state.messages_for(order) == []
    assert _operations(state, start, seller) == ["getMessagingActionsForOrder"]
    async with db.sessions() as session:
        (row,) = await outbox_rows(session, seller_ids=[seller])
        ticket = await ticket_of(session, order)
        kinds = await timeline_kinds(session, ticket)
    assert row.status == "failed"
    assert (row.last_error or "").startswith("no_action")
    assert ticket.status == "escalated"
    assert kinds[-1] == "reply_failed"


async def test_a_403_on_the_send_fails_once_and_is_never_repeated(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers, seller, order = _seed(state)
    await apply(db, _defective_return(seller, order))
    # The order changed between the actions list and the POST: Amazon refuses the template.
    state.inject("status", status=403, operation="createUnexpectedProblem", count=3)

    start = len(state.requests)
    async with spapi_client(standin, sellers) as client:
        sender = _sender(db, client)
        assert await sender.tick() == 1
        assert await sender.tick() == 0

    # An injected fault is answered before the token is read: its record has no seller.
    posts = [
        r.status
        for r in state.requests[start:]
        if r.operation == "createUnexpectedProblem" and r.seller_id in (seller, None)
    ]
    assert posts == [403]
    assert state.messages_for(order) == []
    async with db.sessions() as session:
        (row,) = await outbox_rows(session, seller_ids=[seller])
        ticket = await ticket_of(session, order)
    assert row.status == "failed"
    assert ticket.status == "escalated"


async def test_a_buyer_locale_without_a_compliant_text_is_escalated_not_sent_in_another_language(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers, seller, order = _seed(state, locale="pt-BR")
    await apply(db, _defective_return(seller, order))

    async with spapi_client(standin, sellers) as client:
        assert await _sender(db, client).tick() == 1

    assert state.messages_for(order) == []
    async with db.sessions() as session:
        (row,) = await outbox_rows(session, seller_ids=[seller])
        ticket = await ticket_of(session, order)
    assert (row.status, (row.last_error or "").split(":")[0]) == ("failed", "locale")
    assert ticket.status == "escalated"
