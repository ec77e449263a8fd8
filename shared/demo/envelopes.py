"""Wrap inputs the way AWS delivers them: SES receipt notifications (SNS action) and SP-API notifications."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

__all__ = ["order_change_notification", "ses_received_notification"]


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def ses_received_notification(
    raw: bytes, *, recipient: str, received_at: datetime, base64_content: bool
) -> str:
    """The SES 'Received' notification JSON of an SNS receipt action carrying the whole message."""
    parsed = message_from_bytes(raw, policy=default_policy)
    ses_id = uuid.uuid4().hex
    doc: dict[str, Any] = {
        "notificationType": "Received",
        "mail": {
            "timestamp": _iso(received_at),
            "source": str(parsed.get("Reply-To") or parsed.get("From") or ""),
            "messageId": ses_id,
            "destination": [recipient],
            "headersTruncated": False,
            "headers": [{"name": k, "value": str(v)} for k, v in parsed.items()],
            "commonHeaders": {
                "from": [str(parsed.get("From", ""))],
                "to": [recipient],
                "messageId": str(parsed.get("Message-ID", "")),
                "subject": str(parsed.get("Subject", "")),
            },
        },
        "receipt": {
            "timestamp": _iso(received_at),
            "processingTimeMillis": 42,
            "recipients": [recipient],
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "spfVerdict": {"status": "PASS"},
            "dkimVerdict": {"status": "PASS"},
            "dmarcVerdict": {"status": "PASS"},
            "action": {
                "type": "SNS",
                "topicArn": "arn:aws:sns:us-east-1:123456789012:ses-inbound",
                "encoding": "BASE64" if base64_content else "UTF8",
            },
        },
        "content": base64.b64encode(raw).decode() if base64_content else raw.decode("utf-8"),
    }
    return json.dumps(doc)


def order_change_notification(
    *,
    seller_id: str,
    order_id: str,
    marketplace_id: str,
    status: str,
    event_time: datetime,
    latest_delivery: datetime | None = None,
    change_type: str = "OrderStatusChange",
    change_reason: str = "Order status changed",
    notification_id: str | None = None,
) -> str:
    """An ORDER_CHANGE notification (PascalCase) as the SQS body Amazon delivers."""
    summary: dict[str, Any] = {
        "MarketplaceId": marketplace_id,
        "OrderStatus": status,
        "PurchaseDate": _iso(event_time),
        "DestinationPostalCode": None,
        "FulfillmentType": "MFN",
        "OrderType": "StandardOrder",
        "NumberOfItemsShipped": 1,
        "NumberOfItemsUnshipped": 0,
    }
    if latest_delivery is not None:
        summary["EarliestDeliveryDate"] = _iso(latest_delivery)
        summary["LatestDeliveryDate"] = _iso(latest_delivery)
    doc = {
        "NotificationVersion": "1.0",
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": "1.0",
        "EventTime": _iso(event_time),
        "Payload": {
            "OrderChangeNotification": {
                "NotificationLevel": "OrderLevel",
                "SellerId": seller_id,
                "AmazonOrderId": order_id,
                "OrderChangeType": change_type,
                "OrderChangeTrigger": {"TimeOfOrderChange": _iso(event_time), "ChangeReason": change_reason},
                "Summary": summary,
            }
        },
        "NotificationMetadata": {
            "ApplicationId": "amzn1.sellerapps.app.demo",
            "SubscriptionId": str(uuid.uuid4()),
            "PublishTime": _iso(event_time),
            "NotificationId": notification_id or str(uuid.uuid4()),
        },
    }
    return json.dumps(doc)
