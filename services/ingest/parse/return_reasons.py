"""Normalize Amazon return reasons (codes and human-readable labels) into complaint buckets.

Codes come prefixed in the MFN report and listReturnReasonCodes (``CR-DEFECTIVE``, ``AMZ-PG-BAD-DESC``) and
bare in the FBA report (``DEFECTIVE``); the MFN flat file also carries labels ("Item defective or doesn't
work"). Buckets follow SP-API NOTES §5; anything unmapped is ``unknown``, never guessed.
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = ["ReturnReasonBucket", "normalize_reason_code", "normalize_return_reason"]


class ReturnReasonBucket(StrEnum):
    """Complaint bucket of a return reason."""

    DEFECTIVE = "defective"
    NOT_AS_DESCRIBED = "not_as_described"
    NOT_RECEIVED = "not_received"
    BUYER_REMORSE = "buyer_remorse"
    UNKNOWN = "unknown"


_D = ReturnReasonBucket.DEFECTIVE
_N = ReturnReasonBucket.NOT_AS_DESCRIBED
_R = ReturnReasonBucket.NOT_RECEIVED
_B = ReturnReasonBucket.BUYER_REMORSE

_CODES: dict[str, ReturnReasonBucket] = {
    "DEFECTIVE": _D,
    "QUALITY_UNACCEPTABLE": _D,
    "MISSING_PARTS": _D,
    "DAMAGED_BY_FC": _D,
    "DAMAGED_BY_CARRIER": _D,
    "DAMAGED": _D,
    "BAD_DESC": _N,
    "NOT_AS_DESCRIBED": _N,
    "SWITCHEROO": _N,
    "NOT_COMPATIBLE": _N,
    "EXTRA_ITEM": _N,
    "WRONG_ITEM": _N,
    "MISSED_ESTIMATED_DELIVERY": _R,
    "NEVER_ARRIVED": _R,
    "NOT_RECEIVED": _R,
    "UNWANTED_ITEM": _B,
    "ORDERED_WRONG_ITEM": _B,
    "FOUND_BETTER_PRICE": _B,
    "UNAUTHORIZED_PURCHASE": _B,
    "APPAREL_TOO_SMALL": _B,
    "APPAREL_TOO_LARGE": _B,
    "APPAREL_STYLE": _B,
}
_CODE_PREFIXES = ("UNDELIVERABLE", "DAMAGED_")

# Human-readable labels: listReturnReasonCodes descriptions, Seller Central's prepaid-label list, report text.
_LABELS: dict[str, ReturnReasonBucket] = {
    "no longer needed wanted": _B,
    "no longer needed or wanted": _B,
    "accidental order": _B,
    "bought by mistake": _B,
    "better price available": _B,
    "unauthorized purchase": _B,
    "excessive installation or did not install": _B,
    "different from website description": _N,
    "description on the website was not accurate": _N,
    "item not as described": _N,
    "inaccurate website description": _N,
    "different from what was ordered": _N,
    "wrong item sent": _N,
    "wrong item was sent": _N,
    "arrived in addition to what was ordered": _N,
    "incompatible or not useful for intended purpose": _N,
    "part not compatible with the existing system": _N,
    "defective does not work properly": _D,
    "defective or does not work properly": _D,
    "item defective or doesn t work": _D,
    "item defective or does not work": _D,
    "performance or quality not adequate": _D,
    "missing parts or accessories": _D,
    "damaged due to inappropriate packaging": _D,
    "damaged during shipping": _D,
    "damaged during delivery": _D,
    "the shipping box or envelope isn t damaged but the item is damaged": _D,
    "the shipping box or envelope and item are both damaged": _D,
    "product and shipping box both damaged": _D,
    "product damaged but shipping box ok": _D,
    "missed estimated delivery date": _R,
    "item arrived too late": _R,
}
# Last resort for free-text reasons: a few unambiguous English stems, checked in order.
_KEYWORDS = (
    (re.compile(r"ordered (?:the )?wrong|bought (?:the )?wrong"), _B),
    (re.compile(r"\bin addition to\b|\bwrong item\b|\bnot as described\b|\bdescription\b|compatib"), _N),
    (re.compile(r"defect|damag|broken|does ?n[o ]?t work|not working|missing part|quality"), _D),
    (
        re.compile(r"never arrived|not (?:been )?(?:received|delivered)|\blate\b|missed .*deliver|\blost\b"),
        _R,
    ),
    (
        re.compile(
            r"no longer|unwanted|accident|mistake|better price|changed? (?:my )?mind|too (?:small|large)"
        ),
        _B,
    ),
)


def normalize_reason_code(raw: str) -> str:
    """``CR-DEFECTIVE`` / ``AMZ-PG-BAD-DESC`` / ``defective`` to the bare upper-snake code."""
    code = raw.strip().upper()
    for prefix in ("CR-", "AMZ-PG-", "AMZ-"):
        if code.startswith(prefix):
            code = code[len(prefix) :]
            break
    return re.sub(r"[\s-]+", "_", code)


def _label_key(raw: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", raw.lower().replace("’", "'")).split())


def normalize_return_reason(raw: str | None) -> ReturnReasonBucket:
    """Bucket of a return reason code or label; ``unknown`` when it cannot be mapped."""
    if raw is None or not raw.strip():
        return ReturnReasonBucket.UNKNOWN
    code = normalize_reason_code(raw)
    if code in _CODES:
        return _CODES[code]
    if code.startswith(_CODE_PREFIXES):
        return _D if code.startswith("DAMAGED_") else _R
    label = _label_key(raw)
    if label in _LABELS:
        return _LABELS[label]
    for pattern, bucket in _KEYWORDS:
        if pattern.search(label):
            return bucket
    return ReturnReasonBucket.UNKNOWN
