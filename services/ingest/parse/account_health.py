"""GET_V2_SELLER_PERFORMANCE_REPORT (JSON) to one AccountHealthReported per marketplace.

Parsed strictly against the shape of ``accountHealthReport-2020-11-18.json``: numbers must be JSON numbers,
statuses must be the model's values, marketplace ids must look like marketplace ids. Keys the model does not
know are ignored (Amazon adds metrics), and the spellings of Amazon's own example document
(``prefulfillmentCancelRate``, ``warningState``, ``documentRequest``) are read too. Anything else (not JSON,
too big, NUL bytes, nesting bombs, a metric of the wrong shape) rejects the whole document with the reason:
half a report would draw a wrong time series.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import datetime
from typing import Annotated, Literal

import pydantic
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints

from services.ingest.parse.build import build_event
from services.ingest.parse.report_decode import is_gzip
from shared.errors import ValidationError
from shared.events import AccountHealthReported, OrderDefectFigures, SignalSource, event_id_for

__all__ = ["ACCOUNT_HEALTH", "MAX_DOCUMENT_BYTES", "parse_account_health"]

ACCOUNT_HEALTH = "GET_V2_SELLER_PERFORMANCE_REPORT"
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
"""A report covers a seller's marketplaces (a few kB each); anything this big is not one."""

_Status = Literal["GOOD", "BAD", "NONE"]
_Condition = Literal["GREATER_THAN", "LESS_THAN", "EQUALS"]
_MarketplaceId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{5,32}$")]
_Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{1,64}$")]
_Count = Annotated[int, Field(ge=0)]
_Rate = Annotated[float, Field(ge=0.0, le=1.0)]


class _Doc(BaseModel):
    """Input models: field names are Amazon's keys, types strict (a number is a JSON number)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class _Range(_Doc):
    reportingDateFrom: str
    reportingDateTo: str


class _Counted(_Doc):
    count: _Count
    status: _Status


class _Odr(_Doc):
    reportingDateRange: _Range
    orderCount: _Count
    orderWithDefects: _Counted
    claims: _Counted
    chargebacks: _Counted
    negativeFeedback: _Counted
    status: _Status
    rate: _Rate
    targetValue: _Rate | None = None


class _OdrPair(_Doc):
    mfn: _Odr | None = None
    afn: _Odr | None = None


class _RateMetric(_Doc):
    status: _Status
    rate: _Rate
    targetCondition: _Condition


class _Violation(_Doc):
    defectsCount: _Count
    status: _Status


class _Warning(_Doc):
    warningType: _Code
    status: _Status


class _Rating(_Doc):
    ahrStatus: _Code | None = None
    accountHealthRatingStatus: Literal["GREAT", "WARNED"] | None = None


def _v(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class _Metrics(_Doc):
    marketplaceId: _MarketplaceId
    orderDefectRate: _OdrPair
    lateShipmentRate: _RateMetric | None = None
    preFulfillmentCancellationRate: _RateMetric | None = Field(
        default=None, validation_alias=_v("preFulfillmentCancellationRate", "prefulfillmentCancelRate")
    )
    validTrackingRate: _RateMetric | None = None
    onTimeDeliveryRate: _RateMetric | None = None
    warningStates: list[_Warning] = Field(
        default_factory=list, max_length=200, validation_alias=_v("warningStates", "warningState")
    )
    accountHealthRating: _Rating | None = None
    listingPolicyViolations: _Violation | None = None
    productAuthenticityCustomerComplaints: _Violation | None = None
    productConditionCustomerComplaints: _Violation | None = None
    productSafetyCustomerComplaints: _Violation | None = None
    receivedIntellectualPropertyComplaints: _Violation | None = None
    restrictedProductPolicyViolations: _Violation | None = None
    suspectedIntellectualPropertyViolations: _Violation | None = None
    foodAndProductSafetyIssues: _Violation | None = None
    otherPolicyViolations: _Violation | None = None
    documentRequests: _Violation | None = Field(
        default=None, validation_alias=_v("documentRequests", "documentRequest")
    )

    def violations(self) -> int | None:
        found = [
            v.defectsCount
            for v in (
                self.listingPolicyViolations,
                self.productAuthenticityCustomerComplaints,
                self.productConditionCustomerComplaints,
                self.productSafetyCustomerComplaints,
                self.receivedIntellectualPropertyComplaints,
                self.restrictedProductPolicyViolations,
                self.suspectedIntellectualPropertyViolations,
                self.foodAndProductSafetyIssues,
                self.otherPolicyViolations,
            )
            if v is not None
        ]
        return sum(found) if found else None


class _AccountStatus(_Doc):
    marketplaceId: _MarketplaceId
    status: _Code


class _Report(_Doc):
    accountStatuses: list[_AccountStatus] = Field(max_length=200)
    performanceMetrics: list[_Metrics] = Field(max_length=200)


def _gunzip(data: bytes) -> bytes:
    """One gzip member, never inflated past the size limit (a bomb stops at the limit, not in memory)."""
    inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        out = inflate.decompress(data, MAX_DOCUMENT_BYTES + 1)
    except zlib.error as exc:
        raise ValidationError(f"{ACCOUNT_HEALTH}: gzip does not decompress: {exc}") from exc
    if len(out) > MAX_DOCUMENT_BYTES:
        raise ValidationError(f"{ACCOUNT_HEALTH}: document exceeds {MAX_DOCUMENT_BYTES} bytes unpacked")
    if not inflate.eof:
        raise ValidationError(f"{ACCOUNT_HEALTH}: gzip stream is truncated")
    return out


def _load(data: bytes) -> _Report:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValidationError(f"{ACCOUNT_HEALTH}: document of {len(data)} bytes exceeds {MAX_DOCUMENT_BYTES}")
    if is_gzip(data):
        data = _gunzip(data)
    if b"\x00" in data:
        raise ValidationError(f"{ACCOUNT_HEALTH}: document contains NUL bytes")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{ACCOUNT_HEALTH}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except RecursionError as exc:
        raise ValidationError(f"{ACCOUNT_HEALTH}: JSON nested too deeply") from exc
    except ValueError as exc:  # JSONDecodeError, and integers longer than Python converts
        raise ValidationError(f"{ACCOUNT_HEALTH}: not JSON: {str(exc)[:200]}") from exc
    try:
        return _Report.model_validate(doc)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'document'}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)[:5]
        )
        raise ValidationError(f"{ACCOUNT_HEALTH}: {problems}") from exc


def _when(raw: str, field: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError(f"{ACCOUNT_HEALTH}: {field} {raw[:40]!r} is not an ISO 8601 time") from exc
    if value.tzinfo is None:
        raise ValidationError(f"{ACCOUNT_HEALTH}: {field} {raw[:40]!r} has no time zone")
    return value


def _odr(odr: _Odr | None, channel: Literal["mfn", "afn"]) -> OrderDefectFigures | None:
    if odr is None:
        return None
    return build_event(
        OrderDefectFigures,
        fulfillment=channel,
        window_start=_when(odr.reportingDateRange.reportingDateFrom, "reportingDateFrom"),
        window_end=_when(odr.reportingDateRange.reportingDateTo, "reportingDateTo"),
        order_count=odr.orderCount,
        orders_with_defects=odr.orderWithDefects.count,
        negative_feedback=odr.negativeFeedback.count,
        a_to_z_claims=odr.claims.count,
        chargebacks=odr.chargebacks.count,
        rate=odr.rate,
        target=odr.targetValue,
        status=odr.status,
    )


def _rate(metric: _RateMetric | None) -> float | None:
    return metric.rate if metric is not None else None


def parse_account_health(
    data: bytes,
    *,
    seller_id: str,
    received_at: datetime,
    correlation_id: str,
    report_id: str | None = None,
) -> tuple[AccountHealthReported, ...]:
    """One event per marketplace of the report; ValidationError for a document that is not one."""
    report = _load(data)
    statuses = {s.marketplaceId: s.status for s in report.accountStatuses}
    seen: set[str] = set()
    events: list[AccountHealthReported] = []
    for metrics in report.performanceMetrics:
        market = metrics.marketplaceId
        if market in seen:
            raise ValidationError(f"{ACCOUNT_HEALTH}: marketplace {market} appears twice")
        seen.add(market)
        odr = tuple(
            figures
            for figures in (
                _odr(metrics.orderDefectRate.mfn, "mfn"),
                _odr(metrics.orderDefectRate.afn, "afn"),
            )
            if figures is not None
        )
        rating = metrics.accountHealthRating
        fields = {
            "account_status": statuses.get(market),
            "account_health_rating": (rating.accountHealthRatingStatus or rating.ahrStatus)
            if rating
            else None,
            "order_defect_rates": odr,
            "late_shipment_rate": _rate(metrics.lateShipmentRate),
            "pre_fulfillment_cancellation_rate": _rate(metrics.preFulfillmentCancellationRate),
            "valid_tracking_rate": _rate(metrics.validTrackingRate),
            "on_time_delivery_rate": _rate(metrics.onTimeDeliveryRate),
            "policy_violations": metrics.violations(),
            "warnings": tuple(w.warningType for w in metrics.warningStates if w.status == "BAD"),
        }
        # Same figures, same key: a report fetched twice (notification and schedule) is one event.
        digest = hashlib.sha256(json.dumps(fields, default=_plain, sort_keys=True).encode()).hexdigest()[:24]
        dedup = f"report:account-health:{seller_id}:{market}:{digest}"
        events.append(
            build_event(
                AccountHealthReported,
                event_id=event_id_for(dedup),
                dedup_key=dedup,
                occurred_at=received_at,
                seller_id=seller_id,
                marketplace_id=market,
                correlation_id=correlation_id,
                source=SignalSource.REPORT,
                report_id=report_id,
                **fields,
            )
        )
    return tuple(events)


def _plain(value: object) -> object:
    if isinstance(value, OrderDefectFigures):
        return value.model_dump(mode="json")
    raise TypeError(type(value).__name__)
