"""Amazon's own notification examples: valid against Amazon's schemas, and parsed into the right fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from services.ingest.parse.fields import ci_get, parse_timestamp
from services.ingest.parse.notifications import parse_notification, report_ready
from shared.events import NotificationReceived, OrderContextUpdated, SignalSource
from tests.ingest.parse.support import FIXTURES, RECEIVED_AT, load_json, recase
from tests.reference import reference_dir

SCHEMA_FILES = [
    "OrderChangeNotification.json",
    "FulfillmentOrderStatusNotification.json",
    "FBAOutboundShipmentStatusNotification.json",
    "ReportProcessingFinishedNotification.json",
    "FeedProcessingFinishedNotification.json",
    "OrderStatusChangeNotification.json",
    "MfnOrderStatusChangeNotification.json",
]


def _examples(file_name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    schema: dict[str, Any] = load_json(reference_dir("spapi", file_name))
    return schema, list(schema.get("examples", []))


def _parse(doc: dict[str, Any]) -> Any:
    return parse_notification(
        doc,
        source=SignalSource.SQS,
        received_at=RECEIVED_AT,
        correlation_id="official",
        default_seller_id="VENDORFALLBACK",
    )


@pytest.mark.parametrize("file_name", SCHEMA_FILES)
def test_official_examples_validate_and_parse(file_name: str) -> None:
    schema, examples = _examples(file_name)
    assert examples, f"{file_name} has no examples"
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    for example in examples:
        validator_class(schema).validate(example)
        for casing in ("pascal", "camel"):
            event = _parse(recase(example, casing))
            metadata = ci_get(example, "NotificationMetadata")
            assert event.dedup_key == f"spapi:{ci_get(metadata, 'NotificationId')}"
            assert event.occurred_at == parse_timestamp(ci_get(example, "EventTime"), field="EventTime")
            body = next(iter(ci_get(example, "Payload").values()))
            assert event.seller_id == (ci_get(body, "SellerId") or "VENDORFALLBACK")
            assert event.order_id == (ci_get(body, "AmazonOrderId") or _mcf_order(body))


def _mcf_order(body: dict[str, Any]) -> str | None:
    value = ci_get(body, "SellerFulfillmentOrderId")
    return str(value) if value is not None else None


def test_official_order_change_example_fields() -> None:
    _, examples = _examples("OrderChangeNotification.json")
    example = examples[0]
    body = example["Payload"]["OrderChangeNotification"]
    event = _parse(example)
    assert isinstance(event, OrderContextUpdated)
    assert event.order_status == body["Summary"]["OrderStatus"]
    assert event.order_change_type == body["OrderChangeType"]
    assert event.change_reason == body["OrderChangeTrigger"]["ChangeReason"]
    assert event.fulfillment_type == body["Summary"]["FulfillmentType"]
    assert event.marketplace_id == body["Summary"]["MarketplaceId"]
    assert event.purchase_date == parse_timestamp(body["Summary"]["PurchaseDate"], field="PurchaseDate")
    assert event.latest_delivery_date == parse_timestamp(body["Summary"]["LatestDeliveryDate"], field="x")
    assert event.details["OrderItems"] == body["Summary"]["OrderItems"]


def test_official_fulfillment_example_fields() -> None:
    _, examples = _examples("FulfillmentOrderStatusNotification.json")
    body = examples[0]["Payload"]["FulfillmentOrderStatusNotification"]
    event = _parse(examples[0])
    assert isinstance(event, OrderContextUpdated)
    first_package = body["FulfillmentShipment"]["FulfillmentShipmentPackages"][0]
    assert (event.carrier, event.tracking_number) == (
        first_package["CarrierCode"],
        first_package["TrackingNumber"],
    )
    assert event.order_status == body["FulfillmentOrderStatus"]
    assert event.details["FulfillmentReturnItem"] == body["FulfillmentReturnItem"]


def test_official_report_examples_give_report_ready() -> None:
    _, examples = _examples("ReportProcessingFinishedNotification.json")
    for example in examples:
        body = example["payload"]["reportProcessingFinishedNotification"]
        event = _parse(example)
        assert isinstance(event, NotificationReceived)
        ready = report_ready(event)
        assert ready is not None
        assert (ready.report_id, ready.report_type) == (body["reportId"], body["reportType"])
        assert ready.report_document_id == body.get("reportDocumentId")
        assert ready.processing_status == body["processingStatus"]


def _tracking_validator() -> Any:
    model = load_json(reference_dir("spapi", "tracking_2026-01-30.json"))
    schema = {"$ref": "#/definitions/TrackingDetail", "definitions": model["definitions"]}
    return jsonschema.Draft4Validator(schema)


def test_official_tracking_example_validates_against_the_tracking_model_and_parses() -> None:
    path: Path = reference_dir("spapi", "ShipmentTrackingMilestoneChangedNotification.json")
    example = load_json(path)["examples"][0]
    detail = example["payload"]["shipmentTrackingMilestoneChangedNotification"]["trackingDetail"]
    # The notification schema's own $ref points to an empty definitions block; the tracking model is usable.
    _tracking_validator().validate(detail)
    for casing in ("camel", "pascal"):
        event = _parse(recase(example, casing))
        assert isinstance(event, OrderContextUpdated)
        assert event.tracking_milestone == detail["latestMilestone"]["status"]["code"]
        assert event.tracking_number == detail["identifier"]["aftn"]
        estimate = detail["trackingEstimates"][0]["estimatedInterval"]
        assert event.latest_delivery_date == parse_timestamp(estimate["endTime"], field="endTime")
        assert event.details["trackingUrl"] == detail["trackingUrl"]
        assert event.seller_id == "VENDORFALLBACK"


def _without_required(schema: Any, *names: str) -> Any:
    """The schema with ``names`` dropped from every ``required`` list."""
    if isinstance(schema, dict):
        return {
            key: [item for item in value if item not in names]
            if key == "required"
            else _without_required(value, *names)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_without_required(item, *names) for item in schema]
    return schema


def test_our_fixtures_validate_against_the_official_schemas() -> None:
    fixtures = {
        "order_change": "OrderChangeNotification.json",
        "fulfillment_order_status": "FulfillmentOrderStatusNotification.json",
        "fba_outbound_shipment_status": "FBAOutboundShipmentStatusNotification.json",
        "report_processing_finished": "ReportProcessingFinishedNotification.json",
    }
    for fixture, schema_file in fixtures.items():
        schema, _ = _examples(schema_file)
        # The MCF schema was generated from its example: it requires FulfillmentReturnItem (sent only for
        # EventType=Return, SP-API NOTES §1.5) and an undocumented FulfillmentShipment.info object.
        schema = _without_required(schema, "FulfillmentReturnItem", "info")
        doc = load_json(FIXTURES / "notifications" / f"{fixture}.json")
        jsonschema.validators.validator_for(schema)(schema).validate(doc)
    tracking = load_json(FIXTURES / "notifications" / "shipment_tracking_milestone_changed.json")
    _tracking_validator().validate(
        tracking["payload"]["shipmentTrackingMilestoneChangedNotification"]["trackingDetail"]
    )
