"""Structured-signal rules: return reasons, tracking, notices and chargeback / A-to-z language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.classifier.domain import OrderContext
from services.classifier.rules import (
    a_to_z_mention,
    chargeback_language,
    normalize_return_reason,
    signal_evidence,
)
from shared.events import SignalKind
from tests.classifier.helpers import NOW, signal


@pytest.mark.parametrize(
    ("raw", "bucket"),
    [
        ("CR-DEFECTIVE", "defective"),
        ("AMZ-PG-BAD-DESC", "not_as_described"),
        ("CR-SWITCHEROO", "not_as_described"),
        ("DAMAGED_BY_CARRIER", "defective"),
        ("CR-MISSED_ESTIMATED_DELIVERY", "not_received"),
        ("UNDELIVERABLE_UNKNOWN", "not_received"),
        ("CR-UNWANTED_ITEM", "buyer_remorse"),
        ("APPAREL_TOO_SMALL", "buyer_remorse"),
        ("Item defective or doesn't work", "defective"),
        ("Missing parts or accessories", "defective"),
        ("No longer needed/wanted", "buyer_remorse"),
        ("NO_REASON_GIVEN", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_return_reasons_are_normalized(raw: str | None, bucket: str) -> None:
    assert normalize_return_reason(raw) == bucket


def _rules(
    sig_kw: dict[str, Any] | None = None, context: OrderContext | None = None
) -> dict[str, tuple[str | None, float]]:
    evidence = signal_evidence(signal(**(sig_kw or {})), context, now=NOW)
    return {ev.rule_id: (ev.category, ev.weight) for ev in evidence}


def test_prefers_the_ingest_bucket_and_keeps_the_code_weight() -> None:
    rules = _rules({"return_reason_code": "CR-QUALITY_UNACCEPTABLE", "return_reason": "defective"})
    assert rules["return_reason.defective"] == ("defective", 1.5)


def test_unknown_reason_code_is_reported_without_weight() -> None:
    assert _rules({"return_reason_code": "CR-SOMETHING_NEW"})["return_reason.unknown"] == (None, 0.0)


def test_a_to_z_claim_points_to_not_received() -> None:
    assert _rules({"kind": SignalKind.A_TO_Z_CLAIM})["signal.a_to_z_claim"] == ("not_received", 1.0)
    assert "signal.a_to_z_claim" in _rules({"kind": SignalKind.RETURN_REPORT_ROW, "a_to_z_claim": True})


def test_a_return_argues_against_not_received() -> None:
    assert _rules({"kind": SignalKind.RETURN_REQUEST})["signal.return_implies_receipt"][1] == -1.5


@pytest.mark.parametrize(
    ("milestones", "rule"),
    [
        (("IN_TRANSIT", "LOST"), "tracking.lost"),
        (("IN_TRANSIT", "UNDELIVERABLE"), "tracking.undeliverable"),
        (("OUT_FOR_DELIVERY", "DELIVERY_ATTEMPTED"), "tracking.delivery_attempted"),
    ],
)
def test_tracking_milestones_point_to_not_received(milestones: tuple[str, ...], rule: str) -> None:
    rules = _rules(context=OrderContext(tracking_milestones=milestones))
    category, weight = rules[rule]
    assert category == "not_received"
    assert weight > 0


def test_only_the_latest_milestone_counts() -> None:
    rules = _rules(context=OrderContext(tracking_milestones=("DELIVERY_ATTEMPTED", "DELIVERED")))
    assert "tracking.delivery_attempted" not in rules
    assert rules["tracking.delivered"] == (None, 0.0)


def test_a_passed_delivery_window_counts_only_before_delivery() -> None:
    late = OrderContext(latest_delivery_date=NOW - timedelta(days=3), tracking_milestones=("IN_TRANSIT",))
    assert _rules(context=late)["order.delivery_window_passed"][0] == "not_received"
    delivered = OrderContext(latest_delivery_date=NOW - timedelta(days=3), tracking_milestones=("DELIVERED",))
    assert "order.delivery_window_passed" not in _rules(context=delivered)
    on_time = OrderContext(latest_delivery_date=NOW + timedelta(days=1))
    assert "order.delivery_window_passed" not in _rules(context=on_time)


def test_cancellation_points_to_none() -> None:
    assert _rules({"kind": SignalKind.CANCELLATION_REQUEST})["signal.cancellation_request"][0] == "none"
    assert (
        _rules(context=OrderContext(buyer_cancel_requested=True))["order.buyer_cancel_requested"][0] == "none"
    )


@pytest.mark.parametrize(
    "text",
    [
        "If this isn't fixed I'll file a chargeback with my bank.",
        "Ich mache eine Rückbuchung bei meiner Bank.",
        "Je vais faire une opposition bancaire.",
        "Voy a pedir un contracargo.",
        "Farò il disconoscimento dell'addebito.",
        "カード会社に異議申し立てをします。",
        "我要向信用卡申诉拒付。",
    ],
)
def test_chargeback_language_is_found_in_every_language(text: str) -> None:
    assert chargeback_language(text)


def test_ordinary_refund_talk_is_not_a_chargeback() -> None:
    assert chargeback_language("Please refund my card, the item never came.") is None
    assert chargeback_language("Bitte erstatten Sie den Betrag zurück.") is None


def test_a_to_z_threats_are_recognised() -> None:
    assert a_to_z_mention("I will open an A-to-z claim tomorrow")
    assert a_to_z_mention("Ich werde die A-bis-z-Garantie nutzen")
    assert a_to_z_mention("The parcel never came") is None
