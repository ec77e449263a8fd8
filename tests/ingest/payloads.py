"""Synthetic inputs for the ingest runtime tests: SP-API notifications, relay mails, SES/SNS/EventBridge wraps."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

from shared.demo import reports as demo_reports

__all__ = [
    "RETURNS_HEADER",
    "SELLER",
    "eventbridge_event",
    "feedback_report",
    "order_change",
    "relay_mail",
    "report_finished",
    "returns_report",
    "ses_received",
]

SELLER = "A3TESTSELLER"


def order_change(
    notification_id: str | None = None, *, order_id: str = "111-2222222-3333333"
) -> dict[str, Any]:
    """An ORDER_CHANGE notification as SP-API puts it on SQS (PascalCase, no wrapper)."""
    return {
        "NotificationVersion": "1.0",
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": "1.0",
        "EventTime": "2026-01-05T10:00:00.000Z",
        "Payload": {
            "OrderChangeNotification": {
                "NotificationLevel": "OrderLevel",
                "SellerId": SELLER,
                "AmazonOrderId": order_id,
                "OrderChangeType": "OrderStatusChange",
                "OrderChangeTrigger": {
                    "TimeOfOrderChange": "2026-01-05T09:59:00.000Z",
                    "ChangeReason": "Shipped",
                },
                "Summary": {
                    "MarketplaceId": "ATVPDKIKX0DER",
                    "OrderStatus": "Shipped",
                    "FulfillmentType": "MFN",
                },
            }
        },
        "NotificationMetadata": {
            "ApplicationId": "amzn1.sellerapps.app.test",
            "SubscriptionId": "sub-1",
            "PublishTime": "2026-01-05T10:00:01.000Z",
            "NotificationId": notification_id or str(uuid.uuid4()),
        },
    }


def report_finished(
    report_id: str, report_type: str, document_id: str | None, *, status: str = "DONE"
) -> dict[str, Any]:
    """A REPORT_PROCESSING_FINISHED notification for the test seller."""
    return demo_reports.report_finished(
        seller_id=SELLER,
        report_id=report_id,
        report_type=report_type,
        document_id=document_id,
        status=status,
        at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
        notification_id=str(uuid.uuid4()),
        application_id="amzn1.sellerapps.app.test",
        subscription_id="sub-2",
    )


def eventbridge_event(notification: dict[str, Any]) -> dict[str, Any]:
    """An EventBridge partner event whose detail is the notification."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": notification.get("NotificationType", "ORDER_CHANGE"),
        "source": "aws.partner/sellingpartnerapi.amazon.com/amzn1.sellerapps.app.test",
        "account": "123456789012",
        "time": "2026-01-05T10:00:02Z",
        "region": "us-east-1",
        "resources": [],
        "detail": notification,
    }


def relay_mail(text: str = "My package never arrived.", *, message_id: str | None = None) -> bytes:
    """A buyer message relayed by Amazon (current plain-text template)."""
    mid = message_id or f"{uuid.uuid4()}@relay.test"
    head = (
        'From: "Jane - Amazon Marketplace" <abcdefghij12345@marketplace.amazon.com>\r\n'
        "To: support@seller.example\r\n"
        "Subject: Order delivery inquiry from Amazon customer Jane (Order: 111-2222222-3333333)\r\n"
        f"Message-ID: <{mid}>\r\n"
        "Date: Mon, 05 Jan 2026 10:00:00 +0000\r\n"
        "X-Marketplace-ID: ATVPDKIKX0DER\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    body = f"------------- Message: -------------\r\n\r\n{text}\r\n\r\n------------- End message -------------\r\n"
    return (head + body).encode()


def ses_received(
    *, raw: bytes | None = None, s3: tuple[str, str] | None = None, encoding: str = "BASE64"
) -> dict[str, Any]:
    """An SES "Received" notification: the mail inline (SNS action) or in S3 (S3 action)."""
    message_id = uuid.uuid4().hex
    action: dict[str, Any]
    if s3 is not None:
        action = {"type": "S3", "topicArn": "arn:aws:sns:us-east-1:123456789012:inbound", "bucketName": s3[0]}
        action["objectKey"] = s3[1]
    else:
        action = {
            "type": "SNS",
            "topicArn": "arn:aws:sns:us-east-1:123456789012:inbound",
            "encoding": encoding,
        }
    doc: dict[str, Any] = {
        "notificationType": "Received",
        "receipt": {
            "timestamp": "2026-01-05T10:00:00.000Z",
            "recipients": ["support@seller.example"],
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "spfVerdict": {"status": "PASS"},
            "dkimVerdict": {"status": "PASS"},
            "dmarcVerdict": {"status": "PASS"},
            "action": action,
        },
        "mail": {
            "timestamp": "2026-01-05T10:00:00.000Z",
            "source": "abcdefghij12345@marketplace.amazon.com",
            "messageId": message_id,
            "destination": ["support@seller.example"],
        },
    }
    if raw is not None:
        doc["content"] = base64.b64encode(raw).decode() if encoding == "BASE64" else raw.decode()
    return doc


RETURNS_HEADER = demo_reports.RETURNS_HEADER


def returns_report(*rows: tuple[str, str, str]) -> bytes:
    """A seller-fulfilled returns flat file; each row is (order id, RMA, return quantity)."""
    return demo_reports.returns_report(rows)


def feedback_report(*order_ids: str) -> bytes:
    """A negative-feedback report with a one-star row per order."""
    lines = ["Date\tRating\tComments\tYour Response\tOrder ID\tRater Email"]
    lines += [
        f"01/05/26\t1\tNever arrived\t\t{order_id}\tbuyer@marketplace.amazon.com" for order_id in order_ids
    ]
    return ("\n".join(lines) + "\n").encode()
