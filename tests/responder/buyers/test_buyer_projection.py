"""The responder keeps its own buyer history from ComplaintClassified, once per signal, in its transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import select

from services.responder.buyers.tables import BuyerHistoryRow
from services.responder.handlers import ResponderDeps, handle_complaints
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderSettings
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.events import BuyerActivity, ComplaintClassified
from shared.settings import DatabaseSettings
from tests.responder.support import classified

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def db(migrated_db: str) -> AsyncIterator[Database]:
    database = Database(DatabaseSettings(url=SecretStr(migrated_db)))
    yield database
    await database.dispose()


async def _apply(db: Database, event: ComplaintClassified) -> None:
    deps = ResponderDeps(
        cipher=PiiCipher("test-key"),
        composer=ReplyComposer(responder=ResponderSettings()),
    )
    async with unit_of_work(db) as session:
        await handle_complaints([event], session=session, deps=deps, now=datetime.now(UTC))


async def _rows(db: Database, buyer_hash: str | None) -> list[BuyerHistoryRow]:
    async with db.sessions() as session:
        stmt = select(BuyerHistoryRow).where(BuyerHistoryRow.buyer_hash == buyer_hash)
        return list((await session.execute(stmt)).scalars())


async def test_a_classified_return_adds_one_row_even_when_delivered_twice(db: Database) -> None:
    activity = BuyerActivity(kind="return", reason="defective", long_use=True)
    event = classified(category="defective").model_copy(update={"buyer_activity": activity})
    await _apply(db, event)
    await _apply(db, event)  # a redelivery past the processed-event keys still adds nothing twice
    (row,) = await _rows(db, event.buyer_hash)
    assert (row.event_id, row.seller_id, row.order_id) == (
        event.signal.event_id,
        event.seller_id,
        event.order_id,
    )
    assert (row.kind, row.reason, row.long_use, row.occurred_at) == (
        "return",
        "defective",
        True,
        event.signal.occurred_at,
    )


async def test_an_event_without_buyer_activity_adds_nothing(db: Database) -> None:
    event = classified(category="none")  # as an older classifier, or a signal that is no complaint
    await _apply(db, event)
    assert await _rows(db, event.buyer_hash) == []
