"""A 429 storm delays proactive replies but every one is sent exactly once, for many tickets and sellers."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import timedelta

import pytest

from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports.messaging import MessagingTransport
from shared.db.session import Database
from shared.spapi.calls import RetryPolicy
from shared.stack.spapi_standin import StandinHandle
from tests.responder.exactly_once_support import (
    CIPHER,
    defective_orders,
    deps,
    eventually,
    new_sellers,
    outbox_rows,
    spapi_client,
)

pytestmark = pytest.mark.integration

SELLERS = 6
TICKETS_PER_SELLER = 5
STORM = 40  # 429s for whatever comes next, LWA included
SEND_STORM = 15  # and then for the sends themselves


async def test_a_429_storm_delays_replies_but_sends_each_exactly_once(
    db: Database, standin: StandinHandle
) -> None:
    state = standin.state
    sellers = new_sellers(state, SELLERS)
    orders = await defective_orders(db, state, sellers, TICKETS_PER_SELLER)
    start = len(state.requests)
    state.inject("status", status=429, count=STORM)
    state.inject("status", status=429, count=SEND_STORM, operation="createUnexpectedProblem")

    # Short client retries and sender backoff: the storm outlasts the client's own retries, so rows go back
    # to 'pending' and are claimed again, several times.
    retry = RetryPolicy(max_attempts=2, base_delay_s=0.02, max_delay_s=0.1)
    config = SenderConfig(
        poll_interval_s=0.05, backoff_s=0.05, backoff_max_s=0.3, max_attempts=1, lease=timedelta(minutes=5)
    )
    stop = asyncio.Event()
    async with spapi_client(standin, sellers, retry=retry) as client:
        transport = MessagingTransport(client, deps().composer)
        sender = OutboxSender(db=db, transports={"messaging": transport}, cipher=CIPHER, config=config)
        running = asyncio.create_task(sender.run(stop))
        try:

            async def statuses() -> Counter[str]:
                async with db.sessions() as session:
                    return Counter(r.status for r in await outbox_rows(session, seller_ids=sellers))

            final: Counter[str] = await eventually(
                statuses, until=lambda c: c["sent"] == len(orders), within=90
            )
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await running

    assert final == Counter({"sent": len(orders)})
    assert state.faults == []  # the whole storm was served
    throttled = [r for r in state.requests[start:] if r.status == 429]
    assert len(throttled) >= STORM + SEND_STORM
    per_order = Counter(m.order_id for m in state.messages if m.order_id in orders)
    assert per_order == Counter(dict.fromkeys(orders, 1))
    async with db.sessions() as session:
        rows = await outbox_rows(session, seller_ids=sellers)
    # max_attempts=1 would have failed them: a 429 never counts as giving up
    assert max(r.attempts for r in rows) > config.max_attempts
