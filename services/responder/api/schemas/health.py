"""Account-health models of GET /v1/stats: Amazon's figures, our running ODR estimate, warnings, ASIN spikes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from services.responder.api.schemas.common import Model

__all__ = [
    "AccountHealthOut",
    "AmazonFiguresOut",
    "AsinSpikeOut",
    "OdrEstimateOut",
    "OdrFiguresOut",
    "OdrWarningOut",
    "SpikeReasonOut",
]

Channel = Literal["mfn", "afn"]


class OdrFiguresOut(Model):
    """Amazon's Order Defect Rate of one fulfilment channel over its 60-day window."""

    fulfillment: Channel
    window_start: datetime
    window_end: datetime
    order_count: int
    orders_with_defects: int
    negative_feedback: int
    a_to_z_claims: int
    chargebacks: int
    rate: float
    target: float | None
    status: str | None = Field(description="GOOD, BAD or NONE.")


class AmazonFiguresOut(Model):
    """One account health report for a marketplace (GET_V2_SELLER_PERFORMANCE_REPORT), as fetched."""

    reported_at: datetime
    report_id: str | None
    account_status: str | None = Field(description="NORMAL, AT_RISK or DEACTIVATED.")
    account_health_rating: str | None = Field(description="GREAT or WARNED.")
    order_defect_rates: list[OdrFiguresOut]
    late_shipment_rate: float | None
    pre_fulfillment_cancellation_rate: float | None
    valid_tracking_rate: float | None
    on_time_delivery_rate: float | None
    policy_violations: int | None = Field(description="Listing-level violations and complaints, summed.")
    warnings: list[str] = Field(description="Amazon's warning states whose status is BAD.")


class OdrEstimateOut(Model):
    """Our running estimate for one channel over the 60 days before the range's end, beside Amazon's last."""

    fulfillment: Channel
    window_start: datetime
    window_end: datetime
    orders: int = Field(description="Orders purchased in the window that ORDER_CHANGE told us about.")
    negative_feedback: int = Field(description="Orders with 1-2 star feedback seen in the window.")
    a_to_z_claims: int = Field(description="Orders with an A-to-z claim seen in the window.")
    defective_orders: int = Field(description="Orders with any of the defects we see (each order once).")
    odr: float | None
    negative_feedback_rate: float | None
    amazon_odr: float | None = Field(description="The channel's rate in Amazon's last report.")
    amazon_negative_feedback_rate: float | None


class OdrWarningOut(Model):
    """Our estimate reached a threshold (0.005 or 0.01) while Amazon's last figure is still below it."""

    fulfillment: Channel
    threshold: float
    estimate: float
    amazon: float | None


class AccountHealthOut(Model):
    """A seller's account health in one marketplace."""

    seller_id: str
    marketplace_id: str
    latest: AmazonFiguresOut | None = Field(description="Amazon's last report before the range's end.")
    series: list[AmazonFiguresOut] = Field(description="Amazon's reports fetched in the range, oldest first.")
    estimate: list[OdrEstimateOut]
    warnings: list[OdrWarningOut]


class SpikeReasonOut(Model):
    """A classification reason and how many of the spike's tickets carry it."""

    rule_id: str
    count: int


class AsinSpikeOut(Model):
    """An ASIN that drew far more complaints in a day than its own baseline explains."""

    seller_id: str
    marketplace_id: str
    asin: str
    day: datetime
    complaints: int
    baseline_per_day: float
    p_value: float
    top_reasons: list[SpikeReasonOut]
    example_ticket_ids: list[uuid.UUID]
