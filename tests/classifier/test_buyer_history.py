"""Buyer history in PostgreSQL feeds the abusive-returner score; returns after long use are recorded."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import select

from services.classifier.engine import Classifier
from services.classifier.handlers import ClassifierDeps, handle_batch
from services.classifier.settings import ClassifierSettings
from services.classifier.tables import BuyerEventRow
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.decoding import decode_amazon_event
from shared.demo.signals import complaint_signal
from shared.events import (
    ComplaintClassified,
    ComplaintSignalReceived,
    EventBase,
    OrderContextUpdated,
    SignalKind,
    SignalSource,
)
from shared.kafka.codec import EventCodec
from shared.kafka.typed import decode_records
from shared.settings import DatabaseSettings
from shared.topics import AMAZON_EVENTS

pytestmark = pytest.mark.integration

SELLER = "A2HISTORY"
ALIAS = "repeatreturner@marketplace.amazon.com"
NOW = datetime.now(UTC)
CODEC = EventCodec(PiiCipher("buyer-history-pii-key"))


class _Record:
    def __init__(self, event: EventBase) -> None:
        self.topic, self.partition, self.offset, self.key, self.timestamp = AMAZON_EVENTS, 0, 0, None, 0
        self.value: bytes | None = CODEC.encode(event)  # the wire form ingest produces
        self.headers: Sequence[tuple[str, bytes]] = ()


class _Producer:
    def __init__(self) -> None:
        self.out: list[ComplaintClassified] = []

    async def publish_many(self, topic: str, events: Sequence[Any]) -> None:
        self.out.extend(events)


@pytest_asyncio.fixture
async def db(migrated_db: str) -> AsyncIterator[Database]:
    database = Database(DatabaseSettings(url=SecretStr(migrated_db)))
    yield database
    await database.dispose()


def _order(order: str, delivered: datetime) -> OrderContextUpdated:
    return OrderContextUpdated(
        event_id=uuid.uuid4(),
        occurred_at=delivered,
        seller_id=SELLER,
        order_id=order,
        dedup_key=f"ctx:{uuid.uuid4().hex}",
        correlation_id="c",
        source=SignalSource.SQS,
        notification_type="ORDER_CHANGE",
        order_status="Shipped",
        latest_delivery_date=delivered,
    )


def _return(
    order: str, text: str, *, at: datetime = NOW, reason: str = "defective"
) -> ComplaintSignalReceived:
    return complaint_signal(
        seller_id=SELLER,
        order_id=order,
        text=text,
        buyer_alias=ALIAS,
        kind=SignalKind.RETURN_REQUEST,
        occurred_at=at,
        marketplace_id=None,
        return_reason=reason,
    )


async def _apply(db: Database, events: Sequence[EventBase], producer: _Producer) -> None:
    deps = ClassifierDeps(
        classifier=Classifier.load(),
        producer=producer,  # type: ignore[arg-type]  # a recording fake: only publish_many is used
        settings=ClassifierSettings(buyer_hash_salt=SecretStr("salt"), long_use_days=60),
    )
    decoders = {AMAZON_EVENTS: partial(decode_amazon_event, codec=CODEC)}
    async with unit_of_work(db) as session:
        consumed = decode_records([_Record(e) for e in events], decoders)
        await handle_batch(consumed, session=session, deps=deps, now=NOW)


async def test_a_return_long_after_delivery_is_recorded_as_long_use(db: Database) -> None:
    producer = _Producer()
    await _apply(
        db,
        [
            _order("111-0000001-0000001", NOW - timedelta(days=90)),
            _order("111-0000002-0000002", NOW - timedelta(days=10)),
            _return("111-0000001-0000001", "It stopped working, I want to return it."),
            _return("111-0000002-0000002", "It stopped working, I want to return it."),
        ],
        producer,
    )
    async with db.sessions() as session:
        rows = {r.order_id: r for r in (await session.execute(select(BuyerEventRow))).scalars()}
    assert rows["111-0000001-0000001"].long_use is True
    assert rows["111-0000002-0000002"].long_use is False
    assert ALIAS not in {r.buyer_hash for r in rows.values()}  # hashed, never the alias
    # the event carries the same facts, so the responder keeps the same history without this table
    carried = {e.order_id: (e.buyer_hash, e.buyer_activity) for e in producer.out}
    for order_id, row in rows.items():
        buyer, activity = carried[order_id]
        assert activity is not None
        assert (buyer, activity.kind, activity.reason, activity.long_use) == (
            row.buyer_hash,
            row.kind,
            row.reason,
            row.long_use,
        )


async def test_history_of_many_returns_tags_abusive_returner_and_routes_to_a_human(db: Database) -> None:
    producer = _Producer()
    # eight returns in a month, the reasons contradicting each other (broken, then merely unwanted)
    history = [
        _return(
            f"222-{i:07d}-0000001",
            "Returning this.",
            at=NOW - timedelta(days=i + 1),
            reason="defective" if i % 2 else "buyer_remorse",
        )
        for i in range(8)
    ]
    await _apply(db, history, producer)
    first_verdicts = producer.out[:1]
    await _apply(db, [_return("333-0000001-0000001", "This one is broken too, refund please.")], producer)
    latest = producer.out[-1]
    names = {t.name for t in latest.tags}
    assert "abusive_returner" in names
    assert latest.auto_reply is False
    assert latest.abusive_score is not None
    assert any("abuse" in r.rule_id for r in latest.reasons)
    assert first_verdicts[0].abusive_score is None or first_verdicts[0].abusive_score < latest.abusive_score
