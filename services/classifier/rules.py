"""Explainable rules over the structured signals: notice kind, return reason, tracking and order context.

Each rule yields an :class:`Evidence` that adds a weight (in logit units, comparable to the text model's
scores) to one category; the engine sums text scores and evidence, so a strong structured signal (tracking
says LOST, return reason DEFECTIVE) can outvote vague text, and vague structure never hides clear text.
"""

from __future__ import annotations

import re
from datetime import datetime

from services.classifier.domain import Category, Evidence, OrderContext
from shared.events import ComplaintSignalReceived, SignalKind

__all__ = [
    "RETURN_REASON_BUCKETS",
    "a_to_z_mention",
    "chargeback_language",
    "last_milestone",
    "normalize_return_reason",
    "signal_evidence",
]

# Normalized code -> (bucket, weight). Buyer-fault reasons point to "none" (remorse, not a product fault).
RETURN_REASON_BUCKETS: dict[str, tuple[str, float]] = {
    "DEFECTIVE": ("defective", 3.0),
    "QUALITY_UNACCEPTABLE": ("defective", 1.5),
    "MISSING_PARTS": ("defective", 3.0),
    "DAMAGED_BY_FC": ("defective", 3.0),
    "DAMAGED_BY_CARRIER": ("defective", 3.0),
    "DAMAGED": ("defective", 3.0),
    "BAD_DESC": ("not_as_described", 3.0),
    "NOT_AS_DESCRIBED": ("not_as_described", 3.0),
    "SWITCHEROO": ("not_as_described", 3.0),
    "WRONG_ITEM": ("not_as_described", 3.0),
    "EXTRA_ITEM": ("not_as_described", 1.5),
    "NOT_COMPATIBLE": ("not_as_described", 1.0),
    "MISSED_ESTIMATED_DELIVERY": ("not_received", 3.0),
    "UNDELIVERABLE_UNKNOWN": ("not_received", 2.5),
    "UNDELIVERABLE_REFUSED": ("not_received", 1.5),
    "NEVER_ARRIVED": ("not_received", 3.0),
    "UNWANTED_ITEM": ("buyer_remorse", 2.0),
    "ORDERED_WRONG_ITEM": ("buyer_remorse", 2.0),
    "FOUND_BETTER_PRICE": ("buyer_remorse", 2.0),
    "UNAUTHORIZED_PURCHASE": ("buyer_remorse", 2.0),
    "APPAREL_TOO_SMALL": ("buyer_remorse", 1.5),
    "APPAREL_TOO_LARGE": ("buyer_remorse", 1.5),
    "APPAREL_STYLE": ("buyer_remorse", 1.5),
}
_BUCKET_CATEGORY: dict[str, Category] = {
    "defective": "defective",
    "not_as_described": "not_as_described",
    "not_received": "not_received",
    "buyer_remorse": "none",
}
# Human-readable reasons seen in the MFN flat file and Seller Central, matched by key words.
_REASON_TEXT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"defective|does ?n[o']t work|not work", re.I), "DEFECTIVE"),
    (re.compile(r"missing parts|missing accessor", re.I), "MISSING_PARTS"),
    (re.compile(r"damaged", re.I), "DAMAGED"),
    (re.compile(r"wrong item|different from what", re.I), "SWITCHEROO"),
    (re.compile(r"description|not as described|website", re.I), "BAD_DESC"),
    (re.compile(r"in addition to", re.I), "EXTRA_ITEM"),
    (re.compile(r"incompatible|not compatible", re.I), "NOT_COMPATIBLE"),
    (re.compile(r"missed estimated delivery|late", re.I), "MISSED_ESTIMATED_DELIVERY"),
    (re.compile(r"quality not adequate|performance", re.I), "QUALITY_UNACCEPTABLE"),
    (re.compile(r"no longer needed|not needed|unwanted", re.I), "UNWANTED_ITEM"),
    (re.compile(r"accidental|ordered wrong", re.I), "ORDERED_WRONG_ITEM"),
    (re.compile(r"better price", re.I), "FOUND_BETTER_PRICE"),
    (re.compile(r"unauthori[sz]ed", re.I), "UNAUTHORIZED_PURCHASE"),
)
_NOT_RECEIVED_MILESTONES: dict[str, float] = {
    "LOST": 4.0,
    "UNDELIVERABLE": 3.0,
    "RETURNING_TO_SELLER": 3.0,
    "RETURNED_TO_SELLER": 3.0,
    "RETURN_TO_SENDER": 3.0,
    "DELIVERY_ATTEMPTED": 1.0,
    "ATTEMPTED_DELIVERY": 1.0,
    "AVAILABLE_FOR_PICKUP": 0.5,
}
_CHARGEBACK = re.compile(
    r"charge ?back|disput(?:e|ed|ing) (?:the |this |a )?(?:charge|payment|transaction)|(?:dispute|claim) "
    r"with (?:my|the) (?:bank|card|credit card)|(?:bank|card) dispute|paypal (?:dispute|claim)|r[üu]ckbuchung|zur[üu]ckbuchen|lastschrift "
    r"zur[üu]ck|r[ée]trofacturation|opposition bancaire|litige (?:avec|aupr[èe]s de) ma banque|"
    r"contracargo|disputa con (?:mi|el) banco|contestazione (?:dell'addebito|con la banca)|"
    r"disconoscimento|チャージバック|カード会社に(?:異議|申し立て|連絡)|拒付|信用卡(?:争议|申诉)|银行(?:争议|申诉)",
    re.IGNORECASE,
)
_A_TO_Z = re.compile(
    r"a[- ]?to[- ]?z|a-?bis-?z|garantie de a [àa] z|garanz[ií]a de la a a la z|garanzia dalla a alla z|"
    r"マーケットプレイス保証|a-z保障|交易保障",
    re.IGNORECASE,
)


def normalize_return_reason(code: str | None) -> str:
    """Strip ``CR-``/``AMZ-PG-`` and map a code or human reason to a bucket (``unknown`` if unmapped)."""
    if not code or not code.strip():
        return "unknown"
    key = re.sub(r"[\s-]+", "_", code.strip().upper())
    key = re.sub(r"^(?:CR_|AMZ_PG_)", "", key)
    if key in RETURN_REASON_BUCKETS:
        return RETURN_REASON_BUCKETS[key][0]
    for pattern, mapped in _REASON_TEXT:
        if pattern.search(code):
            return RETURN_REASON_BUCKETS[mapped][0]
    return "unknown"


def _reason_weight(code: str | None, bucket: str) -> float:
    key = re.sub(r"^(?:CR_|AMZ_PG_)", "", re.sub(r"[\s-]+", "_", (code or "").strip().upper()))
    return RETURN_REASON_BUCKETS.get(key, (bucket, 2.0))[1]


def chargeback_language(text: str) -> str | None:
    """The chargeback / bank-dispute phrase in ``text``, if any."""
    m = _CHARGEBACK.search(text)
    return m.group(0) if m else None


def a_to_z_mention(text: str) -> str | None:
    """A mention of the A-to-z Guarantee in the buyer's words (a threat or an open claim)."""
    m = _A_TO_Z.search(text)
    return m.group(0) if m else None


def last_milestone(context: OrderContext | None) -> str | None:
    """The latest tracking milestone, upper-cased."""
    if context is None or not context.tracking_milestones:
        return None
    return context.tracking_milestones[-1].strip().upper()


def _bucket_evidence(signal: ComplaintSignalReceived) -> Evidence | None:
    bucket = signal.return_reason if signal.return_reason in _BUCKET_CATEGORY else None
    bucket = bucket or normalize_return_reason(signal.return_reason_code or signal.return_reason)
    if bucket not in _BUCKET_CATEGORY:
        if signal.return_reason_code:
            return Evidence("return_reason.unknown", None, 0.0, signal.return_reason_code)
        return None
    weight = _reason_weight(signal.return_reason_code, bucket)
    return Evidence(
        f"return_reason.{bucket}", _BUCKET_CATEGORY[bucket], weight, signal.return_reason_code or ""
    )


def _context_evidence(context: OrderContext, now: datetime) -> list[Evidence]:
    out: list[Evidence] = []
    milestone = last_milestone(context)
    if milestone in _NOT_RECEIVED_MILESTONES:
        weight = _NOT_RECEIVED_MILESTONES[milestone]
        out.append(Evidence(f"tracking.{milestone.lower()}", "not_received", weight, milestone))
    elif milestone == "DELIVERED":
        out.append(Evidence("tracking.delivered", None, 0.0, "carrier reports delivered"))
    status = (context.order_status or "").upper()
    delivered = milestone == "DELIVERED" or status == "DELIVERED"
    window = context.latest_delivery_date
    if window and window < now and not delivered and status not in ("CANCELED", "CANCELLED"):
        detail = f"{(now - window).days} days after latest delivery"
        out.append(Evidence("order.delivery_window_passed", "not_received", 1.5, detail))
    if status in ("CANCELED", "CANCELLED"):
        out.append(Evidence("order.canceled", "none", 0.5, status))
    if context.buyer_cancel_requested:
        out.append(Evidence("order.buyer_cancel_requested", "none", 1.0, "buyer asked to cancel"))
    if context.fulfillment_type:
        out.append(Evidence(f"order.fulfillment_{context.fulfillment_type.lower()}", None, 0.0))
    return out


def signal_evidence(
    signal: ComplaintSignalReceived, context: OrderContext | None, *, now: datetime
) -> list[Evidence]:
    """All structured-signal rules that fire for this signal, in a stable order."""
    out: list[Evidence] = [
        Evidence("signal.kind", None, 0.0, f"{signal.kind.value} via {signal.source.value}")
    ]
    if signal.kind is SignalKind.A_TO_Z_CLAIM or signal.a_to_z_claim:
        out.append(Evidence("signal.a_to_z_claim", "not_received", 1.0, "A-to-z Guarantee claim"))
    if signal.kind in (SignalKind.RETURN_REQUEST, SignalKind.RETURN_REPORT_ROW):
        out.append(Evidence("signal.return_implies_receipt", "not_received", -1.5, "a return needs the item"))
    if signal.kind is SignalKind.CANCELLATION_REQUEST:
        out.append(Evidence("signal.cancellation_request", "none", 1.0, "cancellation before delivery"))
    elif signal.kind is SignalKind.REFUND_ISSUED:
        out.append(Evidence("signal.refund_issued", "none", 1.5, "refund logistics"))
    elif signal.kind is SignalKind.BUYER_OPTED_OUT:
        out.append(Evidence("signal.buyer_opted_out", "none", 3.0, "messaging preference"))
    if signal.feedback_rating is not None and signal.feedback_rating >= 4:
        out.append(Evidence("feedback.positive", "none", 1.5, f"{signal.feedback_rating} stars"))
    reason = _bucket_evidence(signal)
    if reason is not None:
        out.append(reason)
    if context is not None:
        out.extend(_context_evidence(context, now))
    return out
