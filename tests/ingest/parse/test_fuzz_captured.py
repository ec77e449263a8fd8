"""Fuzz the offline auto-detecting parser (``complaints parse``): it collects failures and never raises."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ingest.parse.captured import CapturedResult, ParseOptions, parse_captured
from tests.ingest.parse.fuzz_support import (
    FUZZ,
    bytes_mutant,
    check_event,
    deep_json_text,
    fixture_bytes,
    official_notifications,
    run_parser,
    shared_mail_examples,
)
from tests.ingest.parse.support import RECEIVED_AT

_NAMES = ["input", "mail.eml", "body.json", "report.tsv", "report.xml.gz"]


@pytest.fixture(scope="module")
def captures() -> list[bytes]:
    """Every kind of payload the command auto-detects: SQS/SNS/SES bodies, notifications, mails, reports."""
    found = [text.encode() for text in shared_mail_examples()]
    found += [json.dumps(doc).encode() for doc in official_notifications()]
    found.append(
        json.dumps({"Messages": [{"Body": json.dumps(doc)} for doc in official_notifications()[:3]]}).encode()
    )
    found += fixture_bytes("mail", ".eml") + fixture_bytes("reports", ".tsv", ".tsv.gz", ".xml")
    return found


def _capture(data: bytes, name: str, seller: str | None) -> CapturedResult | None:
    options = ParseOptions(received_at=RECEIVED_AT, correlation_id="fuzz", seller_id=seller)
    result = run_parser("captured", lambda: parse_captured(data, name=name, options=options))
    for event in result.events if result is not None else ():
        check_event(event)
    return result


@FUZZ
@given(data=st.data(), name=st.sampled_from(_NAMES), seller=st.sampled_from([None, "SELLERFUZZ"]))
def test_mutated_captures_never_raise(
    captures: list[bytes], data: st.DataObject, name: str, seller: str | None
) -> None:
    _capture(data.draw(bytes_mutant(captures)), name, seller)


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from(_NAMES))
def test_arbitrary_bytes_never_raise(data: bytes, name: str) -> None:
    _capture(data, name, "SELLERFUZZ")


@pytest.mark.parametrize("opener", ["[", "{"])
def test_deeply_nested_json_capture_is_reported_not_raised(opener: str) -> None:
    # Regression: json.loads raised RecursionError, which parse_captured let escape.
    result = _capture(deep_json_text(100_000, opener).encode(), "body.json", "SELLERFUZZ")
    assert result is not None
    assert not result.events
    assert result.errors
    assert "nested too deeply" in result.errors[0]
