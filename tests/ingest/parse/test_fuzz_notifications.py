"""Fuzz the SP-API notification parser from Amazon's official examples and the repo fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ingest.parse.envelopes import SpApiNotification, decode_document
from services.ingest.parse.fields import parse_timestamp
from services.ingest.parse.notifications import parse_notification, report_ready
from shared.errors import ValidationError
from shared.events import AmazonEvent, SignalSource
from tests import reference
from tests.ingest.parse.fuzz_support import FUZZ, check_event, json_mutant, official_notifications, run_parser
from tests.ingest.parse.support import RECEIVED_AT, eventbridge_event, recase


@pytest.fixture(scope="module")
def notifications() -> list[dict[str, Any]]:
    """Every official example and fixture, in its own casing and re-cased both ways."""
    docs = official_notifications()
    return [*docs, *(recase(doc, "camel") for doc in docs), *(recase(doc, "pascal") for doc in docs)]


def _parse(doc: Any, seller: str | None) -> AmazonEvent | None:
    event = run_parser(
        "notifications",
        lambda: parse_notification(
            doc,
            source=SignalSource.SQS,
            received_at=RECEIVED_AT,
            correlation_id="fuzz",
            default_seller_id=seller,
        ),
    )
    if event is not None:
        check_event(event)
        run_parser("report_ready", lambda: report_ready(event))
    return event


@FUZZ
@given(data=st.data(), seller=st.sampled_from([None, "SELLERFUZZ"]))
def test_mutated_notifications_give_events_or_classified_errors(
    notifications: list[dict[str, Any]], data: st.DataObject, seller: str | None
) -> None:
    _parse(data.draw(json_mutant(notifications)), seller)


@FUZZ
@given(data=st.data())
def test_mutated_eventbridge_events_give_events_or_classified_errors(
    notifications: list[dict[str, Any]], data: st.DataObject
) -> None:
    doc = data.draw(json_mutant([eventbridge_event(doc) for doc in notifications]))
    envelope = run_parser("envelopes", lambda: decode_document(doc))
    if isinstance(envelope, SpApiNotification):
        _parse(envelope.document, "SELLERFUZZ")


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_timestamp_outside_the_utc_range_is_a_validation_error(stamp: str) -> None:
    # Regression: converting these to UTC overflowed (OverflowError), an unclassified crash.
    with pytest.raises(ValidationError, match="out of range"):
        parse_timestamp(stamp, field="EventTime")


def test_notification_with_an_unconvertible_event_time_is_rejected(
    notifications: list[dict[str, Any]],
) -> None:
    doc = {**notifications[0], "EventTime": "0001-01-01T00:00:00+14:00"}
    assert _parse(doc, "SELLERFUZZ") is None


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_reference_folder_fails_under_ci_and_skips_locally(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(reference, "REFERENCE_ROOT", tmp_path / "no-shared")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="reference material missing"):
        official_notifications()
