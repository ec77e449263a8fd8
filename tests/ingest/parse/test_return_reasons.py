"""Return reason normalization, checked against the compiled reason list used as an oracle."""

from __future__ import annotations

from typing import Any

import pytest

from services.ingest.parse.return_reasons import (
    ReturnReasonBucket,
    normalize_reason_code,
    normalize_return_reason,
)
from tests.ingest.parse.support import load_json
from tests.reference import reference_dir

B = ReturnReasonBucket


def _oracle() -> dict[str, Any]:
    data: dict[str, Any] = load_json(reference_dir("spapi", "derived", "return_reason_codes.json"))
    return data


def test_official_codes_and_their_descriptions_agree_and_are_mapped() -> None:
    for entry in _oracle()["official_listReturnReasonCodes_example"]["codes"]:
        by_code = normalize_return_reason(entry["returnReasonCode"])
        assert by_code is not B.UNKNOWN, entry
        assert normalize_return_reason(entry["description"]) is by_code, entry
        bare = normalize_reason_code(entry["returnReasonCode"])
        assert normalize_return_reason(bare) is by_code, entry


def test_seller_central_labels_are_all_mapped() -> None:
    for label, _fault in _oracle()["seller_central_prepaid_label_reasons_with_fault"]["reasons"]:
        assert normalize_return_reason(label) is not B.UNKNOWN, label


def test_third_party_codes_are_mapped_except_no_reason() -> None:
    for code in _oracle()["unverified_codes_seen_in_third_party_parsers"]["codes"]:
        expected_unknown = code == "NO_REASON_GIVEN"
        assert (normalize_return_reason(code) is B.UNKNOWN) is expected_unknown, code


@pytest.mark.parametrize(
    ("raw", "bucket"),
    [
        # The mapping suggested in SP-API NOTES §5.
        ("CR-DEFECTIVE", B.DEFECTIVE),
        ("QUALITY_UNACCEPTABLE", B.DEFECTIVE),
        ("CR-MISSING_PARTS", B.DEFECTIVE),
        ("CR-DAMAGED_BY_CARRIER", B.DEFECTIVE),
        ("AMZ-PG-BAD-DESC", B.NOT_AS_DESCRIBED),
        ("NOT_AS_DESCRIBED", B.NOT_AS_DESCRIBED),
        ("CR-SWITCHEROO", B.NOT_AS_DESCRIBED),
        ("NOT_COMPATIBLE", B.NOT_AS_DESCRIBED),
        ("CR-EXTRA_ITEM", B.NOT_AS_DESCRIBED),
        ("CR-MISSED_ESTIMATED_DELIVERY", B.NOT_RECEIVED),
        ("UNDELIVERABLE_UNKNOWN", B.NOT_RECEIVED),
        ("UNDELIVERABLE_REFUSED", B.NOT_RECEIVED),
        ("CR-UNWANTED_ITEM", B.BUYER_REMORSE),
        ("CR-ORDERED_WRONG_ITEM", B.BUYER_REMORSE),
        ("CR-FOUND_BETTER_PRICE", B.BUYER_REMORSE),
        ("CR-UNAUTHORIZED_PURCHASE", B.BUYER_REMORSE),
        # Case, spacing and prefixes do not matter.
        ("  cr-defective ", B.DEFECTIVE),
        ("amz-pg-bad-desc", B.NOT_AS_DESCRIBED),
        ("Item defective or doesn’t work", B.DEFECTIVE),
        # Free text falls back to a few unambiguous stems, else unknown.
        ("I ordered the wrong size by mistake", B.BUYER_REMORSE),
        ("Package never arrived", B.NOT_RECEIVED),
        ("Arrived broken", B.DEFECTIVE),
        ("Other", B.UNKNOWN),
        ("", B.UNKNOWN),
        (None, B.UNKNOWN),
    ],
)
def test_buckets(raw: str | None, bucket: ReturnReasonBucket) -> None:
    assert normalize_return_reason(raw) is bucket
