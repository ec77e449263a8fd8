"""Review requests end to end: ORDER_CHANGE -> responder handler -> outbox row -> sender -> SP-API stand-in.

Real PostgreSQL, the session's stand-in over loopback HTTP (its Solicitations window, once-per-order rule and
1/s burst 5 usage plan), real SP-API clients.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from services.responder.outbox import repository as outbox_repo
from services.responder.tables import OutboxMessage
from shared.db.session import Database, unit_of_work
from shared.events import SignalKind
from shared.settings import DatabaseSettings
from shared.spapi.calls import RetryPolicy
from shared.stack.spapi_standin import StandinHandle
from tests.responder.exactly_once_support import (
    apply,
    eventually,
    new_order_id,
    new_sellers,
    spapi_client,
    ticket_of,
)
from tests.responder.solicitations.support import (
    DAY,
    FAST,
    apply_context,
    order_change,
    sender,
    solicitation_rows,
)
from tests.responder.support import classified

pytestmark = pytest.mark.integration

POST = "createProductReviewAndSellerFeedbackSolicitation"
GET = "getSolicitationActionsForOrder"
D = timedelta(days=1)
NO_CLIENT_RETRY = RetryPolicy(max_attempts=1, base_delay_s=0.01, max_delay_s=0.05)


def _due_now() -> tuple[datetime, datetime]:
    """Delivery dates whose configured day has just passed, well inside the window."""
    earliest = datetime.now(UTC) - DAY * D - timedelta(hours=1)
    return earliest, earliest + 2 * D


def _posts(standin: StandinHandle, seller_id: str) -> int:
    return sum(1 for r in standin.state.requests if r.operation == POST and r.seller_id == seller_id)


async def test_a_buyer_who_complained_is_asked_exactly_like_one_who_did_not(
    db: Database, standin: StandinHandle
) -> None:
    """Amazon forbids selective asking: a complaint, a return and an escalated ticket change nothing."""
    state = standin.state
    sellers = new_sellers(state, 1)
    (seller,) = sellers
    unhappy, happy = new_order_id(), new_order_id()
    earliest, latest = _due_now()
    for order in (unhappy, happy):
        state.add_order(order, seller, earliest_delivery=earliest, latest_delivery=latest)
    await apply(
        db,
        classified(
            order_id=unhappy, seller_id=seller, category="defective", text="It broke, I want a refund."
        ),
        classified(
            order_id=unhappy, seller_id=seller, kind=SignalKind.RETURN_REPORT_ROW, category="defective"
        ),
    )
    await apply_context(
        db, *(order_change(seller, o, earliest=earliest, latest=latest) for o in (unhappy, happy))
    )

    rows = await solicitation_rows(db, [unhappy, happy])
    schedule = {o: (r.status, r.not_before, r.expires_at, r.action) for o, r in rows.items()}
    assert schedule[unhappy] == schedule[happy]
    assert schedule[happy] == (
        "pending",
        earliest + DAY * D,
        latest + 30 * D,
        "productReviewAndSellerFeedback",
    )

    async with spapi_client(standin, sellers) as client:
        one = sender(db, client)
        while await one.tick():  # the complaint's own replies are in the outbox too (no transport here)
            pass
    rows = await solicitation_rows(db, [unhappy, happy])
    assert {o: (r.status, r.last_error) for o, r in rows.items()} == {
        unhappy: ("sent", None),
        happy: ("sent", None),
    }
    assert sorted(s.order_id for s in state.solicitations if s.seller_id == seller) == sorted(
        [unhappy, happy]
    )
    async with db.sessions() as session:
        ticket = await ticket_of(session, unhappy)
    assert ticket.status != "replied"  # the solicitation is not a reply to the complaint


async def test_the_same_order_change_twice_and_two_sender_replicas_ask_once(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers = new_sellers(state, 1)
    (seller,) = sellers
    order = new_order_id()
    earliest, latest = _due_now()
    state.add_order(order, seller, earliest_delivery=earliest, latest_delivery=latest)
    event = order_change(seller, order, earliest=earliest, latest=latest, key="sqs:same-notification")
    await apply_context(db, event)
    await apply_context(db, event)  # the same notification redelivered
    await apply_context(db, order_change(seller, order, earliest=earliest, latest=latest))  # another one
    assert len(await solicitation_rows(db, [order])) == 1

    async with spapi_client(standin, sellers) as one, spapi_client(standin, sellers) as two:
        handled = await asyncio.gather(sender(db, one).tick(), sender(db, two).tick())
        assert sorted(handled) == [0, 1]
        assert await sender(db, two).tick() == 0
    assert (await solicitation_rows(db, [order]))[order].status == "sent"
    assert [s.order_id for s in state.solicitations if s.seller_id == seller] == [order]
    assert _posts(standin, seller) == 1
    # a notification after the send schedules nothing again; before it, new dates move the pending request
    await apply_context(db, order_change(seller, order, earliest=earliest + D, latest=latest + D))
    assert (await solicitation_rows(db, [order]))[order].status == "sent"
    await _new_delivery_dates_move_a_pending_request(db)


async def test_429s_from_amazon_are_retried_later_never_lost_never_doubled(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers = new_sellers(state, 1)
    (seller,) = sellers
    orders = [new_order_id() for _ in range(2)]
    earliest, latest = _due_now()
    for order in orders:
        state.add_order(order, seller, earliest_delivery=earliest, latest_delivery=latest)
    await apply_context(db, *(order_change(seller, o, earliest=earliest, latest=latest) for o in orders))
    start = len(state.requests)
    # The client does not retry here: each 429 goes back to the sender, which keeps the row due.
    state.inject("status", status=429, count=2, operation=POST)

    stop = asyncio.Event()
    async with spapi_client(standin, sellers, retry=NO_CLIENT_RETRY) as client:
        running = asyncio.create_task(sender(db, client).run(stop))
        try:
            rows: dict[str, OutboxMessage] = await eventually(
                lambda: solicitation_rows(db, orders),
                until=lambda r: all(row.status == "sent" for row in r.values()),
                within=30,
            )
        finally:
            stop.set()
            await running
    assert state.faults == []
    assert max(row.attempts for row in rows.values()) > 1  # sent again later by the sender, not given up
    assert sorted(s.order_id for s in state.solicitations if s.seller_id == seller) == sorted(orders)
    throttled = [r for r in state.requests[start:] if r.operation == POST and r.status == 429]
    assert len(throttled) == 2
    assert _posts(standin, seller) == 2  # the successful ones: one per order


async def test_a_restart_or_crash_between_queue_and_send_never_sends_twice(
    db: Database, migrated_db: str, standin: StandinHandle
) -> None:
    state = standin.state
    sellers = new_sellers(state, 1)
    (seller,) = sellers
    queued, dropped = new_order_id(), new_order_id()
    earliest, latest = _due_now()
    for order in (queued, dropped):
        state.add_order(order, seller, earliest_delivery=earliest, latest_delivery=latest)
    await apply_context(
        db, *(order_change(seller, o, earliest=earliest, latest=latest) for o in (queued, dropped))
    )
    # The process that queued them stops before sending; the answer to one POST is lost after Amazon acted.
    state.inject("drop", operation=POST, processed=True)

    restarted = Database(DatabaseSettings(url=SecretStr(migrated_db)))
    try:
        async with spapi_client(standin, sellers) as client:
            assert await sender(restarted, client).tick() == 2
            rows = await solicitation_rows(restarted, [queued, dropped])
            statuses = sorted(row.status for row in rows.values())
            assert statuses == ["sent", "unknown"]
            for _ in range(2):  # later passes leave the unknown one alone
                assert await sender(restarted, client).tick() == 0
    finally:
        await restarted.dispose()
    assert sorted(s.order_id for s in state.solicitations if s.seller_id == seller) == sorted(
        [queued, dropped]
    )
    assert _posts(standin, seller) == 2


async def test_only_the_skips_amazon_allows_and_each_without_a_post(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers = new_sellers(state, 1)
    (seller,) = sellers
    now = datetime.now(UTC)
    earliest, latest = _due_now()
    cancelled, opted_out, expired, too_late = (new_order_id() for _ in range(4))
    state.add_order(cancelled, seller, earliest_delivery=earliest, latest_delivery=latest)
    state.add_order(
        opted_out, seller, earliest_delivery=earliest, latest_delivery=latest, solicitation_allowed=False
    )
    old = now - 40 * D
    state.add_order(
        expired, seller, earliest_delivery=old, latest_delivery=now - 30 * D - timedelta(minutes=1)
    )
    await apply_context(
        db,
        order_change(seller, cancelled, earliest=earliest, latest=latest),
        order_change(seller, opted_out, earliest=earliest, latest=latest),
        # queued while the window was open (an hour ago); claimed only after it closed
        order_change(seller, expired, earliest=old, latest=now - 30 * D - timedelta(minutes=1)),
        now=now - timedelta(hours=1),
    )
    await apply_context(
        db,
        order_change(seller, cancelled, earliest=earliest, latest=latest, status="Canceled"),
        order_change(seller, too_late, earliest=old, latest=now - 31 * D),  # learnt about after the window
    )
    async with spapi_client(standin, sellers) as client:
        assert await sender(db, client).tick() == 2  # opted_out and expired; the others never became due
    rows = await solicitation_rows(db, [cancelled, opted_out, expired, too_late])
    reasons = {o: (r.status, (r.last_error or "").split(":")[0]) for o, r in rows.items()}
    assert reasons == {
        cancelled: ("skipped", "cancelled"),
        opted_out: ("skipped", "not_offered"),
        expired: ("skipped", "outside_window"),
        too_late: ("skipped", "outside_window"),
    }
    assert _posts(standin, seller) == 0
    asked = {r.seller_id for r in state.requests if r.operation == GET}
    assert seller in asked  # opted_out was looked up, and Amazon did not offer it
    assert not [s for s in state.solicitations if s.seller_id == seller]


async def _crash_after_the_claim_leaves_an_unknown_that_is_never_sent(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers = new_sellers(state, 1)
    (seller,) = sellers
    order = new_order_id()
    earliest, latest = _due_now()
    state.add_order(order, seller, earliest_delivery=earliest, latest_delivery=latest)
    await apply_context(db, order_change(seller, order, earliest=earliest, latest=latest))
    # A sender claimed it a minute ago and died before recording anything.
    async with unit_of_work(db) as session:
        claimed = await outbox_repo.claim_due(
            session,
            now=datetime.now(UTC) - timedelta(minutes=1),
            limit=10,
            per_seller=10,
            exclude=[],
            only=[seller],
        )
        assert [row.order_id for row in claimed] == [order]
    async with spapi_client(standin, sellers) as client:
        restarted = sender(db, client, replace(FAST, lease=timedelta(seconds=30)))
        assert await restarted.tick() == 0
    row = (await solicitation_rows(db, [order]))[order]
    assert (row.status, row.last_error) == ("unknown", outbox_repo.STALE)
    assert not [r for r in state.requests if r.seller_id == seller and r.operation in (GET, POST)]


async def _new_delivery_dates_move_a_pending_request(db: Database) -> None:
    seller, order = "A2XRESCHEDULE", new_order_id()
    earliest = datetime.now(UTC) + 2 * D
    await apply_context(db, order_change(seller, order, earliest=earliest), only=frozenset({"A2XOTHER"}))
    assert await solicitation_rows(db, [order]) == {}  # a seller not opted in is never asked
    await apply_context(db, order_change(seller, order, earliest=earliest), only=frozenset({seller}))
    first = (await solicitation_rows(db, [order]))[order]
    assert (first.status, first.not_before) == ("pending", earliest + DAY * D)
    later = earliest + 3 * D
    await apply_context(db, order_change(seller, order, earliest=later, latest=later + D))
    moved = (await solicitation_rows(db, [order]))[order]
    assert (moved.id, moved.status, moved.not_before, moved.expires_at) == (
        first.id,
        "pending",
        later + DAY * D,
        later + D + 30 * D,
    )
