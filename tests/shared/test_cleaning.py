"""Outside text made storable: the cleaning functions, the event models that use them, JSONB writes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import select

from services.classifier.tables import ClassifierOrderRow
from shared.cleaning import MAX_JSON_DEPTH, bound_key, clean_json, clean_line, clean_text, storable_json
from shared.db.session import Database, unit_of_work
from shared.events import ComplaintSignalReceived, NotificationReceived, OrderContextUpdated
from shared.settings import DatabaseSettings

_JUNK = {chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))}


def _storable(text: str) -> bool:
    text.encode("utf-8")  # no lone surrogate
    return "\x00" not in text


@given(st.text(alphabet=st.characters(codec=None)))
def test_clean_text_keeps_newlines_and_tabs_only(value: str) -> None:
    cleaned = clean_text(value)
    assert _storable(cleaned)
    assert not set(cleaned) & _JUNK
    assert "\r" not in cleaned
    assert clean_text(cleaned) == cleaned


@given(st.text(alphabet=st.characters(codec=None)))
def test_clean_line_is_one_line(value: str) -> None:
    cleaned = clean_line(value)
    assert _storable(cleaned)
    assert not set(cleaned) & (_JUNK | {"\n", "\t", "\r"})


def test_lone_surrogates_go_and_pairs_stay() -> None:
    assert clean_text("a\udcff b \U0001f600") == "a b \U0001f600"


@given(st.text(min_size=0, max_size=700), st.integers(min_value=80, max_value=600))
def test_bound_key_fits_and_is_deterministic(value: str, limit: int) -> None:
    bounded = bound_key(value, limit)
    assert len(bounded) <= limit
    assert bounded == bound_key(value, limit)
    if len(value) <= limit:
        assert bounded == value


def test_bound_key_keeps_distinct_keys_distinct() -> None:
    head = "email:<" + "x" * 600
    assert bound_key(head + "1>", 512) != bound_key(head + "2>", 512)


def _nested(depth: int) -> Any:
    doc: Any = "leaf\x00"
    for _ in range(depth):
        doc = {"k\x00": [doc]}
    return doc


def test_clean_json_cleans_keys_and_values_and_cuts_deep_nesting() -> None:
    assert clean_json({"a\x00": ["b\x00\r\n", 1, None, {"c": "\x07d"}]}) == {
        "a": ["b\n", 1, None, {"c": "d"}]
    }
    cut = clean_json(_nested(5_000))
    depth = 0
    while isinstance(cut, dict):
        (cut,) = cut["k"]
        depth += 2
    assert cut == "[nested too deep]"
    assert depth <= MAX_JSON_DEPTH + 2


def test_storable_json_strips_only_what_jsonb_refuses() -> None:
    assert storable_json({"a\x00": ["b\x00\t\udc80c"]}) == {"a": ["b\tc"]}


def _envelope() -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": datetime.now(UTC),
        "seller_id": "S1\x00",
        "correlation_id": "c\x00",
        "dedup_key": "email:<a\x00@b>",
        "source": "email",
    }


def test_every_string_of_a_signal_is_cleaned() -> None:
    nul = "x\x00\udc80y"
    strings = [
        "text", "subject", "language_hint", "buyer_alias", "buyer_name", "reply_to", "recipient",
        "message_id", "in_reply_to", "case_id", "notice_type", "asin", "sku", "item_title",
        "return_reason_code", "return_reason",
    ]  # fmt: skip
    event = ComplaintSignalReceived(
        **_envelope(),
        kind="buyer_message",
        **dict.fromkeys(strings, nul),
        currency="E\x00U",
        references=(nul,),
        attachments=("inv\x00oice.pdf",),
        details={"k\x00": nul},
    )
    doc = event.model_dump(mode="json")
    assert "\x00" not in str(doc)
    assert doc["asin"] == "xy"
    assert doc["attachments"] == ["invoice.pdf"]
    assert doc["seller_id"] == "S1"
    assert doc["details"] == {"k": "xy"}
    # what the model produced validates again unchanged (consumers decode it)
    assert ComplaintSignalReceived.model_validate(doc) == event


@pytest.mark.parametrize(
    ("field", "value"),
    [("asin", "B" * 17), ("currency", "EURO"), ("sku", "s" * 65), ("order_id", "1" * 33)],
)
def test_an_identifier_over_its_column_is_refused_by_the_model(field: str, value: str) -> None:
    with pytest.raises(ValueError, match="at most"):
        ComplaintSignalReceived(**_envelope(), kind="buyer_message", **{field: value})


def test_keys_and_text_are_bounded_not_refused() -> None:
    event = ComplaintSignalReceived(
        **{**_envelope(), "dedup_key": "email:" + "m" * 600},
        kind="buyer_message",
        message_id="<" + "m" * 600 + ">",
        text="t" * 50_000,
        references=[f"<{i}@x>" for i in range(80)],
    )
    assert len(event.dedup_key) == 512
    assert event.message_id is not None
    assert len(event.message_id) == 512
    assert len(event.text) == 32_000
    assert event.references[-1] == "<79@x>"
    assert len(event.references) == 50


def test_notification_payloads_are_cleaned() -> None:
    envelope = {**_envelope(), "source": "sqs"}
    event = NotificationReceived(**envelope, notification_type="X", payload=_nested(100))
    assert "\x00" not in event.model_dump_json()
    context = OrderContextUpdated(**envelope, notification_type="ORDER_CHANGE", details={"a": "b\x00"})
    assert context.details == {"a": "b"}


@pytest_asyncio.fixture
async def db(migrated_db: str) -> AsyncIterator[Database]:
    database = Database(DatabaseSettings(url=SecretStr(migrated_db)))
    yield database
    await database.dispose()


@pytest.mark.integration
async def test_a_jsonb_document_with_nul_is_stored_without_it(db: Database) -> None:
    async with unit_of_work(db) as session:
        session.add(ClassifierOrderRow(seller_id="S1", order_id="O1", tracking_milestones=["DELIVE\x00RED"]))
    async with unit_of_work(db) as session:
        stored = (await session.execute(select(ClassifierOrderRow.tracking_milestones))).scalar_one()
    assert stored == ["DELIVERED"]
