"""Helpers shared by the ingest tests: fixture paths and envelope builders."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "FIXTURES",
    "RECEIVED_AT",
    "eventbridge_event",
    "load_json",
    "recase",
    "ses_notification",
    "sns_envelope",
]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RECEIVED_AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def load_json(path: Path) -> Any:
    """Parse a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def _recase_key(key: str, style: str) -> str:
    if style == "pascal":
        return key[:1].upper() + key[1:]
    if key.isupper():
        return key.lower()
    # camelCase lowers a leading capital run except the letter that starts the next word (FBAOutbound...).
    match = re.match(r"^([A-Z]+)(?=[A-Z][a-z])|^([A-Z])", key)
    if match is None:
        return key
    head = match.group(0)
    return head.lower() + key[len(head) :]


def recase(value: Any, style: str) -> Any:
    """The same JSON with every object key in ``pascal`` or ``camel`` case."""
    if isinstance(value, dict):
        return {_recase_key(key, style): recase(item, style) for key, item in value.items()}
    if isinstance(value, list):
        return [recase(item, style) for item in value]
    return value


def eventbridge_event(notification: dict[str, Any], *, event_id: str = "eb-0001") -> dict[str, Any]:
    """An SP-API notification as EventBridge delivers it (``detail`` = the notification)."""
    notification_type = notification.get("NotificationType") or notification.get("notificationType")
    return {
        "version": "0",
        "id": event_id,
        "detail-type": notification_type,
        "source": "aws.partner/sellingpartnerapi.amazon.com/123456789012/amzn1.sellerapps.app.test-0001",
        "account": "123456789012",
        "time": "2026-01-01T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": notification,
    }


def ses_notification(
    raw: bytes | None,
    *,
    encoding: str = "UTF8",
    s3: tuple[str, str] | None = None,
    message_id: str = "ses-test-message-0001",
    recipients: tuple[str, ...] = ("inbox@seller.example",),
) -> dict[str, Any]:
    """An SES "Received" notification carrying ``raw`` inline (UTF8 or BASE64) or pointing at S3."""
    action: dict[str, Any] = {"type": "SNS", "topicArn": "arn:aws:sns:us-east-1:123456789012:inbound"}
    if s3 is not None:
        action = {"type": "S3", "topicArn": action["topicArn"], "bucketName": s3[0], "objectKey": s3[1]}
    else:
        action["encoding"] = encoding
    doc: dict[str, Any] = {
        "notificationType": "Received",
        "mail": {
            "timestamp": "2026-01-01T11:59:58.000Z",
            "source": "bounce@marketplace.amazon.com",
            "messageId": message_id,
            "destination": list(recipients),
            "headersTruncated": False,
        },
        "receipt": {
            "timestamp": "2026-01-01T11:59:58.000Z",
            "recipients": list(recipients),
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "spfVerdict": {"status": "PASS"},
            "dkimVerdict": {"status": "PASS"},
            "dmarcVerdict": {"status": "PASS"},
            "action": action,
        },
    }
    if raw is not None and s3 is None:
        doc["content"] = base64.b64encode(raw).decode() if encoding == "BASE64" else raw.decode("utf-8")
    return doc


def sns_envelope(message: dict[str, Any], *, message_id: str = "sns-0001") -> dict[str, Any]:
    """The SNS-to-SQS envelope around a JSON message (raw message delivery off)."""
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:inbound",
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": json.dumps(message),
        "Timestamp": "2026-01-01T11:59:59.000Z",
        "SignatureVersion": "1",
        "Signature": "dGVzdA==",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }
