"""Every event string is bounded, and by no more than the database columns it is stored in hold.

The columns come from the SQLAlchemy metadata (complaints/db/tables.py), the bounds from the models' JSON Schema,
so a future narrower column or a new unbounded field fails here instead of stalling a partition in production.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, get_args

import pydantic
import pytest
from sqlalchemy import String

from complaints.db import tables
from services.responder.tickets.threads import THREAD_KEY_MAX, thread_key
from shared.db.idempotency import DEDUP_KEY_MAX, derived_key
from shared.events import (
    AccountHealthReported,
    AsinComplaintSpikeDetected,
    ComplaintClassified,
    ComplaintSignalReceived,
    EventBase,
    NotificationReceived,
    OdrThresholdCrossed,
    OrderContextUpdated,
    Priority,
    Reason,
    SellerAccountStatusChanged,
    SignalKind,
    SignalSource,
    SlaAlertRaised,
    Tag,
)

MODELS: tuple[type[pydantic.BaseModel], ...] = (
    ComplaintSignalReceived,
    OrderContextUpdated,
    SellerAccountStatusChanged,
    NotificationReceived,
    ComplaintClassified,
    SlaAlertRaised,
    AccountHealthReported,
    AsinComplaintSpikeDetected,
    OdrThresholdCrossed,
    Tag,
    Reason,
)
# Wire-only fields never stored as such (the codec's sealed PII, opened before anything is written).
UNSTORED = {"pii_sealed"}
# Where a field is stored under another name (same names are matched automatically, across all tables).
RENAMED: dict[tuple[type[pydantic.BaseModel], str], list[str]] = {
    (ComplaintSignalReceived, "message_id"): ["tickets.last_message_id"],
    (ComplaintSignalReceived, "return_reason"): ["classifier_buyer_events.reason"],
    (SellerAccountStatusChanged, "current_status"): ["classifier_seller_status.status"],
}


def _string_columns() -> dict[str, dict[str, int]]:
    """column name -> {"table.column": length} of every bounded string column."""
    out: dict[str, dict[str, int]] = {}
    for table in tables.Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, String) and column.type.length is not None:
                out.setdefault(column.name, {})[f"{table.name}.{column.name}"] = column.type.length
    return out


def _is_decimal(model: type[pydantic.BaseModel], name: str) -> bool:
    annotation = model.model_fields[name].annotation
    return annotation is Decimal or Decimal in get_args(annotation)


def _string_bounds(prop: dict[str, Any]) -> list[int | None]:
    """maxLength of every free string this schema property can hold (items of arrays included)."""
    if "anyOf" in prop:
        return [b for variant in prop["anyOf"] for b in _string_bounds(variant)]
    if prop.get("type") == "array":
        return _string_bounds(prop.get("items", {}))
    if prop.get("type") != "string" or "const" in prop or "enum" in prop or "format" in prop:
        return []
    return [prop.get("maxLength")]


def _fields() -> list[tuple[type[pydantic.BaseModel], str, int | None]]:
    out = []
    for model in MODELS:
        for name, prop in model.model_json_schema()["properties"].items():
            if name in UNSTORED or _is_decimal(model, name):
                continue
            out += [(model, name, bound) for bound in _string_bounds(prop)]
    return out


@pytest.mark.parametrize(("model", "name", "bound"), _fields(), ids=lambda v: getattr(v, "__name__", str(v)))
def test_every_string_field_is_bounded(model: type[pydantic.BaseModel], name: str, bound: int | None) -> None:
    assert bound is not None, f"{model.__name__}.{name} has no max_length"


def test_every_stored_field_fits_its_columns() -> None:
    columns = _string_columns()
    checked: list[str] = []
    too_wide: list[str] = []
    for model, name, bound in _fields():
        assert bound is not None
        targets = dict(columns.get(name, {}))
        for target in RENAMED.get((model, name), []):
            targets[target] = next(v[target] for v in columns.values() if target in v)
        for target, length in targets.items():
            checked.append(f"{model.__name__}.{name} -> {target}")
            if bound > length:
                too_wide.append(f"{model.__name__}.{name} max_length {bound} > {target} varchar({length})")
    assert not too_wide, "\n".join(too_wide)
    # the comparison saw the columns the reviewer found too narrow
    for expected in ("asin -> tickets.asin", "currency -> order_context.currency", "message_id -> tickets"):
        assert any(expected in line for line in checked), expected


def test_the_dedup_key_fits_the_ledger_and_derived_keys_stay_within_it() -> None:
    (width,) = _string_columns()["dedup_key"].values()
    assert EventBase.model_json_schema()["properties"]["dedup_key"]["maxLength"] == width == DEDUP_KEY_MAX
    for length in (496, 500, 506, 512, 2000):
        key = "email:" + "m" * (length - 6)
        derived = derived_key("classified:", key)
        assert len(derived) <= DEDUP_KEY_MAX
        assert derived == derived_key("classified:", key)  # deterministic: same event id on redelivery
    assert derived_key("classified:", "a" * 600) != derived_key("classified:", "a" * 601)
    assert derived_key("classified:", "email:<x@y>") == "classified:email:<x@y>"


def _classified(**signal: Any) -> ComplaintClassified:
    now = datetime.now(UTC)
    envelope: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": now,
        "seller_id": "S1",
        "correlation_id": "c",
        "source": SignalSource.EMAIL,
    }
    s = ComplaintSignalReceived(
        **envelope, dedup_key=signal.pop("dedup_key", "k"), kind=SignalKind.BUYER_MESSAGE, **signal
    )
    return ComplaintClassified(
        **envelope,
        dedup_key=derived_key("classified:", s.dedup_key),
        signal=s,
        category="none",
        confidence=0.5,
        priority=Priority.P3,
        model_version="m",
    )


@pytest.mark.parametrize(
    "signal",
    [{"dedup_key": "email:" + "x" * 506}, {"case_id": "9" * 64}, {"order_id": "1" * 32}],
    ids=["signal", "case", "order"],
)
def test_thread_keys_fit_their_column(signal: dict[str, Any]) -> None:
    (width,) = _string_columns()["thread_key"].values()
    assert width == THREAD_KEY_MAX
    assert len(thread_key(_classified(**signal))) <= width
