"""classify_failure on errors a real PostgreSQL and pydantic raise: data errors are permanent, outages not."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pydantic
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.errors import PermanentError, RetryableError, ValidationError, classify_failure
from shared.events import SellerAccountStatusChanged

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def engine(migrated_db: str) -> AsyncIterator[AsyncEngine]:
    e = create_async_engine(migrated_db)
    yield e
    await e.dispose()


async def _failure(engine: AsyncEngine, sql: str, **params: object) -> BaseException:
    with pytest.raises(Exception) as info:  # noqa: PT011  # which class is what this test is about
        async with engine.begin() as conn:
            await conn.execute(text(sql), params)
    return info.value


@pytest.mark.parametrize(
    ("sql", "params", "code"),
    [
        # a Message-ID over the column width (StringDataRightTruncationError)
        (
            "insert into ingest_seen (dedup_key, event_id, source) values (:k, :i, 'email')",
            {"k": "x" * 513, "i": uuid.uuid4()},
            "db_data",
        ),
        # NUL in text (CharacterNotInRepertoireError)
        (
            "insert into ingest_seen (dedup_key, event_id, source) values (:k, :i, 'email')",
            {"k": "a\x00b", "i": uuid.uuid4()},
            "db_data",
        ),
        # NUL in JSONB (UntranslatableCharacterError)
        ("select cast(:doc as jsonb)", {"doc": '{"file": "a\\u0000.pdf"}'}, "db_data"),
        # a NOT NULL column left empty (NotNullViolationError)
        (
            "insert into ingest_seen (dedup_key, event_id, source) values (:k, null, 'email')",
            {"k": "n"},
            "db_integrity",
        ),
    ],
    ids=["too-long", "nul-text", "nul-jsonb", "not-null"],
)
async def test_database_data_errors_are_permanent(
    engine: AsyncEngine, sql: str, params: dict[str, object], code: str
) -> None:
    failure = await _failure(engine, sql, **params)
    known = classify_failure(failure)
    assert isinstance(known, PermanentError)
    assert known.code == code
    assert "[parameters" not in str(known)  # the reason names the problem, not the values


async def test_the_reason_does_not_echo_the_refused_value(engine: AsyncEngine) -> None:
    failure = await _failure(engine, "select cast(cast(:v as text) as uuid)", v="jane.buyer@example.net")
    known = classify_failure(failure)
    assert isinstance(known, PermanentError)
    assert known.code == "db_data"
    assert "invalid input syntax for type uuid" in str(known)
    assert "jane" not in str(known)


async def test_a_unique_violation_is_left_to_the_redelivery_limit(engine: AsyncEngine) -> None:
    sql = "insert into ingest_seen (dedup_key, event_id, source) values ('dup', :i, 'email')"
    async with engine.begin() as conn:
        await conn.execute(text(sql), {"i": uuid.uuid4()})
    failure = await _failure(engine, sql, i=uuid.uuid4())
    assert classify_failure(failure) is None  # a race clears on retry; a real duplicate ends on the DLQ


async def test_an_unreachable_database_is_retryable() -> None:
    e = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none", connect_args={"timeout": 2})
    try:
        failure = await _failure(e, "select 1")
    finally:
        await e.dispose()
    assert isinstance(classify_failure(failure), RetryableError)


def test_pydantic_validation_errors_are_validation_errors() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        SellerAccountStatusChanged.model_validate({"seller_id": ""})
    known = classify_failure(info.value)
    assert isinstance(known, ValidationError)
    assert "contract violated" in str(known)


def test_unknown_errors_stay_unknown() -> None:
    assert classify_failure(KeyError("bug")) is None
    assert isinstance(classify_failure(TimeoutError()), RetryableError)
