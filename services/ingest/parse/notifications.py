"""SP-API notifications (PascalCase or camelCase keys) to ingest events.

ORDER_CHANGE, SHIPMENT_TRACKING_MILESTONE_CHANGED, FULFILLMENT_ORDER_STATUS and FBA_OUTBOUND_SHIPMENT_STATUS
become OrderContextUpdated, ACCOUNT_STATUS_CHANGED becomes SellerAccountStatusChanged, every other type
(REPORT_PROCESSING_FINISHED included) is kept as NotificationReceived.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.ingest.parse import marketplaces
from services.ingest.parse.build import build_event
from services.ingest.parse.fields import ci_get, ci_mapping, ci_str, parse_timestamp
from services.ingest.parse.order_context import ORDER_CONTEXT_TYPES, order_context_fields
from shared.errors import ValidationError
from shared.events import (
    AmazonEvent,
    NotificationReceived,
    OrderContextUpdated,
    SellerAccountStatusChanged,
    SignalSource,
    event_id_for,
)

__all__ = ["ReportReady", "SellerLookup", "dedup_key_for", "parse_notification", "report_ready"]

SellerLookup = Callable[[str], str | None]

# The per-type object inside Payload; other types fall back to the payload's only object.
_BODY_KEYS = {
    "ORDER_CHANGE": "OrderChangeNotification",
    "FULFILLMENT_ORDER_STATUS": "FulfillmentOrderStatusNotification",
    "FBA_OUTBOUND_SHIPMENT_STATUS": "FBAOutboundShipmentStatusNotification",
    "SHIPMENT_TRACKING_MILESTONE_CHANGED": "shipmentTrackingMilestoneChangedNotification",
    "ACCOUNT_STATUS_CHANGED": "accountStatusChangeNotification",
    "REPORT_PROCESSING_FINISHED": "reportProcessingFinishedNotification",
    "ORDER_STATUS_CHANGE": "OrderStatusChangeNotification",
    "MFN_ORDER_STATUS_CHANGE": "MFNOrderStatusChangeNotification",
}
_SELLER_KEYS = ("SellerId", "sellingPartnerId", "merchantId")
_MERCHANT_ACCOUNT_PREFIX = "amzn1.merchant.o."


@dataclass(frozen=True, slots=True)
class ReportReady:
    """What the reports fetcher needs from a REPORT_PROCESSING_FINISHED notification."""

    seller_id: str
    report_type: str
    report_id: str
    report_document_id: str | None
    processing_status: str

    @property
    def downloadable(self) -> bool:
        """True when the report finished and has a document to download."""
        return self.processing_status == "DONE" and self.report_document_id is not None


def dedup_key_for(notification_id: str) -> str:
    """Dedup key of an SP-API notification (its NotificationId is unique per delivery instance)."""
    return f"spapi:{notification_id}"


def _body(payload: Mapping[str, Any], notification_type: str) -> Mapping[str, Any]:
    expected = _BODY_KEYS.get(notification_type)
    found = ci_mapping(payload, expected) if expected else None
    if found is not None:
        return found
    objects = [value for value in payload.values() if isinstance(value, Mapping)]
    if len(payload) == 1 and len(objects) == 1:
        return objects[0]
    if notification_type in ORDER_CONTEXT_TYPES or notification_type == "ACCOUNT_STATUS_CHANGED":
        raise ValidationError(f"{notification_type}: Payload has no {expected} object")
    return payload


def _seller_id(
    doc: Mapping[str, Any],
    body: Mapping[str, Any],
    subscription_id: str | None,
    seller_for_subscription: SellerLookup | None,
    default_seller_id: str | None,
) -> str:
    for container in (body, ci_mapping(doc, "Payload"), doc):
        for key in _SELLER_KEYS:
            found = ci_str(container, key)
            if found:
                return found
    account = ci_str(body, "accountId") or ""
    if account.startswith(_MERCHANT_ACCOUNT_PREFIX) and len(account) > len(_MERCHANT_ACCOUNT_PREFIX):
        return account.removeprefix(_MERCHANT_ACCOUNT_PREFIX)
    if subscription_id and seller_for_subscription is not None:
        found = seller_for_subscription(subscription_id)
        if found:
            return found
    if default_seller_id:
        return default_seller_id
    raise ValidationError("notification carries no seller id and no default seller was given")


def _marketplace_id(body: Mapping[str, Any]) -> str | None:
    return (
        ci_str(body, "MarketplaceId")
        or ci_str(body, "Summary", "MarketplaceId")
        or ci_str(body, "OfferChangeTrigger", "MarketplaceId")
    )


def _report_fields(body: Mapping[str, Any]) -> tuple[str, str, str, str | None]:
    values = {key: ci_str(body, key) for key in ("reportType", "reportId", "processingStatus")}
    missing = [key for key, value in values.items() if value is None]
    if missing:
        raise ValidationError(f"REPORT_PROCESSING_FINISHED: payload fields missing: {', '.join(missing)}")
    report_type, report_id, status = (
        str(values[key]) for key in ("reportType", "reportId", "processingStatus")
    )
    return report_type, report_id, status, ci_str(body, "reportDocumentId")


def parse_notification(
    doc: Mapping[str, Any],
    *,
    source: SignalSource,
    received_at: datetime,
    correlation_id: str,
    region: str | None = None,
    seller_for_subscription: SellerLookup | None = None,
    default_seller_id: str | None = None,
) -> AmazonEvent:
    """Normalize one SP-API notification; raises ValidationError when a required field is missing.

    The seller comes from the payload, else ``seller_for_subscription(SubscriptionId)``, else
    ``default_seller_id`` (ACCOUNT_STATUS_CHANGED and tracking milestones carry none).
    occurred_at is EventTime, else PublishTime, else ``received_at``.
    """
    if not isinstance(doc, Mapping):
        raise ValidationError("notification must be a JSON object")
    notification_type = ci_str(doc, "NotificationType")
    if notification_type is None:
        raise ValidationError("notification has no NotificationType")
    metadata = ci_mapping(doc, "NotificationMetadata")
    notification_id = ci_str(metadata, "NotificationId")
    if notification_id is None:
        raise ValidationError(f"{notification_type}: NotificationMetadata.NotificationId is missing")
    payload = ci_mapping(doc, "Payload")
    if payload is None:
        raise ValidationError(f"{notification_type}: Payload object is missing")
    body = _body(payload, notification_type)
    occurred_at = (
        parse_timestamp(ci_get(doc, "EventTime"), field="EventTime")
        or parse_timestamp(ci_get(metadata, "PublishTime"), field="NotificationMetadata.PublishTime")
        or received_at
    )
    dedup_key = dedup_key_for(notification_id)
    marketplace_id = _marketplace_id(body)
    market = marketplaces.by_id(marketplace_id)
    common: dict[str, Any] = {
        "event_id": event_id_for(dedup_key),
        "dedup_key": dedup_key,
        "occurred_at": occurred_at,
        "seller_id": _seller_id(
            doc, body, ci_str(metadata, "SubscriptionId"), seller_for_subscription, default_seller_id
        ),
        "marketplace_id": marketplace_id,
        "region": region or (market.region if market else None),
        "correlation_id": correlation_id,
        "source": source,
        "notification_id": notification_id,
    }
    if notification_type in ORDER_CONTEXT_TYPES:
        fields = {**common, **order_context_fields(notification_type, body)}
        return build_event(OrderContextUpdated, notification_type=notification_type, **fields)
    if notification_type == "ACCOUNT_STATUS_CHANGED":
        current = ci_str(body, "currentAccountStatus")
        if current is None:
            raise ValidationError("ACCOUNT_STATUS_CHANGED: currentAccountStatus is missing")
        previous = ci_str(body, "previousAccountStatus")
        return build_event(
            SellerAccountStatusChanged, previous_status=previous, current_status=current, **common
        )
    if notification_type == "REPORT_PROCESSING_FINISHED":
        _report_fields(body)  # Reject an unusable trigger here so it dead-letters instead of failing later.
    order_id = ci_str(body, "AmazonOrderId")
    return build_event(
        NotificationReceived,
        notification_type=notification_type,
        payload=dict(payload),
        order_id=order_id,
        **common,
    )


def report_ready(event: AmazonEvent) -> ReportReady | None:
    """The report to download when ``event`` is a REPORT_PROCESSING_FINISHED notification, else None."""
    if not isinstance(event, NotificationReceived) or event.notification_type != "REPORT_PROCESSING_FINISHED":
        return None
    report_type, report_id, status, document_id = _report_fields(
        _body(event.payload, event.notification_type)
    )
    return ReportReady(
        seller_id=event.seller_id,
        report_type=report_type,
        report_id=report_id,
        report_document_id=document_id,
        processing_status=status,
    )
