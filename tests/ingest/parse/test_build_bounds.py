"""Ingest builds events from outside input that may not fit: optional identifiers are left out, keys and text
are bounded, a required field that does not fit rejects the input with the reason."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.ingest.parse import parse_notification
from services.ingest.parse.build import build_event
from services.ingest.parse.relay import parse_relay_email
from shared.demo.envelopes import order_change_notification
from shared.demo.mails import RelayMail, relay_email
from shared.errors import ValidationError
from shared.events import ComplaintSignalReceived, OrderContextUpdated, SignalSource


def _fields(**extra: Any) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": datetime.now(UTC),
        "seller_id": "S1",
        "dedup_key": "k",
        "correlation_id": "c",
        "source": "email",
        "kind": "buyer_message",
        **extra,
    }


def test_optional_identifiers_past_their_column_are_left_out() -> None:
    event = build_event(ComplaintSignalReceived, **_fields(asin="B" * 17, currency="EURO", sku="s" * 65))
    assert (event.asin, event.currency, event.sku) == (None, None, None)


def test_a_required_field_past_its_column_rejects_with_the_reason() -> None:
    with pytest.raises(ValidationError, match="seller_id: String should have at most 64 characters"):
        build_event(ComplaintSignalReceived, **_fields(seller_id="S" * 65, asin="B" * 17))


def test_other_problems_are_not_hidden_by_leaving_fields_out() -> None:
    with pytest.raises(ValidationError, match="feedback_rating"):
        build_event(ComplaintSignalReceived, **_fields(asin="B" * 17, feedback_rating=9))


@pytest.mark.parametrize("length", [496, 500, 620])
def test_a_long_message_id_still_becomes_an_event_within_its_columns(length: int) -> None:
    local = "m" * (length - len("<@relay.example>"))
    mail = RelayMail(
        language="en",
        alias="abcdefabcdefabc",
        buyer_name="Pat",
        order_id="111-1234567-1234567",
        text="It never arrived \x00 at all",
        message_id=f"<{local}@relay.example>",
        sent_at=datetime.now(UTC),
        item="T" * 1500 + " | " + "S" * 70,
    )
    event = parse_relay_email(
        relay_email(mail),
        seller_for_recipient=lambda _: "S1",
        received_at=datetime.now(UTC),
        correlation_id="c",
    )
    assert event.message_id is not None
    assert len(event.message_id) <= 512
    assert len(event.dedup_key) <= 512
    assert "\x00" not in event.text
    assert event.sku is None
    assert event.item_title is not None
    assert len(event.item_title) == 1000


def test_an_order_change_with_oversized_optional_fields_keeps_the_rest() -> None:
    doc = json.loads(
        order_change_notification(
            seller_id="S1",
            order_id="111-1234567-1234567",
            marketplace_id="ATVPDKIKX0DER",
            status="Shipped",
            event_time=datetime.now(UTC),
            change_reason="by\x00 buyer",
        )
    )
    summary = doc["Payload"]["OrderChangeNotification"]["Summary"]
    summary["FulfillmentType"] = "MFN" * 3
    summary["OrderStatus"] = "Shipped" + "x" * 30
    event = parse_notification(
        doc, source=SignalSource.SQS, received_at=datetime.now(UTC), correlation_id="c"
    )
    assert isinstance(event, OrderContextUpdated)
    assert (event.fulfillment_type, event.order_status) == (None, None)
    assert event.order_id == "111-1234567-1234567"
    assert "\x00" not in json.dumps(event.model_dump(mode="json"))
