"""SP-API notifications of every handled type, in both key casings and both delivery envelopes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.ingest.parse.envelopes import SpApiNotification, decode_sqs_body
from services.ingest.parse.notifications import parse_notification, report_ready
from shared.errors import ValidationError
from shared.events import (
    AmazonEvent,
    NotificationReceived,
    OrderContextUpdated,
    SellerAccountStatusChanged,
    SignalSource,
    event_id_for,
    parse_amazon_event,
)
from tests.ingest.parse.support import FIXTURES, RECEIVED_AT, eventbridge_event, load_json, recase

# fixture -> (event class, notification type, order id, seller id or None when the payload has none)
CASES: dict[str, tuple[type[Any], str, str | None, str | None]] = {
    "order_change": (OrderContextUpdated, "ORDER_CHANGE", "112-3456789-0123456", "A1TESTSELLER01"),
    "shipment_tracking_milestone_changed": (
        OrderContextUpdated,
        "SHIPMENT_TRACKING_MILESTONE_CHANGED",
        None,
        None,
    ),
    "fulfillment_order_status": (
        OrderContextUpdated,
        "FULFILLMENT_ORDER_STATUS",
        "MCF-WEB-100234",
        "A1TESTSELLER01",
    ),
    "fba_outbound_shipment_status": (
        OrderContextUpdated,
        "FBA_OUTBOUND_SHIPMENT_STATUS",
        "701-2345678-3456789",
        "A1TESTSELLER01",
    ),
    "account_status_changed": (SellerAccountStatusChanged, "ACCOUNT_STATUS_CHANGED", None, None),
    "report_processing_finished": (
        NotificationReceived,
        "REPORT_PROCESSING_FINISHED",
        None,
        "A1TESTSELLER01",
    ),
    "any_offer_changed": (NotificationReceived, "ANY_OFFER_CHANGED", None, "A1TESTSELLER01"),
}
FALLBACK_SELLER = "A9FALLBACKSELLER"


def _fixture(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = load_json(FIXTURES / "notifications" / f"{name}.json")
    return doc


def _parse(doc: dict[str, Any], **overrides: Any) -> AmazonEvent:
    options: dict[str, Any] = {
        "source": SignalSource.SQS,
        "received_at": RECEIVED_AT,
        "correlation_id": "corr-1",
        "default_seller_id": FALLBACK_SELLER,
    }
    options.update(overrides)
    return parse_notification(doc, **options)


def _via_envelope(doc: dict[str, Any], envelope: str) -> AmazonEvent:
    body = json.dumps(eventbridge_event(doc) if envelope == "eventbridge" else doc)
    decoded = decode_sqs_body(body)
    assert isinstance(decoded, SpApiNotification)
    return _parse(dict(decoded.document), source=decoded.source)


@pytest.mark.parametrize("envelope", ["sqs", "eventbridge"])
@pytest.mark.parametrize("casing", ["pascal", "camel"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_type_in_both_casings_and_envelopes(name: str, casing: str, envelope: str) -> None:
    model, notification_type, order_id, seller_id = CASES[name]
    doc = recase(_fixture(name), casing)
    event = _via_envelope(doc, envelope)
    assert isinstance(event, model)
    metadata = doc.get("NotificationMetadata") or doc["notificationMetadata"]
    notification_id = metadata.get("NotificationId") or metadata["notificationId"]
    assert event.dedup_key == f"spapi:{notification_id}"
    assert event.event_id == event_id_for(event.dedup_key)
    assert event.order_id == order_id
    assert event.seller_id == (seller_id or FALLBACK_SELLER)
    assert event.source is (SignalSource.EVENTBRIDGE if envelope == "eventbridge" else SignalSource.SQS)
    if not isinstance(event, SellerAccountStatusChanged):
        assert event.notification_type == notification_type


@pytest.mark.parametrize("name", sorted(CASES))
def test_casing_and_envelope_do_not_change_the_event(name: str) -> None:
    variants = [
        _via_envelope(recase(_fixture(name), casing), envelope).model_dump(
            exclude={"source", "details", "payload"}
        )
        for casing in ("pascal", "camel")
        for envelope in ("sqs", "eventbridge")
    ]
    assert all(variant == variants[0] for variant in variants[1:])


def test_order_change_fields() -> None:
    event = _parse(_fixture("order_change"))
    assert isinstance(event, OrderContextUpdated)
    assert event.occurred_at == datetime(2024, 6, 3, 8, 15, 30, 120000, tzinfo=UTC)
    assert event.marketplace_id == "ATVPDKIKX0DER"
    assert event.region == "na"
    assert (event.order_status, event.order_change_type, event.change_reason) == (
        "Shipped",
        "OrderStatusChange",
        "Order shipped",
    )
    assert event.fulfillment_type == "MFN"
    assert event.purchase_date == datetime(2024, 5, 30, 19, 0, tzinfo=UTC)
    assert event.earliest_ship_date == datetime(2024, 5, 31, 7, 0, tzinfo=UTC)
    assert event.latest_delivery_date == datetime(2024, 6, 7, 6, 59, 59, tzinfo=UTC)
    assert event.tracking_milestone == "REJECTED_BY_BUYER"
    assert (event.order_amount, event.currency) == (Decimal("89.99"), "USD")
    assert event.details["OrderItems"][0]["SellerSKU"] == "TRS-09-BLK"
    assert event.details["OrderPrograms"] == ["Prime"]
    assert event.details["TimeOfOrderChange"] == "2024-06-03T08:15:00Z"
    assert "OrderStatus" not in event.details


def test_tracking_milestone_fields() -> None:
    event = _parse(_fixture("shipment_tracking_milestone_changed"))
    assert isinstance(event, OrderContextUpdated)
    assert event.tracking_milestone == "LOST"
    assert (event.tracking_number, event.carrier) == ("1ZTEST999999999999", "UPS")
    assert event.earliest_delivery_date == datetime(2026, 6, 8, 15, 0, tzinfo=UTC)
    assert event.latest_delivery_date == datetime(2026, 6, 9, 3, 0, tzinfo=UTC)
    assert [item["code"] for item in event.details["milestoneHistory"]] == ["LOST", "SHIPPED"]
    assert event.details["location"]["address"]["city"] == "Reno"


def test_tracking_milestone_falls_back_to_history_and_identifier() -> None:
    doc = _fixture("shipment_tracking_milestone_changed")
    detail = doc["payload"]["shipmentTrackingMilestoneChangedNotification"]["trackingDetail"]
    del detail["latestMilestone"]
    detail["identifier"] = {"aftn": "AFTNTEST000001"}
    event = _parse(doc)
    assert isinstance(event, OrderContextUpdated)
    assert (event.tracking_milestone, event.tracking_number, event.carrier) == (
        "LOST",
        "AFTNTEST000001",
        None,
    )


def test_fulfillment_order_status_fields() -> None:
    event = _parse(_fixture("fulfillment_order_status"))
    assert isinstance(event, OrderContextUpdated)
    assert (event.order_status, event.order_change_type, event.fulfillment_type) == (
        "Processing",
        "Shipment",
        "AFN",
    )
    assert (event.carrier, event.tracking_number) == ("USPS", "9400TEST0000000000001")
    assert event.latest_delivery_date == datetime(2024, 6, 8, 20, 0, tzinfo=UTC)
    assert len(event.details["FulfillmentShipment"]["FulfillmentShipmentPackages"]) == 2


def test_fulfillment_order_id_longer_than_an_order_id_stays_in_details() -> None:
    doc = _fixture("fulfillment_order_status")
    long_id = "MCF-" + "9" * 36
    doc["Payload"]["FulfillmentOrderStatusNotification"]["SellerFulfillmentOrderId"] = long_id
    event = _parse(doc)
    assert isinstance(event, OrderContextUpdated)
    assert event.order_id is None
    assert event.details["SellerFulfillmentOrderId"] == long_id


def test_fba_outbound_fields() -> None:
    event = _parse(_fixture("fba_outbound_shipment_status"))
    assert isinstance(event, OrderContextUpdated)
    assert event.details == {"AmazonShipmentId": "TESTSHIP02", "ShipmentStatus": "Cancelled"}


def test_account_status_changed() -> None:
    event = _parse(_fixture("account_status_changed"))
    assert isinstance(event, SellerAccountStatusChanged)
    assert (event.previous_status, event.current_status) == ("NORMAL", "AT_RISK")
    assert event.notification_id == "nid-account-0005"


def test_seller_from_subscription_lookup_before_default() -> None:
    lookups: list[str] = []

    def seller_for_subscription(subscription_id: str) -> str | None:
        lookups.append(subscription_id)
        return "A2SUBSCRIBEDSELLER"

    event = _parse(_fixture("account_status_changed"), seller_for_subscription=seller_for_subscription)
    assert event.seller_id == "A2SUBSCRIBEDSELLER"
    assert lookups == ["sub-account-0005"]


def test_seller_from_merchant_account_id() -> None:
    doc = _fixture("report_processing_finished")
    del doc["payload"]["reportProcessingFinishedNotification"]["sellerId"]
    assert _parse(doc, default_seller_id=None).seller_id == "A1TESTSELLER01"


def test_no_seller_anywhere_is_rejected() -> None:
    with pytest.raises(ValidationError, match="no seller id"):
        _parse(_fixture("account_status_changed"), default_seller_id=None)


def test_report_ready() -> None:
    event = _parse(_fixture("report_processing_finished"))
    ready = report_ready(event)
    assert ready is not None
    assert ready.seller_id == "A1TESTSELLER01"
    assert ready.report_type == "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
    assert (ready.report_id, ready.processing_status) == ("50000000001", "DONE")
    assert ready.report_document_id == "amzn1.spdoc.1.4.na.test-document-0006"
    assert ready.downloadable
    assert report_ready(_parse(_fixture("order_change"))) is None
    assert report_ready(_parse(_fixture("any_offer_changed"))) is None


def test_cancelled_report_is_not_downloadable() -> None:
    doc = _fixture("report_processing_finished")
    body = doc["payload"]["reportProcessingFinishedNotification"]
    body["processingStatus"] = "CANCELLED"
    del body["reportDocumentId"]
    ready = report_ready(_parse(doc))
    assert ready is not None
    assert ready.report_document_id is None
    assert not ready.downloadable


def test_other_types_keep_their_payload() -> None:
    doc = _fixture("any_offer_changed")
    event = _parse(doc)
    assert isinstance(event, NotificationReceived)
    assert event.payload == doc["Payload"]
    assert event.marketplace_id == "A1PA6795UKMFR9"


def test_occurred_at_falls_back_to_publish_time_then_received_at() -> None:
    doc = _fixture("fba_outbound_shipment_status")
    del doc["EventTime"]
    assert _parse(doc).occurred_at == datetime(2024, 6, 6, 10, 0, 1, tzinfo=UTC)
    del doc["NotificationMetadata"]["PublishTime"]
    assert _parse(doc).occurred_at == RECEIVED_AT


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda doc: doc.pop("NotificationType"), "no NotificationType"),
        (lambda doc: doc["NotificationMetadata"].pop("NotificationId"), "NotificationId is missing"),
        (lambda doc: doc.pop("Payload"), "Payload object is missing"),
        (lambda doc: doc.update(EventTime="yesterday"), "EventTime"),
        (
            lambda doc: doc["Payload"]["OrderChangeNotification"].pop("AmazonOrderId"),
            "AmazonOrderId is missing",
        ),
        (lambda doc: doc["Payload"].update(OrderChangeNotification=None), "no OrderChangeNotification"),
        (
            lambda doc: doc["Payload"]["OrderChangeNotification"]["Summary"].update(PurchaseDate=5j),
            "PurchaseDate",
        ),
    ],
)
def test_missing_or_bad_fields_are_validation_errors(mutate: Any, message: str) -> None:
    doc = _fixture("order_change")
    mutate(doc)
    with pytest.raises(ValidationError, match=message):
        _parse(doc)


def test_account_status_without_current_status_is_rejected() -> None:
    doc = _fixture("account_status_changed")
    del doc["payload"]["accountStatusChangeNotification"]["currentAccountStatus"]
    with pytest.raises(ValidationError, match="currentAccountStatus"):
        _parse(doc)


def test_report_notification_without_report_id_is_rejected() -> None:
    doc = _fixture("report_processing_finished")
    del doc["payload"]["reportProcessingFinishedNotification"]["reportId"]
    with pytest.raises(ValidationError, match="reportId"):
        _parse(doc)


def test_oversized_field_is_a_validation_error() -> None:
    doc = _fixture("fba_outbound_shipment_status")
    doc["Payload"]["FBAOutboundShipmentStatusNotification"]["SellerId"] = "S" * 65
    with pytest.raises(ValidationError, match="seller_id"):
        _parse(doc)


def test_kafka_json_round_trips() -> None:
    for name in CASES:
        event = _parse(_fixture(name))
        assert parse_amazon_event(event.model_dump_json()) == event
