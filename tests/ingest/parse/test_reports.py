"""Returns and feedback reports: flat, XML, FBA and feedback, gzip and legacy charsets, per-row errors."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.ingest.parse.reports import (
    FBA_RETURNS,
    FEEDBACK,
    MFN_RETURNS_FLAT,
    MFN_RETURNS_XML,
    ReportParseResult,
    parse_report,
    sniff_report_type,
)
from shared.errors import ValidationError
from shared.events import SignalKind, SignalSource
from tests.ingest.parse.support import FIXTURES, RECEIVED_AT

REPORTS = FIXTURES / "reports"
US = "ATVPDKIKX0DER"


def _parse(data: bytes, **overrides: Any) -> ReportParseResult:
    options: dict[str, Any] = {
        "report_type": None,
        "seller_id": "A1TESTSELLER01",
        "received_at": RECEIVED_AT,
        "correlation_id": "corr-report",
        "marketplace_id": US,
    }
    options.update(overrides)
    return parse_report(data, **options)


def _read(name: str) -> bytes:
    return (REPORTS / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "report_type"),
    [
        ("mfn_returns_flat.tsv", MFN_RETURNS_FLAT),
        ("mfn_returns_flat_cp1252.tsv", MFN_RETURNS_FLAT),
        ("mfn_returns.xml", MFN_RETURNS_XML),
        ("fba_returns.tsv", FBA_RETURNS),
        ("fba_returns.tsv.gz", FBA_RETURNS),
        ("fba_returns_jp_sjis.tsv", FBA_RETURNS),
        ("feedback.tsv", FEEDBACK),
    ],
)
def test_sniffing(name: str, report_type: str) -> None:
    assert sniff_report_type(_read(name)) == report_type


def test_sniffing_unknown_text() -> None:
    assert sniff_report_type(b"sku\tprice\nA\t1\n") is None
    assert sniff_report_type(b"<html><body>no</body></html>") is None


def test_mfn_flat_returns() -> None:
    result = _parse(_read("mfn_returns_flat.tsv"))
    assert result.report_type == MFN_RETURNS_FLAT
    assert result.errors == ()
    first, second, third = result.events
    assert first.kind is SignalKind.RETURN_REPORT_ROW
    assert first.source is SignalSource.REPORT
    assert (first.order_id, first.asin, first.sku) == ("112-1000001-2000001", "B0TESTAB12", "TRS-09-BLK")
    assert (first.return_reason_code, first.return_reason) == ("CR-DEFECTIVE", "defective")
    assert (first.order_amount, first.currency, first.quantity) == (Decimal("89.99"), "USD", 1)
    assert first.occurred_at == datetime(2024, 5, 20, tzinfo=UTC)
    assert first.case_id == "DTESTRMA1"
    assert not first.a_to_z_claim
    assert (second.a_to_z_claim, second.return_reason, second.quantity) == (True, "not_received", 2)
    assert third.return_reason == "not_as_described"
    assert (first.marketplace_id, first.region, first.language_hint) == (US, "na", "en")


def test_windows_1252_report_with_decimal_commas() -> None:
    result = _parse(_read("mfn_returns_flat_cp1252.tsv"), marketplace_id="A1PA6795UKMFR9")
    (event,) = result.events
    assert event.item_title == "Standmixer 1200 W, Edelstahl – Geräuscharm"
    assert (event.order_amount, event.currency) == (Decimal("129.90"), "EUR")
    assert event.occurred_at == datetime(2024, 5, 15, tzinfo=UTC)
    assert event.return_reason == "defective"


def test_xml_returns_one_event_per_item() -> None:
    result = _parse(_read("mfn_returns.xml"))
    assert [event.sku for event in result.events] == ["TRS-09-BLK", "BTL-750", "BRUSH-01"]
    second = result.events[1]
    assert (second.a_to_z_claim, second.currency, second.order_amount) == (True, "USD", Decimal("45.00"))
    assert [event.return_reason for event in result.events] == [
        "defective",
        "not_as_described",
        "buyer_remorse",
    ]


def test_flat_and_xml_give_the_same_key_for_the_same_return() -> None:
    flat = _parse(_read("mfn_returns_flat.tsv")).events[0]
    xml = _parse(_read("mfn_returns.xml")).events[0]
    assert flat.dedup_key == xml.dedup_key
    assert flat.event_id == xml.event_id


def test_keys_are_stable_across_redownloads_and_distinct_per_row() -> None:
    for name in ("mfn_returns_flat.tsv", "mfn_returns.xml", "fba_returns.tsv", "feedback.tsv"):
        first = _parse(_read(name))
        again = _parse(_read(name), correlation_id="other", received_at=datetime.now(UTC))
        keys = [event.dedup_key for event in first.events]
        assert keys == [event.dedup_key for event in again.events]
        assert len(set(keys)) == len(keys)
        assert all(key.startswith("report:") and "A1TESTSELLER01" in key for key in keys)


def test_fba_returns_plain_and_gzip_are_identical() -> None:
    plain = _parse(_read("fba_returns.tsv"))
    assert plain.events == _parse(_read("fba_returns.tsv.gz")).events
    lamp = plain.events[0]
    assert lamp.text == "Flickers constantly after ten minutes"
    assert (lamp.return_reason_code, lamp.return_reason) == ("DEFECTIVE", "defective")
    assert lamp.occurred_at == datetime(2024, 5, 10, 14, 22, 5, tzinfo=UTC)
    assert plain.events[1].quantity == 2


def test_shift_jis_report_with_and_without_the_marketplace_hint() -> None:
    for marketplace in ("A1VC38T7YXB528", None):
        (event,) = _parse(_read("fba_returns_jp_sjis.tsv"), marketplace_id=marketplace).events
        assert event.text == "右耳から音が出ません①"
        assert event.item_title == "ワイヤレスイヤホン\u3000ブラック"


def test_feedback_with_bom() -> None:
    result = _parse(_read("feedback.tsv"))
    low, mid = result.events
    assert low.kind is SignalKind.FEEDBACK_REPORT_ROW
    assert (low.feedback_rating, low.text) == (1, "Item never arrived and the seller did not answer.")
    assert low.buyer_alias == "w9e8r7t6y5u4i3o@marketplace.amazon.com"
    assert mid.buyer_alias == "p0o9i8u7y6t5r4e@marketplace.amazon.com"
    assert low.occurred_at == datetime(2024, 5, 28, tzinfo=UTC)


def test_day_first_dates_outside_the_us() -> None:
    text = "Date\tRating\tComments\tOrder ID\n03/05/24\t2\tslow\t302-1000000-0000001\n"
    us = _parse(text.encode(), marketplace_id=US).events[0]
    de = _parse(text.encode(), marketplace_id="A1PA6795UKMFR9").events[0]
    assert (us.occurred_at.month, us.occurred_at.day) == (3, 5)
    assert (de.occurred_at.month, de.occurred_at.day) == (5, 3)


def test_bad_rows_become_errors_and_the_rest_still_parse() -> None:
    lines = _read("mfn_returns_flat.tsv").decode().splitlines()
    cells = lines[1].split("\t")
    bad_date = "\t".join([cells[0], cells[1], "not a date", *cells[3:]])
    no_order = "\t".join(["", *cells[1:]])
    bad_amount = "\t".join([*cells[:24], "twelve", *cells[25:]])
    extra_cells = lines[2] + "\tsurprise"
    data = "\n".join([lines[0], bad_date, lines[2], no_order, bad_amount, extra_cells, lines[3]]).encode()
    result = _parse(data)
    assert [event.order_id for event in result.events] == ["112-1000002-2000002", "112-1000003-2000003"]
    assert [error.row_number for error in result.errors] == [2, 4, 5, 6]
    assert "not a date" in result.errors[0].reason
    assert "order id is empty" in result.errors[1].reason
    assert "amount" in result.errors[2].reason
    assert "cells" in result.errors[3].reason
    assert result.errors[0].row["orderid"] == "112-1000001-2000001"


def test_bad_feedback_rating_is_a_row_error() -> None:
    text = (
        "Date\tRating\tComments\tOrder ID\n"
        "2024-05-01\t7\tx\t302-1000000-0000001\n2024-05-01\t1\ty\t302-1000000-0000002\n"
    )
    result = _parse(text.encode())
    assert len(result.events) == 1
    assert "rating" in result.errors[0].reason


@pytest.mark.parametrize(
    ("data", "report_type", "message"),
    [
        (b"Order ID\tAmazon RMA ID\n1\t2\n", MFN_RETURNS_FLAT, "required columns missing: return_date"),
        (b"just some words\n", MFN_RETURNS_FLAT, "not a tab-delimited report"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff", None, "does not decompress"),
        (gzip.compress(b"Order ID\tReturn request date\n")[:-12], None, "truncated"),
        (b"a\tb\n1\t2\n", None, "cannot tell which report"),
        (b"a\tb\n", "GET_V2_SELLER_PERFORMANCE_REPORT", "unsupported report type"),
        (b"<root><return_details><order_id>1</order_id>", MFN_RETURNS_XML, "not well-formed"),
    ],
)
def test_unreadable_documents_are_validation_errors(
    data: bytes, report_type: str | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        _parse(data, report_type=report_type)


def test_xml_entities_are_never_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b"<root><return_details><order_id>&b;</order_id></return_details></root>"
    )
    with pytest.raises(ValidationError, match="DTD or entities"):
        _parse(bomb, report_type=MFN_RETURNS_XML)
    external = (
        b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "file:///etc/passwd">'
        b"<root><return_details><order_id>1</order_id></return_details></root>"
    )
    with pytest.raises(ValidationError, match="DTD or entities"):
        _parse(external, report_type=MFN_RETURNS_XML)


def test_xml_with_a_namespace_and_no_returns() -> None:
    empty = b'<?xml version="1.0" encoding="UTF-8"?><root xmlns="urn:x"></root>'
    assert _parse(empty, report_type=MFN_RETURNS_XML).events == ()
    one = (
        b'<r:root xmlns:r="urn:x"><r:return_details><r:order_id>112-1000009-2000009</r:order_id>'
        b"<r:return_request_date>2024-05-01</r:return_request_date></r:return_details></r:root>"
    )
    (event,) = _parse(one, report_type=MFN_RETURNS_XML).events
    assert event.order_id == "112-1000009-2000009"
    assert event.return_reason == "unknown"


def test_headers_are_matched_loosely() -> None:
    text = (
        "ORDER-ID\treturn_date\tSKU\tReason\tLicense Plate Number\n"
        "113-1-1\t2024-05-01T00:00:00Z\tS\tDEFECTIVE\tLPN1\n"
    )
    (event,) = _parse(text.encode(), report_type=FBA_RETURNS).events
    assert (event.order_id, event.sku, event.return_reason) == ("113-1-1", "S", "defective")
