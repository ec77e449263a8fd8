"""SQS bodies: raw SP-API notifications, EventBridge events, SNS envelopes and SES notifications."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.ingest.parse.envelopes import (
    SesMail,
    SesS3Reference,
    SpApiNotification,
    decode_document,
    decode_sqs_body,
)
from shared.errors import ValidationError
from shared.events import SignalSource
from tests.ingest.parse.support import (
    FIXTURES,
    eventbridge_event,
    load_json,
    ses_notification,
    sns_envelope,
)
from tests.reference import reference_dir

MAIL = (FIXTURES / "mail" / "de_current_multipart_qp.eml").read_bytes()
JAPANESE_MAIL = (FIXTURES / "mail" / "ja_shiftjis_html_pre.eml").read_bytes()


def _notification() -> dict[str, Any]:
    doc: dict[str, Any] = load_json(FIXTURES / "notifications" / "order_change.json")
    return doc


def test_raw_sqs_body_is_the_notification() -> None:
    decoded = decode_sqs_body(json.dumps(_notification()))
    assert isinstance(decoded, SpApiNotification)
    assert decoded.source is SignalSource.SQS
    assert decoded.document == _notification()


def test_eventbridge_event_is_unwrapped() -> None:
    decoded = decode_sqs_body(json.dumps(eventbridge_event(_notification(), event_id="eb-42")).encode())
    assert isinstance(decoded, SpApiNotification)
    assert decoded.source is SignalSource.EVENTBRIDGE
    assert decoded.eventbridge_id == "eb-42"
    assert decoded.document == _notification()


def test_eventbridge_detail_without_type_takes_detail_type() -> None:
    detail = _notification()
    del detail["NotificationType"]
    decoded = decode_document(eventbridge_event({**detail}) | {"detail-type": "ORDER_CHANGE"})
    assert isinstance(decoded, SpApiNotification)
    assert decoded.document["NotificationType"] == "ORDER_CHANGE"


def test_eventbridge_from_another_source_is_rejected() -> None:
    event = eventbridge_event(_notification()) | {"source": "aws.s3"}
    with pytest.raises(ValidationError, match="unexpected source"):
        decode_document(event)


def test_eventbridge_detail_that_is_not_a_notification_is_rejected() -> None:
    event = eventbridge_event(_notification()) | {"detail": {"bucket": "x"}}
    with pytest.raises(ValidationError, match="not an SP-API notification"):
        decode_document(event)


@pytest.mark.parametrize("encoding", ["UTF8", "BASE64"])
@pytest.mark.parametrize("raw_delivery", [True, False])
def test_ses_inline_content(encoding: str, raw_delivery: bool) -> None:
    raw = JAPANESE_MAIL if encoding == "BASE64" else MAIL
    ses = ses_notification(raw, encoding=encoding, message_id="ses-abc", recipients=("shop@seller.example",))
    body = ses if raw_delivery else sns_envelope(ses, message_id="sns-xyz")
    decoded = decode_sqs_body(json.dumps(body))
    assert isinstance(decoded, SesMail)
    assert decoded.raw == raw
    assert decoded.ses.message_id == "ses-abc"
    assert decoded.ses.recipients == ("shop@seller.example",)
    assert decoded.ses.sns_message_id == (None if raw_delivery else "sns-xyz")
    assert decoded.ses.spam_verdict == "PASS"


@pytest.mark.parametrize("raw_delivery", [True, False])
def test_ses_s3_action_is_a_reference(raw_delivery: bool) -> None:
    ses = ses_notification(None, s3=("inbound-mail", "mail/ses-abc"), message_id="ses-abc")
    decoded = decode_sqs_body(json.dumps(ses if raw_delivery else sns_envelope(ses)))
    assert isinstance(decoded, SesS3Reference)
    assert (decoded.bucket, decoded.key, decoded.uri) == (
        "inbound-mail",
        "mail/ses-abc",
        "s3://inbound-mail/mail/ses-abc",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"hello": "world"}', "unknown message shape"),
        (json.dumps(sns_envelope({"hello": "world"})), "unknown message shape"),
        (json.dumps({**sns_envelope({}), "Message": "Hello world!"}), "SNS Message is not valid JSON"),
        (json.dumps({**sns_envelope({}), "Type": "SubscriptionConfirmation"}), "SubscriptionConfirmation"),
        (json.dumps(sns_envelope(sns_envelope(ses_notification(MAIL)))), "nested"),
        (json.dumps(ses_notification(MAIL) | {"notificationType": "Bounce"}), "not an inbound mail"),
        (json.dumps(ses_notification(None)), "neither inline content nor an S3 action"),
        (json.dumps(ses_notification(b"@@@", encoding="BASE64") | {"content": "@@@"}), "BASE64"),
    ],
)
def test_unknown_or_broken_shapes_are_validation_errors(body: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        decode_sqs_body(body)


def test_aws_doc_sns_action_notification() -> None:
    doc = load_json(reference_dir("mail", "examples", "awsdocs-ses-inbound-sns-action-notification.json"))
    decoded = decode_document(doc)
    assert isinstance(decoded, SesMail)
    assert decoded.raw == doc["content"].encode()
    assert decoded.ses.message_id == doc["mail"]["messageId"]
    assert decoded.ses.recipients == tuple(doc["receipt"]["recipients"])


def test_real_sns_action_notification_with_utf8_encoding() -> None:
    doc = load_json(reference_dir("mail", "examples", "ses-inbound-sns-action-utf8.real.json"))
    assert doc["receipt"]["action"]["encoding"] == "UTF8"
    decoded = decode_sqs_body(json.dumps(sns_envelope(doc)))
    assert isinstance(decoded, SesMail)
    assert decoded.raw.startswith(b"Return-Path:")


def test_real_sqs_body_from_an_s3_action() -> None:
    text = reference_dir("mail", "examples", "sqs-body-ses-s3-action.real.json").read_text(encoding="utf-8")
    decoded = decode_sqs_body(text)
    inner = json.loads(json.loads(text)["Message"])
    assert isinstance(decoded, SesS3Reference)
    assert decoded.bucket == inner["receipt"]["action"]["bucketName"]
    assert decoded.key == inner["receipt"]["action"]["objectKey"]
    assert decoded.ses.sns_message_id == json.loads(text)["MessageId"]


def test_aws_doc_s3_alert_has_an_invalid_escape_and_parses_once_fixed() -> None:
    text = reference_dir(
        "mail", "examples", "awsdocs-ses-inbound-s3-action-alert-notification.json"
    ).read_text()
    with pytest.raises(ValidationError, match="not valid JSON"):
        decode_sqs_body(text)
    decoded = decode_sqs_body(text.replace('"\\email"', '"email"'))
    assert isinstance(decoded, SesS3Reference)
    assert (decoded.bucket, decoded.key) == ("my-S3-bucket", "email")


def test_aws_doc_plain_sns_message_is_rejected() -> None:
    text = reference_dir("mail", "examples", "awsdocs-sns-sqs-subscriber-envelope-example.json").read_text()
    with pytest.raises(ValidationError, match="SNS Message is not valid JSON"):
        decode_sqs_body(text)
