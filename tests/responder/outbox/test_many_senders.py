"""Three sender replicas on one database: one logical sender per seller, Amazon's rate and the budget hold."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import pytest

from services.responder.outbox.budget import BudgetPolicy
from services.responder.outbox.ownership import SellerOwnership
from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports.messaging import MessagingTransport
from shared.db.session import Database
from shared.stack.spapi_standin import StandinHandle
from tests.responder.exactly_once_support import (
    CIPHER,
    apply,
    defective_orders,
    deps,
    eventually,
    new_order_id,
    new_sellers,
    outbox_rows,
    spapi_client,
)
from tests.responder.support import classified

pytestmark = pytest.mark.integration

REPLICAS = 3
SELLERS = 3
TICKETS_PER_SELLER = 8
DAILY_LIMIT = 5


async def test_three_replicas_pace_each_seller_as_one_and_never_exceed_its_budget(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers = new_sellers(state, SELLERS)
    orders = await defective_orders(db, state, sellers, TICKETS_PER_SELLER)
    start = len(state.requests)
    config = SenderConfig(
        poll_interval_s=0.05,
        claim_gap_s=0.01,
        ownership_interval_s=0.1,
        budget=BudgetPolicy(limits=dict.fromkeys(sellers, DAILY_LIMIT)),
    )
    stop = asyncio.Event()
    async with AsyncExitStack() as stack:
        runs = []
        for _ in range(REPLICAS):  # each replica has its own SP-API client, so its own rate limiter
            client = await stack.enter_async_context(spapi_client(standin, sellers))
            sender = OutboxSender(
                db=db,
                transports={"messaging": MessagingTransport(client, deps().composer)},
                cipher=CIPHER,
                config=config,
                ownership=SellerOwnership(db, release_after_s=30.0),
            )
            runs.append(asyncio.create_task(sender.run(stop)))
        try:

            async def statuses() -> Counter[str]:
                async with db.sessions() as session:
                    return Counter(r.status for r in await outbox_rows(session, seller_ids=sellers))

            expected = Counter(
                {"sent": SELLERS * DAILY_LIMIT, "pending": SELLERS * (TICKETS_PER_SELLER - DAILY_LIMIT)}
            )
            await eventually(statuses, until=lambda c: c == expected, within=90)
            assert not any(run.done() for run in runs)
        finally:
            stop.set()
            for run in runs:
                with contextlib.suppress(Exception):
                    await run

    ours = [r for r in state.requests[start:] if r.seller_id in sellers]
    assert ours
    assert [r for r in ours if r.status == 429] == []  # Amazon's per-seller plan held with three replicas
    per_order = Counter(m.order_id for m in state.messages if m.order_id in orders)
    assert set(per_order.values()) == {1}  # nobody messaged twice
    per_seller = Counter(orders[o] for o in per_order)
    assert per_seller == Counter(dict.fromkeys(sellers, DAILY_LIMIT))  # the budget, exactly, never more
    async with db.sessions() as session:
        waiting = [r for r in await outbox_rows(session, seller_ids=sellers) if r.status == "pending"]
    assert all(r.not_before is not None and r.not_before > datetime.now(UTC) for r in waiting)


async def test_a_replica_gives_its_sellers_up_when_it_stops(db: Database) -> None:
    await apply(db, *(classified(seller_id=s, order_id=new_order_id()) for s in ("A2ONE", "A2TWO")))
    first, second = SellerOwnership(db), SellerOwnership(db)
    now = datetime.now(UTC)
    try:
        assert await first.refresh(busy=(), now=now, stale_before=now) == {"A2ONE", "A2TWO"}
        # a second replica finds both sellers taken: none is served twice
        assert await second.refresh(busy=(), now=now, stale_before=now) == set()
        await first.close()
        assert await second.refresh(busy=(), now=now, stale_before=now) == {"A2ONE", "A2TWO"}
    finally:
        await first.close()
        await second.close()
