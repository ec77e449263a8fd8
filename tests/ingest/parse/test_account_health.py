"""The account health report (GET_V2_SELLER_PERFORMANCE_REPORT): parsed per marketplace, hostile input refused."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from services.ingest.cli import app as ingest_cli
from services.ingest.parse.account_health import MAX_DOCUMENT_BYTES, parse_account_health
from shared.demo.account_health import MarketplaceHealth, OdrCounts, account_health_report
from shared.errors import ValidationError
from shared.events import AccountHealthReported, parse_amazon_event
from tests.ingest.parse.support import RECEIVED_AT
from tests.reference import reference_dir

US = "ATVPDKIKX0DER"
DE = "A1PA6795UKMFR9"
END = datetime(2026, 11, 30, tzinfo=UTC)


def _parse(data: bytes) -> tuple[AccountHealthReported, ...]:
    return parse_account_health(
        data, seller_id="A1TESTSELLER01", received_at=RECEIVED_AT, correlation_id="report:1", report_id="1"
    )


def _sample() -> bytes:
    return account_health_report(
        MarketplaceHealth(
            US,
            status="AT_RISK",
            mfn=OdrCounts(orders=2000, negative_feedback=9, claims=6, chargebacks=1, with_defects=15),
            afn=OdrCounts(orders=500, negative_feedback=1),
            late_shipments=(30, 1000),
            cancellations=(5, 2000),
            valid_tracking=(970, 1000),
            policy_violations=2,
            rating="WARNED",
            warnings={"spammingSellerMessaging": "BAD", "otherWarning": "GOOD"},
        ),
        MarketplaceHealth(DE),
        end=END,
    )


def test_sample_document_is_valid_per_amazons_model() -> None:
    schema = json.loads(
        (reference_dir("spapi") / "accountHealthReport-2020-11-18.json").read_text(encoding="utf-8")
    )
    jsonschema.Draft7Validator(schema).validate(json.loads(_sample()))


def test_one_event_per_marketplace_with_the_odr_and_its_parts() -> None:
    us, de = _parse(_sample())

    assert (us.marketplace_id, de.marketplace_id) == (US, DE)
    assert (us.account_status, us.account_health_rating) == ("AT_RISK", "WARNED")
    mfn, afn = us.order_defect_rates
    assert (mfn.fulfillment, mfn.order_count, mfn.orders_with_defects) == ("mfn", 2000, 15)
    assert (mfn.negative_feedback, mfn.a_to_z_claims, mfn.chargebacks) == (9, 6, 1)
    assert mfn.rate == pytest.approx(0.0075)
    assert (mfn.window_end - mfn.window_start).days == 59
    assert afn.fulfillment == "afn"
    assert afn.rate == pytest.approx(0.002)
    assert us.late_shipment_rate == pytest.approx(0.03)
    assert us.pre_fulfillment_cancellation_rate == pytest.approx(0.0025)
    assert us.valid_tracking_rate == pytest.approx(0.97)
    assert us.policy_violations == 2
    assert us.warnings == ("spammingSellerMessaging",)
    assert (de.account_status, de.account_health_rating, de.warnings) == ("NORMAL", "GREAT", ())
    assert us.report_id == "1"


def test_the_same_figures_fetched_twice_are_one_event_and_new_figures_another() -> None:
    again = _parse(_sample())
    assert [e.event_id for e in _parse(_sample())] == [e.event_id for e in again]
    moved = account_health_report(MarketplaceHealth(US, mfn=OdrCounts(orders=2001)), end=END)
    assert _parse(moved)[0].dedup_key != again[0].dedup_key


def test_amazons_own_example_spellings_are_read() -> None:
    # The model's example writes prefulfillmentCancelRate, warningState and documentRequest.
    doc = json.loads(_sample())
    metrics = doc["performanceMetrics"][0]
    metrics["prefulfillmentCancelRate"] = metrics.pop("preFulfillmentCancellationRate")
    metrics["warningState"] = metrics.pop("warningStates")
    metrics["documentRequest"] = metrics.pop("documentRequests")
    us = _parse(json.dumps(doc).encode())[0]
    assert us.pre_fulfillment_cancellation_rate == pytest.approx(0.0025)
    assert us.warnings == ("spammingSellerMessaging",)


def test_gzip_document_parses() -> None:
    assert len(_parse(gzip.compress(_sample()))) == 2


def _mutated(change: Any) -> bytes:
    doc = json.loads(_sample())
    change(doc)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not JSON"),
        (b"\x00" + _sample(), "NUL"),
        (_sample()[:-40], "not JSON"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
        (b'{"accountStatuses": [], "performanceMetrics": [' + b"1" * 5000 + b"]}", "not JSON"),
        (b"x" * (MAX_DOCUMENT_BYTES + 1), "exceeds"),
        (gzip.compress(b" " * (MAX_DOCUMENT_BYTES + 1)), "unpacked"),
        (gzip.compress(_sample())[:-30], "truncated"),
        (b"[]", "document"),
        (b'{"accountStatuses": []}', "performanceMetrics"),
        (_mutated(lambda d: d["performanceMetrics"][0].pop("orderDefectRate")), "orderDefectRate"),
        (_mutated(lambda d: d["performanceMetrics"][0]["orderDefectRate"]["mfn"].update(rate="0.1")), "rate"),
        (_mutated(lambda d: d["performanceMetrics"][0]["orderDefectRate"]["mfn"].update(rate=7)), "rate"),
        (
            _mutated(
                lambda d: d["performanceMetrics"][0]["orderDefectRate"]["mfn"]["claims"].update(count=-1)
            ),
            "count",
        ),
        (_mutated(lambda d: d["performanceMetrics"][0].update(marketplaceId="US\u0000X")), "marketplaceId"),
        (_mutated(lambda d: d["performanceMetrics"][0]["lateShipmentRate"].update(status="FINE")), "status"),
        (_mutated(lambda d: d["performanceMetrics"].append(d["performanceMetrics"][0])), "twice"),
        (
            _mutated(
                lambda d: d["performanceMetrics"][0]["orderDefectRate"]["mfn"]["reportingDateRange"].update(
                    reportingDateTo="yesterday"
                )
            ),
            "ISO 8601",
        ),
    ],
    ids=[
        "empty",
        "nul-byte",
        "truncated",
        "not-utf8",
        "nesting-bomb",
        "huge-integer",
        "too-big",
        "gzip-bomb",
        "gzip-truncated",
        "not-an-object",
        "no-metrics",
        "no-odr",
        "rate-as-text",
        "rate-above-one",
        "negative-count",
        "escaped-nul-in-id",
        "unknown-status",
        "marketplace-twice",
        "bad-date",
    ],
)
def test_hostile_documents_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        _parse(data)


def test_parse_command_reads_an_account_health_report(tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    path.write_bytes(_sample())
    result = CliRunner().invoke(
        ingest_cli,
        ["parse", str(path), "--seller-id", "S1", "--report-type", "GET_V2_SELLER_PERFORMANCE_REPORT"],
    )
    assert result.exit_code == 0, result.stderr
    events = [parse_amazon_event(line) for line in result.stdout.splitlines() if line.strip()]
    assert [(type(e).__name__, e.marketplace_id) for e in events] == [
        ("AccountHealthReported", US),
        ("AccountHealthReported", DE),
    ]
