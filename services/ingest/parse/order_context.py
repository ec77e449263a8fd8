"""Order and shipment fields of the four SP-API notification types that become OrderContextUpdated."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from services.ingest.parse.fields import ci_get, ci_mapping, ci_str, parse_timestamp, without_keys
from shared.errors import ValidationError

__all__ = ["ORDER_CONTEXT_TYPES", "order_context_fields"]

ORDER_CONTEXT_TYPES = frozenset(
    {
        "ORDER_CHANGE",
        "SHIPMENT_TRACKING_MILESTONE_CHANGED",
        "FULFILLMENT_ORDER_STATUS",
        "FBA_OUTBOUND_SHIPMENT_STATUS",
    }
)

_ORDER_ID_MAX = 32  # EventBase.order_id limit; MCF SellerFulfillmentOrderId may be up to 40 characters.
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _required(body: Mapping[str, Any], key: str, notification_type: str) -> str:
    value = ci_str(body, key)
    if value is None:
        raise ValidationError(f"{notification_type}: payload field {key} is missing")
    return value


def _amount(container: Mapping[str, Any] | None) -> tuple[Decimal | None, str | None]:
    total = ci_mapping(container, "OrderTotal") or ci_mapping(container, "Amount")
    if total is None:
        return None, None
    raw = ci_str(total, "Amount") or ci_str(total, "CurrencyAmount")
    currency = ci_str(total, "CurrencyCode")
    if raw is None:
        return None, currency
    try:
        return Decimal(raw), currency
    except InvalidOperation as exc:
        raise ValidationError(f"order amount {raw!r} is not a number") from exc


def _upper_snake(value: str | None) -> str | None:
    """EasyShip statuses are PascalCase (``RejectedByBuyer``); milestones are UPPER_SNAKE."""
    return _CAMEL_BOUNDARY.sub("_", value).upper() if value else None


def _order_change(body: Mapping[str, Any]) -> dict[str, Any]:
    summary = ci_mapping(body, "Summary") or {}
    trigger = ci_mapping(body, "OrderChangeTrigger") or {}
    amount, currency = _amount(summary)
    mapped_summary = (
        "MarketplaceId", "OrderStatus", "FulfillmentType", "PurchaseDate", "EarliestShipDate",
        "LatestShipDate", "EarliestDeliveryDate", "LatestDeliveryDate", "OrderTotal",
    )  # fmt: skip
    details = without_keys(
        body, "SellerId", "AmazonOrderId", "OrderChangeType", "OrderChangeTrigger", "Summary"
    )
    details.update(without_keys(summary, *mapped_summary))
    if ci_get(trigger, "TimeOfOrderChange") is not None:
        details["TimeOfOrderChange"] = ci_get(trigger, "TimeOfOrderChange")
    return {
        "order_id": _required(body, "AmazonOrderId", "ORDER_CHANGE"),
        "marketplace_id": ci_str(summary, "MarketplaceId"),
        "order_status": ci_str(summary, "OrderStatus"),
        "order_change_type": ci_str(body, "OrderChangeType"),
        "change_reason": ci_str(trigger, "ChangeReason"),
        "fulfillment_type": ci_str(summary, "FulfillmentType"),
        "purchase_date": parse_timestamp(ci_get(summary, "PurchaseDate"), field="Summary.PurchaseDate"),
        "earliest_ship_date": parse_timestamp(ci_get(summary, "EarliestShipDate"), field="EarliestShipDate"),
        "latest_ship_date": parse_timestamp(ci_get(summary, "LatestShipDate"), field="LatestShipDate"),
        "earliest_delivery_date": parse_timestamp(
            ci_get(summary, "EarliestDeliveryDate"), field="EarliestDeliveryDate"
        ),
        "latest_delivery_date": parse_timestamp(
            ci_get(summary, "LatestDeliveryDate"), field="LatestDeliveryDate"
        ),
        "tracking_milestone": _upper_snake(ci_str(summary, "EasyShipShipmentStatus")),
        "order_amount": amount,
        "currency": currency,
        "details": details,
    }


def _tracking(body: Mapping[str, Any]) -> dict[str, Any]:
    detail = ci_mapping(body, "trackingDetail")
    if detail is None:
        raise ValidationError("SHIPMENT_TRACKING_MILESTONE_CHANGED: payload field trackingDetail is missing")
    history = ci_get(detail, "milestoneHistory")
    history = [item for item in history if isinstance(item, Mapping)] if isinstance(history, list) else []
    latest = ci_mapping(detail, "latestMilestone") or (history[0] if history else {})
    identifier = ci_mapping(detail, "identifier") or {}
    carrier_tracking = ci_mapping(identifier, "carrierTracking")
    tracking_number = ci_str(carrier_tracking, "trackingNumber") or next(
        (
            ci_str(identifier, key)
            for key in ("id", "aftn", "acsin", "containerNumber", "houseBillOfLadingNumber")
            if ci_str(identifier, key)
        ),
        None,
    )
    earliest = latest_delivery = None
    estimates = ci_get(detail, "trackingEstimates")
    for estimate in estimates if isinstance(estimates, list) else []:
        if ci_str(estimate, "type") == "ESTIMATED_DELIVERY_DATE":
            interval = ci_mapping(estimate, "estimatedInterval")
            earliest = parse_timestamp(ci_get(interval, "startTime"), field="estimatedInterval.startTime")
            latest_delivery = parse_timestamp(ci_get(interval, "endTime"), field="estimatedInterval.endTime")
    details: dict[str, Any] = {
        "identifier": dict(identifier),
        "subCode": ci_str(latest, "status", "subCode"),
        "description": ci_str(latest, "status", "description"),
        "occurredAt": ci_str(latest, "occurredAt"),
        "location": ci_get(latest, "location"),
        "trackingUrl": ci_str(detail, "trackingUrl"),
        "milestoneHistory": [
            {"code": ci_str(item, "status", "code"), "occurredAt": ci_str(item, "occurredAt")}
            for item in history
        ],
    }
    return {
        "order_id": ci_str(body, "amazonOrderId") or ci_str(detail, "amazonOrderId"),
        "tracking_milestone": ci_str(latest, "status", "code"),
        "tracking_number": tracking_number,
        "carrier": ci_str(carrier_tracking, "carrierCode"),
        "earliest_delivery_date": earliest,
        "latest_delivery_date": latest_delivery,
        "details": {key: value for key, value in details.items() if value not in (None, [], {})},
    }


def _fulfillment_order(body: Mapping[str, Any]) -> dict[str, Any]:
    order_ref = _required(body, "SellerFulfillmentOrderId", "FULFILLMENT_ORDER_STATUS")
    shipment = ci_mapping(body, "FulfillmentShipment")
    packages = ci_get(shipment, "FulfillmentShipmentPackages")
    first = (
        next((pkg for pkg in packages if isinstance(pkg, Mapping)), None)
        if isinstance(packages, list)
        else None
    )
    details = without_keys(body, "SellerId", "FulfillmentOrderStatus", "EventType")
    return {
        "order_id": order_ref if len(order_ref) <= _ORDER_ID_MAX else None,
        "order_status": ci_str(body, "FulfillmentOrderStatus"),
        "order_change_type": ci_str(body, "EventType"),
        "fulfillment_type": "AFN",  # Multi-Channel Fulfillment orders are always fulfilled by Amazon.
        "latest_delivery_date": parse_timestamp(
            ci_get(shipment, "EstimatedArrivalDateTime"), field="FulfillmentShipment.EstimatedArrivalDateTime"
        ),
        "tracking_number": ci_str(first, "TrackingNumber"),
        "carrier": ci_str(first, "CarrierCode"),
        "details": details,
    }


def _fba_outbound(body: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "order_id": _required(body, "AmazonOrderId", "FBA_OUTBOUND_SHIPMENT_STATUS"),
        "fulfillment_type": "AFN",
        "details": without_keys(body, "SellerId", "AmazonOrderId"),
    }


_BUILDERS = {
    "ORDER_CHANGE": _order_change,
    "SHIPMENT_TRACKING_MILESTONE_CHANGED": _tracking,
    "FULFILLMENT_ORDER_STATUS": _fulfillment_order,
    "FBA_OUTBOUND_SHIPMENT_STATUS": _fba_outbound,
}


def order_context_fields(notification_type: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """OrderContextUpdated fields (order, status, dates, tracking, details) for one order-context type."""
    fields = _BUILDERS[notification_type](body)
    return {key: value for key, value in fields.items() if value is not None}
