"""The idempotency ledgers are pruned past a horizon that outlasts every redelivery, and no earlier."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from pydantic import SecretStr
from pydantic import ValidationError as SettingsError
from sqlalchemy import func, select, update

from services.ingest.ledger import prune_ledger
from services.ingest.settings import IngestSettings
from services.ingest.tables import IngestSeen
from services.responder.api.config import ApiSettings
from services.responder.workers.retention import run_retention
from shared.db.idempotency import ProcessedEvent, claim_events
from shared.db.session import Database, unit_of_work
from shared.settings import DatabaseSettings
from shared.topics import ALL_TOPICS, AMAZON_EVENTS, CLASSIFIED

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest_asyncio.fixture
async def db(migrated_db: str) -> AsyncIterator[Database]:
    database = Database(DatabaseSettings(url=SecretStr(migrated_db)))
    yield database
    await database.dispose()


async def _processed(db: Database, *, age_days: float, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    async with unit_of_work(db) as session:
        await claim_events(session, consumer="responder", event_ids=ids)
        await session.execute(
            update(ProcessedEvent)
            .where(ProcessedEvent.event_id.in_(ids))
            .values(processed_at=NOW - timedelta(days=age_days))
        )
    return ids


async def _processed_count(db: Database) -> int:
    async with unit_of_work(db) as session:
        return int((await session.execute(select(func.count(ProcessedEvent.event_id)))).scalar_one())


@pytest.mark.integration
async def test_the_retention_job_prunes_old_processed_keys_and_keeps_recent_ones(db: Database) -> None:
    old = await _processed(db, age_days=31, n=12)
    recent = await _processed(db, age_days=29, n=3)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_retention(
            db=db,
            retention_days=30,
            interval_s=3600,
            stop=stop,
            clock=lambda: NOW,
            batch=1,  # prunes 10 per transaction: the loop must go round until nothing is left
            processed_retention_days=30,
        )
    )
    try:
        async with asyncio.timeout(20):
            while True:
                if await _processed_count(db) <= len(recent):
                    break
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    async with unit_of_work(db) as session:
        left = set((await session.execute(select(ProcessedEvent.event_id))).scalars())
    assert left == set(recent)
    assert not left & set(old)


@pytest.mark.integration
async def test_ingest_prunes_old_dedup_keys(db: Database) -> None:
    async with unit_of_work(db) as session:
        for i, age in enumerate((100, 91, 89, 1)):
            session.add(
                IngestSeen(
                    dedup_key=f"k{i}",
                    event_id=uuid.uuid4(),
                    source="email",
                    first_seen_at=NOW - timedelta(days=age),
                )
            )
    assert await prune_ledger(db=db, now=NOW, retention_days=90, batch=1) == 2
    async with unit_of_work(db) as session:
        left = set((await session.execute(select(IngestSeen.dedup_key))).scalars())
    assert left == {"k2", "k3"}


def test_the_dedup_horizon_must_outlast_sqs_and_the_backfill_window() -> None:
    with pytest.raises(SettingsError, match="SEEN_RETENTION_DAYS"):
        IngestSettings(seen_retention_days=40, report_backfill_days=30)
    assert IngestSettings(seen_retention_days=45, report_backfill_days=30).seen_retention_days == 45
    assert IngestSettings().seen_retention_days > IngestSettings().report_backfill_days + 14


def test_the_processed_key_horizon_outlasts_the_input_topics() -> None:
    consumed = max(t.retention_hours for t in ALL_TOPICS if t.name in (AMAZON_EVENTS, CLASSIFIED))
    floor = next(
        m.ge for m in ApiSettings.model_fields["processed_events_retention_days"].metadata if hasattr(m, "ge")
    )
    assert floor * 24 > consumed
    with pytest.raises(SettingsError):
        ApiSettings(processed_events_retention_days=7)
