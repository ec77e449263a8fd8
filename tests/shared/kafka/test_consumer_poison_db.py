"""The consumer loop on the real broker with a handler writing to the real PostgreSQL.

A record the database refuses (NUL in text, a value past its column, a violated constraint) is dead-lettered
with the database's reason instead of being retried forever; a record failing with an unknown error is
dead-lettered as "retries exhausted" after the configured rounds; the records around them are applied.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.ingest.tables import IngestSeen
from shared.db.session import Database, unit_of_work
from shared.kafka.consumer import ConsumerLoop, Record, header
from shared.kafka.producer import EventProducer
from shared.settings import DatabaseSettings, KafkaSettings
from shared.topics import dlq
from tests.shared.kafka.kafka_helpers import drain, fresh_topic

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def db(migrated_db: str) -> AsyncIterator[Database]:
    database = Database(DatabaseSettings(url=SecretStr(migrated_db)))
    yield database
    await database.dispose()


async def _run(
    kafka_bootstrap: str, topic: str, db: Database, *, expect: set[str], settings: KafkaSettings
) -> None:
    producer = EventProducer(settings)
    await producer.start()

    async def handler(records: Sequence[Record]) -> None:
        async with unit_of_work(db) as session:
            for r in records:
                assert r.value is not None
                key = r.value.decode("utf-8", errors="surrogateescape")
                if key == "bug":
                    raise LookupError("a bug in the handler")
                event_id = None if key == "no-event-id" else uuid.uuid4()  # NOT NULL column
                await session.execute(
                    insert(IngestSeen).values(dedup_key=key, event_id=event_id, source="test")
                )

    loop = ConsumerLoop(
        settings=settings, group_id=f"g-{topic}", topics=[topic], handler=handler, producer=producer
    )
    task = asyncio.create_task(loop.run())
    try:
        async with asyncio.timeout(60):
            while True:
                async with unit_of_work(db) as session:
                    stored = set((await session.execute(select(IngestSeen.dedup_key))).scalars())
                if stored >= expect:
                    break
                assert not task.done()
                await asyncio.sleep(0.1)
    finally:
        loop.stop()
        await task
        await producer.stop()


async def test_records_the_database_refuses_are_dead_lettered_with_its_reason(
    kafka_bootstrap: str, db: Database
) -> None:
    topic = await fresh_topic(kafka_bootstrap)
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, retry_backoff_s=0.01, retry_attempts=2)
    raw = EventProducer(settings)
    await raw.start()
    try:
        for value in (
            b"ok-1",
            b"nul\x00key",
            b"ok-2",
            b"x" * 513,
            b"ok-3",
            b"\xff\xfe",
            b"no-event-id",
            b"ok-4",
        ):
            await raw.send_raw(topic, key=b"k", value=value)
    finally:
        await raw.stop()

    await _run(kafka_bootstrap, topic, db, expect={"ok-1", "ok-2", "ok-3", "ok-4"}, settings=settings)

    dead = await drain(kafka_bootstrap, [dlq(topic)], expect=4)
    reasons = {r.value: (header(r, "dlq.error"), header(r, "dlq.reason")) for r in dead}
    assert reasons[b"nul\x00key"][0] == "PermanentError:db_data"
    assert "0x00" in (reasons[b"nul\x00key"][1] or "")
    assert reasons[b"x" * 513][0] == "PermanentError:db_data"
    assert "too long" in (reasons[b"x" * 513][1] or "")
    assert reasons[b"no-event-id"][0] == "PermanentError:db_integrity"
    # bytes that are not UTF-8 became lone surrogates, which no driver can encode
    assert reasons[b"\xff\xfe"][0] in ("ValidationError:encoding", "PermanentError:db_data")


async def test_an_unknown_error_ends_on_the_dead_letter_topic_after_the_redelivery_limit(
    kafka_bootstrap: str, db: Database
) -> None:
    topic = await fresh_topic(kafka_bootstrap)
    settings = KafkaSettings(
        bootstrap_servers=kafka_bootstrap,
        retry_backoff_s=0.01,
        retry_backoff_max_s=0.02,
        retry_attempts=1,
        max_redeliveries=2,
    )
    raw = EventProducer(settings)
    await raw.start()
    try:
        for value in (b"a", b"bug", b"b"):
            await raw.send_raw(topic, key=b"k", value=value)
    finally:
        await raw.stop()

    await _run(kafka_bootstrap, topic, db, expect={"a", "b"}, settings=settings)

    (dead,) = await drain(kafka_bootstrap, [dlq(topic)], expect=1)
    assert dead.value == b"bug"
    assert header(dead, "dlq.reason") == "retries exhausted after 3 rounds: LookupError"
