"""Decode one SQS message body (or an EventBridge HTTP post) into what it carries.

Shapes accepted (mail NOTES §2, SP-API NOTES §1.3):
- an SP-API notification, sent straight to SQS;
- an EventBridge event whose ``detail`` is the notification (rule target SQS or API destination);
- an SNS envelope (``Type: Notification``) whose ``Message`` is an SES "Received" notification;
- an SES "Received" notification on its own (SNS raw message delivery).
SES notifications carry the mail inline (``content``, UTF8 or BASE64) or point to an S3 object.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.ingest.parse.fields import ci_get, ci_str, parse_timestamp
from shared.errors import ValidationError
from shared.events import SignalSource

__all__ = [
    "EVENTBRIDGE_SOURCE_PREFIX",
    "Envelope",
    "SesMail",
    "SesMetadata",
    "SesS3Reference",
    "SpApiNotification",
    "decode_document",
    "decode_sqs_body",
]

EVENTBRIDGE_SOURCE_PREFIX = "aws.partner/sellingpartnerapi.amazon.com"


@dataclass(frozen=True, slots=True)
class SpApiNotification:
    """An SP-API notification document and the channel it came through."""

    document: Mapping[str, Any]
    source: SignalSource
    eventbridge_id: str | None = None


@dataclass(frozen=True, slots=True)
class SesMetadata:
    """What SES says about a received mail, besides the mail itself."""

    message_id: str
    recipients: tuple[str, ...]
    timestamp: datetime | None
    spam_verdict: str | None
    virus_verdict: str | None
    sns_message_id: str | None
    spf_verdict: str | None = None
    dkim_verdict: str | None = None
    dmarc_verdict: str | None = None


@dataclass(frozen=True, slots=True)
class SesMail:
    """An inbound mail delivered inline: the raw RFC 822 bytes."""

    raw: bytes
    ses: SesMetadata


@dataclass(frozen=True, slots=True)
class SesS3Reference:
    """An inbound mail stored by an SES S3 action; the caller fetches ``s3://bucket/key``."""

    bucket: str
    key: str
    ses: SesMetadata

    @property
    def uri(self) -> str:
        """The object as an ``s3://`` URI."""
        return f"s3://{self.bucket}/{self.key}"


Envelope = SpApiNotification | SesMail | SesS3Reference


def _loads(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"{what} is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise ValidationError(f"{what} is nested too deeply to be a notification") from exc


def _is_notification(doc: Mapping[str, Any]) -> bool:
    return ci_get(doc, "NotificationType") is not None and ci_get(doc, "Payload") is not None


def _eventbridge(doc: Mapping[str, Any]) -> SpApiNotification:
    detail = doc["detail"]
    source = doc.get("source")
    detail_type = doc.get("detail-type")
    if not isinstance(detail, Mapping):
        raise ValidationError("EventBridge event detail is not an object")
    if isinstance(source, str) and not source.startswith(EVENTBRIDGE_SOURCE_PREFIX):
        raise ValidationError(f"EventBridge event from unexpected source {source!r}")
    if ci_get(detail, "NotificationType") is None and isinstance(detail_type, str):
        # Amazon's detail is the whole notification; tolerate a detail stripped of its type.
        detail = {"NotificationType": detail_type, **detail}
    if not _is_notification(detail):
        raise ValidationError("EventBridge event detail is not an SP-API notification")
    event_id = doc.get("id")
    return SpApiNotification(
        detail, SignalSource.EVENTBRIDGE, event_id if isinstance(event_id, str) else None
    )


def _strings(value: object) -> tuple[str, ...]:
    return tuple(item for item in value if isinstance(item, str)) if isinstance(value, list) else ()


def _ses(doc: Mapping[str, Any], sns_message_id: str | None) -> SesMail | SesS3Reference:
    kind = doc.get("notificationType")
    if kind != "Received":
        raise ValidationError(f"SES notification of type {kind!r} is not an inbound mail")
    receipt = doc.get("receipt") if isinstance(doc.get("receipt"), Mapping) else {}
    action = ci_get(receipt, "action") if isinstance(ci_get(receipt, "action"), Mapping) else {}
    message_id = ci_str(doc, "mail", "messageId")
    if message_id is None:
        raise ValidationError("SES notification has no mail.messageId")
    meta = SesMetadata(
        message_id=message_id,
        recipients=_strings(ci_get(receipt, "recipients")) or _strings(ci_get(doc, "mail", "destination")),
        timestamp=parse_timestamp(ci_get(doc, "mail", "timestamp"), field="mail.timestamp"),
        spam_verdict=ci_str(receipt, "spamVerdict", "status"),
        virus_verdict=ci_str(receipt, "virusVerdict", "status"),
        sns_message_id=sns_message_id,
        spf_verdict=ci_str(receipt, "spfVerdict", "status"),
        dkim_verdict=ci_str(receipt, "dkimVerdict", "status"),
        dmarc_verdict=ci_str(receipt, "dmarcVerdict", "status"),
    )
    content = doc.get("content")
    if isinstance(content, str):
        if str(ci_get(action, "encoding") or "UTF8").upper() == "BASE64":
            try:
                raw = base64.b64decode(content, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValidationError("SES content declared BASE64 but does not decode") from exc
        else:
            # UTF8 mode already lost what UTF-8 cannot carry; never fail on a stray surrogate.
            raw = content.encode("utf-8", "replace")
        return SesMail(raw, meta)
    if ci_str(action, "type") == "S3":
        bucket, key = ci_str(action, "bucketName"), ci_str(action, "objectKey")
        if bucket is None or key is None:
            raise ValidationError("SES S3 action without bucketName/objectKey")
        return SesS3Reference(bucket, key, meta)
    raise ValidationError("SES notification has neither inline content nor an S3 action")


def _decode(doc: object, *, in_sns: bool, sns_message_id: str | None) -> Envelope:
    if not isinstance(doc, Mapping):
        raise ValidationError("message body is not a JSON object")
    if doc.get("Type") == "Notification" and "Message" in doc:
        if in_sns:
            raise ValidationError("SNS envelope nested in an SNS envelope")
        message = doc["Message"]
        inner = _loads(message, "SNS Message") if isinstance(message, str) else message
        envelope_id = doc.get("MessageId")
        return _decode(
            inner, in_sns=True, sns_message_id=envelope_id if isinstance(envelope_id, str) else None
        )
    if isinstance(doc.get("Type"), str) and "TopicArn" in doc:
        raise ValidationError(f"SNS {doc['Type']} message is not a notification")
    if "notificationType" in doc and ("mail" in doc or "receipt" in doc):
        return _ses(doc, sns_message_id)
    if isinstance(doc.get("detail"), Mapping):
        return _eventbridge(doc)
    if _is_notification(doc):
        return SpApiNotification(doc, SignalSource.SQS)
    raise ValidationError("unknown message shape: not an SP-API notification, EventBridge event, SNS or SES")


def decode_document(doc: object) -> Envelope:
    """Classify an already-decoded JSON document (an SQS body or an EventBridge HTTP post)."""
    return _decode(doc, in_sns=False, sns_message_id=None)


def decode_sqs_body(body: str | bytes) -> Envelope:
    """Decode one SQS message body; raises ValidationError for anything unrecognised."""
    return decode_document(_loads(body, "SQS body"))
