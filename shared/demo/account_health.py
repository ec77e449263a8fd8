"""GET_V2_SELLER_PERFORMANCE_REPORT documents as the Reports API delivers them (stand-in, tests, demo).

Every object carries the keys the model (``accountHealthReport-2020-11-18.json``) marks required, spelled as
its ``properties`` spell them; the figures are parameters so a test can state what it expects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = ["MarketplaceHealth", "OdrCounts", "account_health_report"]

_LISTING_VIOLATIONS = (
    "listingPolicyViolations",
    "productAuthenticityCustomerComplaints",
    "productConditionCustomerComplaints",
    "productSafetyCustomerComplaints",
    "receivedIntellectualPropertyComplaints",
    "restrictedProductPolicyViolations",
    "suspectedIntellectualPropertyViolations",
    "foodAndProductSafetyIssues",
    "otherPolicyViolations",
    "documentRequests",
)


@dataclass(frozen=True)
class OdrCounts:
    """One fulfilment channel's order defect figures over the 60-day window."""

    orders: int
    negative_feedback: int = 0
    claims: int = 0
    chargebacks: int = 0
    with_defects: int | None = None  # default: the three parts summed (no order with two defects)


@dataclass(frozen=True)
class MarketplaceHealth:
    """The figures of one marketplace."""

    marketplace_id: str
    status: str = "NORMAL"
    mfn: OdrCounts = OdrCounts(orders=1000)
    afn: OdrCounts = OdrCounts(orders=0)
    late_shipments: tuple[int, int] = (4, 1000)  # (late, orders)
    cancellations: tuple[int, int] = (2, 1000)  # (cancelled, orders)
    valid_tracking: tuple[int, int] = (990, 1000)  # (with valid tracking, shipments)
    policy_violations: int = 0
    rating: str = "GREAT"
    warnings: dict[str, str] = field(default_factory=dict)  # warningType -> GOOD, BAD or NONE


def _range(start: datetime, end: datetime) -> dict[str, str]:
    return {"reportingDateFrom": f"{start:%Y-%m-%dT00:00Z}", "reportingDateTo": f"{end:%Y-%m-%dT23:59Z}"}


def _status(bad: bool) -> str:
    return "BAD" if bad else "GOOD"


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def _odr(counts: OdrCounts, channel: str, window: dict[str, str]) -> dict[str, object]:
    defects = counts.with_defects
    if defects is None:
        defects = counts.negative_feedback + counts.claims + counts.chargebacks
    rate = _rate(defects, counts.orders)
    return {
        "reportingDateRange": window,
        "orderCount": counts.orders,
        "orderWithDefects": {"count": defects, "status": _status(rate >= 0.01)},
        "claims": {"count": counts.claims, "status": "NONE"},
        "chargebacks": {"count": counts.chargebacks, "status": "NONE"},
        "negativeFeedback": {"count": counts.negative_feedback, "status": "NONE"},
        "fulfillmentType": channel,
        "status": _status(rate >= 0.01),
        "rate": rate,
        "targetValue": 0.01,
        "targetCondition": "LESS_THAN",
    }


def _metric(
    name: str, part: int, whole: int, *, target: float, less: bool, window: dict[str, str]
) -> dict[str, object]:
    rate = _rate(part, whole)
    keys = {
        "lateShipmentRate": ("orderCount", "lateShipmentCount"),
        "preFulfillmentCancellationRate": ("orderCount", "cancellationCount"),
        "validTrackingRate": ("shipmentCount", "validTrackingCount"),
    }[name]
    return {
        "reportingDateRange": window,
        keys[0]: whole,
        keys[1]: part,
        "status": _status(rate >= target if less else rate < target),
        "rate": rate,
        "targetValue": target,
        "targetCondition": "LESS_THAN" if less else "GREATER_THAN",
    }


def _performance(health: MarketplaceHealth, *, end: datetime) -> dict[str, object]:
    odr_window = _range(end - timedelta(days=61), end - timedelta(days=2))
    window_30 = _range(end - timedelta(days=30), end)
    window_7 = _range(end - timedelta(days=7), end)
    window_180 = _range(end - timedelta(days=180), end)
    violation = {
        "reportingDateRange": window_180,
        "defectsCount": 0,
        "status": "GOOD",
        "targetValue": 0,
        "targetCondition": "EQUALS",
    }
    shipped = health.valid_tracking[1]
    metrics: dict[str, object] = {
        "marketplaceId": health.marketplace_id,
        "invoiceDefectRate": {
            "reportingDateRange": window_7,
            "orderCount": 0,
            "invoiceDefect": {"count": 0, "status": "NONE"},
            "missingInvoice": {"count": 0, "status": "NONE"},
            "lateInvoice": {"count": 0, "status": "NONE"},
            "status": "NONE",
            "rate": 0.0,
            "targetValue": 0.05,
            "targetCondition": "LESS_THAN",
        },
        "lateShipmentRate": _metric(
            "lateShipmentRate", *health.late_shipments, target=0.04, less=True, window=window_30
        ),
        "orderDefectRate": {
            "mfn": _odr(health.mfn, "mfn", odr_window),
            "afn": _odr(health.afn, "afn", odr_window),
        },
        "onTimeDeliveryRate": {
            "reportingDateRange": window_30,
            "shipmentCountWithValidTracking": shipped,
            "onTimeDeliveryCount": shipped,
            "status": "GOOD",
            "rate": 1.0 if shipped else 0.0,
            "targetValue": 0.9,
            "targetCondition": "GREATER_THAN",
        },
        "unitOnTimeDeliveryRate": {
            "reportingDateRange": window_30,
            "status": "GOOD",
            "targetValue": 0.9,
            "targetCondition": "GREATER_THAN",
            "unitOnTimeDeliveryCount": shipped,
            "totalUnitCount": shipped,
            "rate": 1.0 if shipped else 0.0,
        },
        "validTrackingRate": _metric(
            "validTrackingRate", *health.valid_tracking, target=0.95, less=False, window=window_30
        ),
        "preFulfillmentCancellationRate": _metric(
            "preFulfillmentCancellationRate", *health.cancellations, target=0.025, less=True, window=window_7
        ),
        "warningStates": [{"warningType": kind, "status": state} for kind, state in health.warnings.items()],
        "accountHealthRating": {
            "ahrStatus": health.rating,
            "accountHealthRatingStatus": health.rating,
            "reportingDateRange": window_180,
        },
    }
    for name in _LISTING_VIOLATIONS:
        metrics[name] = dict(violation)
    if health.policy_violations:
        metrics["listingPolicyViolations"] = {
            **violation,
            "defectsCount": health.policy_violations,
            "status": "BAD",
        }
    return metrics


def account_health_report(*marketplaces: MarketplaceHealth, end: datetime) -> bytes:
    """The JSON document of a seller performance report whose windows end on ``end``'s day."""
    doc = {
        "accountStatuses": [{"marketplaceId": m.marketplace_id, "status": m.status} for m in marketplaces],
        "performanceMetrics": [_performance(m, end=end) for m in marketplaces],
    }
    return json.dumps(doc, indent=2).encode()
