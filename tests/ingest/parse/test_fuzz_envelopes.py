"""Fuzz the SQS / SNS / SES / EventBridge envelope decoder and what it hands on, from real payloads."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ingest.parse.envelopes import SesMail, SpApiNotification, decode_document, decode_sqs_body
from services.ingest.parse.notifications import parse_notification
from services.ingest.parse.relay import parse_relay_email
from shared.events import AmazonEvent
from tests.ingest.parse.fuzz_support import (
    FUZZ,
    bytes_mutant,
    check_event,
    deep_json_text,
    fixture_bytes,
    json_mutant,
    nasty_text,
    official_notifications,
    run_parser,
    shared_mail_examples,
)
from tests.ingest.parse.support import RECEIVED_AT, eventbridge_event, ses_notification, sns_envelope


@pytest.fixture(scope="module")
def bodies() -> list[str]:
    """Real SES/SNS payloads, plus the fixture mails and notifications wrapped the ways Amazon sends them."""
    found = shared_mail_examples()
    for raw in fixture_bytes("mail", ".eml")[:4]:
        found.append(json.dumps(sns_envelope(ses_notification(raw, encoding="BASE64"))))
        found.append(json.dumps(ses_notification(raw.decode("utf-8", "replace").encode())))
    for doc in official_notifications():
        found.append(json.dumps(doc))
        found.append(json.dumps(eventbridge_event(doc)))
    return found


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _event(body: str | bytes) -> AmazonEvent | None:
    """Decode a body and parse what it carries, the way the ingest consumer does."""
    envelope = run_parser("envelopes", lambda: decode_sqs_body(body))
    if isinstance(envelope, SpApiNotification):
        return run_parser(
            "notifications",
            lambda: parse_notification(
                envelope.document,
                source=envelope.source,
                received_at=RECEIVED_AT,
                correlation_id="fuzz",
                default_seller_id="SELLERFUZZ",
            ),
        )
    if isinstance(envelope, SesMail):
        return run_parser(
            "relay mail",
            lambda: parse_relay_email(
                envelope.raw,
                seller_for_recipient=lambda _address: None,
                default_seller_id="SELLERFUZZ",
                received_at=envelope.ses.timestamp or RECEIVED_AT,
                correlation_id="fuzz",
                envelope_recipients=envelope.ses.recipients,
                ses_message_id=envelope.ses.message_id,
            ),
        )
    return None


@FUZZ
@given(data=st.data())
def test_mutated_envelopes_give_events_or_classified_errors(bodies: list[str], data: st.DataObject) -> None:
    docs = [json.loads(body) for body in bodies if _is_json(body)]
    doc = data.draw(json_mutant(docs))
    # SNS carries its Message as a JSON string: mutate inside it too.
    if isinstance(doc, dict) and isinstance(doc.get("Message"), str) and doc["Message"].startswith("{"):
        inner = data.draw(json_mutant([json.loads(doc["Message"])]))
        doc = {**doc, "Message": json.dumps(inner, ensure_ascii=data.draw(st.booleans()))}
    text = json.dumps(doc, ensure_ascii=data.draw(st.booleans()))
    event = _event(text)
    if event is not None:
        check_event(event)


@FUZZ
@given(data=st.data())
def test_byte_mangled_envelopes_give_events_or_classified_errors(
    bodies: list[str], data: st.DataObject
) -> None:
    body = data.draw(bytes_mutant([body.encode() for body in bodies]))
    event = _event(body)
    if event is not None:
        check_event(event)


@FUZZ
@given(body=st.one_of(st.binary(max_size=2000), st.text(max_size=2000), nasty_text()))
def test_arbitrary_bodies_give_classified_errors(body: str | bytes) -> None:
    event = _event(body)
    if event is not None:
        check_event(event)


@pytest.mark.parametrize("opener", ["[", "{"])
@pytest.mark.parametrize("where", ["body", "sns message"])
def test_deeply_nested_json_is_a_validation_error(opener: str, where: str) -> None:
    deep = deep_json_text(100_000, opener)
    body = deep if where == "body" else json.dumps({"Type": "Notification", "Message": deep})
    assert run_parser("envelopes", lambda: decode_sqs_body(body)) is None


@pytest.mark.parametrize("doc", [None, [], "x", 1, [{}]])
def test_decode_document_refuses_non_objects(doc: object) -> None:
    assert run_parser("envelopes", lambda: decode_document(doc)) is None
