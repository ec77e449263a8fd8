"""The dedup ledger and publish_new on the real PostgreSQL and broker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from services.ingest import repository
from services.ingest.publisher import publish_new
from services.ingest.repository import SeenRow
from shared.db.session import Database, unit_of_work
from shared.errors import RetryableError
from shared.events import NotificationReceived, SignalSource, event_id_for
from shared.kafka.producer import EventProducer
from tests.ingest.fakes import UnackedProducer
from tests.ingest.kafka_read import read_all
from tests.ingest.support import Topics

pytestmark = pytest.mark.integration


def _event(key: str) -> NotificationReceived:
    return NotificationReceived(
        event_id=event_id_for(key),
        occurred_at=datetime.now(UTC),
        seller_id="A3TESTSELLER",
        dedup_key=key,
        correlation_id="test",
        source=SignalSource.SQS,
        notification_type="ANY_OFFER_CHANGED",
    )


async def test_remember_inserts_only_new_keys_and_seen_finds_them(ingest_db: Database) -> None:
    a, b, c, unknown = (f"test:{uuid.uuid4()}" for _ in range(4))
    rows = [SeenRow(key, event_id_for(key), "sqs") for key in (a, b)]
    async with unit_of_work(ingest_db) as session:
        assert await repository.remember(session, rows) == {a, b}
    async with unit_of_work(ingest_db) as session:
        assert await repository.remember(session, [*rows, SeenRow(c, uuid.uuid4(), "sqs")]) == {c}
        assert await repository.seen(session, [a, c, unknown]) == {a, c}


async def test_concurrent_publishers_of_one_key_produce_one_record(
    ingest_db: Database, producer: EventProducer, topics: Topics, kafka_bootstrap: str
) -> None:
    key = f"spapi:{uuid.uuid4()}"

    results = await asyncio.gather(
        *(publish_new([_event(key)], db=ingest_db, producer=producer, topic=topics.events) for _ in range(10))
    )

    assert sum(len(result.published) for result in results) == 1
    assert all(result.event_ids == [str(event_id_for(key))] for result in results)
    assert len(await read_all(kafka_bootstrap, topics.events)) == 1


async def test_a_failed_publish_leaves_no_ledger_row(
    ingest_db: Database, producer: EventProducer, topics: Topics, kafka_bootstrap: str
) -> None:
    event = _event(f"spapi:{uuid.uuid4()}")

    with pytest.raises(RetryableError):
        await publish_new([event], db=ingest_db, producer=UnackedProducer(producer), topic=topics.events)

    async with unit_of_work(ingest_db) as session:
        assert await repository.seen(session, [event.dedup_key]) == set()
    retried = await publish_new([event, event], db=ingest_db, producer=producer, topic=topics.events)
    assert [e.dedup_key for e in retried.published] == [event.dedup_key]
    assert len(retried.skipped) == 1
    assert len(await read_all(kafka_bootstrap, topics.events)) == 1
