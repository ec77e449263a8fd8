"""Versioned event contracts carried on Kafka.

Every event is a pydantic model with a literal ``event_type`` and ``schema_version``. Breaking changes get a
new model version and a new topic version (``amazon.events.v2``); additive optional fields keep the version.
The JSON Schemas exported from these models live in ``shared/schemas/`` and a test keeps them in step.

Kafka key = ``seller_id|order_id`` (or ``seller_id|<dedup_key>`` when no order is known), so every event of
one order lands on one partition and stays in order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

from shared.cleaning import bound_key, clean_json, clean_line, clean_text

__all__ = [
    "AccountHealthReported",
    "AmazonEvent",
    "AnyEvent",
    "AsinComplaintSpikeDetected",
    "BuyerActivity",
    "BuyerActivityKind",
    "ComplaintClassified",
    "ComplaintSignalReceived",
    "EventBase",
    "HelpdeskUpdateReceived",
    "NotificationReceived",
    "OdrThresholdCrossed",
    "OrderContextUpdated",
    "OrderDefectFigures",
    "Priority",
    "Reason",
    "SellerAccountStatusChanged",
    "SignalKind",
    "SignalSource",
    "SlaAlertRaised",
    "SpikeReason",
    "Tag",
    "event_id_for",
    "kafka_key",
    "parse_amazon_event",
]

# Deterministic event ids: the same dedup key always yields the same event id, so a redelivered SQS
# message that is produced twice (crash between Kafka ack and SQS delete) is one logical event downstream.
_EVENT_NAMESPACE = uuid.UUID("6f1c8f0e-3c1e-4c53-9d55-0b1f4b0c2a11")


def event_id_for(dedup_key: str) -> uuid.UUID:
    """Event id derived from the dedup key (uuid5)."""
    return uuid.uuid5(_EVENT_NAMESPACE, dedup_key)


class SignalSource(StrEnum):
    """Where an event entered the system."""

    SQS = "sqs"
    EVENTBRIDGE = "eventbridge"
    EMAIL = "email"
    REPORT = "report"
    API = "api"
    DEMO = "demo"
    HELPDESK = "helpdesk"


class SignalKind(StrEnum):
    """What kind of complaint signal a ComplaintSignalReceived carries."""

    BUYER_MESSAGE = "buyer_message"
    RETURN_REQUEST = "return_request"  # Amazon's return-authorisation notice e-mail
    A_TO_Z_CLAIM = "a_to_z_claim"  # Amazon's A-to-z claim notice e-mail
    CANCELLATION_REQUEST = "cancellation_request"
    REFUND_ISSUED = "refund_issued"
    BUYER_OPTED_OUT = "buyer_opted_out"
    RETURN_REPORT_ROW = "return_report_row"
    FEEDBACK_REPORT_ROW = "feedback_report_row"
    OTHER_NOTICE = "other_notice"


class Priority(StrEnum):
    """P1 is the most urgent."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


# String fields are cleaned (no NUL or other control characters, no lone surrogates) and bounded to what the
# database columns they end up in hold (tests/shared/test_event_bounds.py compares them). Overflow per kind:
# identifiers and codes (_Id*) are refused, ingest leaves an optional one out instead (parse/build.py); keys
# (_Key*) keep their head plus a digest of the whole, so they stay unique and deterministic; lines and free
# text (_Line*, _Text*) are cut.


def _ident(value: Any) -> Any:
    return clean_line(value).strip() if isinstance(value, str) else value


def _key(limit: int) -> BeforeValidator:
    return BeforeValidator(lambda v: bound_key(clean_line(v).strip(), limit) if isinstance(v, str) else v)


def _line(limit: int) -> BeforeValidator:
    return BeforeValidator(lambda v: clean_line(v)[:limit] if isinstance(v, str) else v)


def _text(limit: int) -> BeforeValidator:
    return BeforeValidator(lambda v: clean_text(v)[:limit] if isinstance(v, str) else v)


def _first(limit: int) -> BeforeValidator:
    return BeforeValidator(lambda v: tuple(v)[:limit] if isinstance(v, list | tuple) else v)


def _last(limit: int) -> BeforeValidator:
    return BeforeValidator(lambda v: tuple(v)[-limit:] if isinstance(v, list | tuple) else v)


_Id3 = Annotated[str, Field(max_length=3), BeforeValidator(_ident)]
_Id8 = Annotated[str, Field(max_length=8), BeforeValidator(_ident)]
_Id16 = Annotated[str, Field(max_length=16), BeforeValidator(_ident)]
_Id32 = Annotated[str, Field(max_length=32), BeforeValidator(_ident)]
_Id64 = Annotated[str, Field(max_length=64), BeforeValidator(_ident)]
_Id128 = Annotated[str, Field(max_length=128), BeforeValidator(_ident)]
_Id256 = Annotated[str, Field(max_length=256), BeforeValidator(_ident)]
_Key128 = Annotated[str, Field(max_length=128), _key(128)]
_Key512 = Annotated[str, Field(max_length=512), _key(512)]
_Line64 = Annotated[str, Field(max_length=64), _line(64)]
_Line128 = Annotated[str, Field(max_length=128), _line(128)]
_Line256 = Annotated[str, Field(max_length=256), _line(256)]
_Line1000 = Annotated[str, Field(max_length=1000), _line(1000)]
_Text32k = Annotated[str, Field(max_length=32_000), _text(32_000)]
_JsonDoc = Annotated[dict[str, Any], BeforeValidator(lambda v: clean_json(v) if isinstance(v, dict) else v)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class EventBase(_Model):
    """Fields every event carries."""

    event_id: uuid.UUID
    schema_version: int = 1
    occurred_at: AwareDatetime = Field(description="When the fact happened at Amazon (or was received).")
    seller_id: _Id64 = Field(min_length=1)
    marketplace_id: _Id32 | None = None
    region: _Id8 | None = Field(default=None, description="SP-API region: na, eu or fe.")
    order_id: _Id32 | None = None
    dedup_key: _Key512 = Field(min_length=1, description="Same fact, same key, across redeliveries.")
    correlation_id: _Key128 = Field(min_length=1)
    source: SignalSource


class ComplaintSignalReceived(EventBase):
    """A buyer or Amazon said something about an order that may be a complaint."""

    event_type: Literal["ComplaintSignalReceived"] = "ComplaintSignalReceived"
    kind: SignalKind
    text: _Text32k = Field(default="", description="The buyer's own words, without Amazon's frame or quotes.")
    subject: _Line1000 | None = None
    language_hint: _Id8 | None = Field(default=None, description="ISO 639-1 from headers or marketplace.")
    buyer_alias: _Id256 | None = Field(
        default=None,
        description="Masked relay address of the buyer (PII: never logged, hashed for analytics).",
    )
    buyer_name: _Line256 | None = Field(default=None, description="PII: never logged.")
    reply_to: _Id256 | None = Field(default=None, description="Address a reply must go to (the relay alias).")
    recipient: _Id256 | None = Field(default=None, description="The seller address the mail was sent to.")
    message_id: _Key512 | None = None
    in_reply_to: _Key512 | None = None
    references: Annotated[tuple[_Key512, ...], _last(50)] = Field(default=(), max_length=50)
    case_id: _Id64 | None = None
    notice_type: _Id128 | None = Field(default=None, description="X-Space-Notification-Type when present.")
    asin: _Id16 | None = None
    sku: _Id64 | None = None
    item_title: _Line1000 | None = None
    return_reason_code: _Id64 | None = None
    return_reason: _Id32 | None = Field(default=None, description="Normalized bucket, 'unknown' if unmapped.")
    a_to_z_claim: bool = False
    quantity: int | None = None
    order_amount: Decimal | None = None
    currency: _Id3 | None = None
    feedback_rating: int | None = Field(default=None, ge=1, le=5)
    attachments: Annotated[tuple[_Line256, ...], _first(100)] = Field(
        default=(), max_length=100, description="File names of attachments, no content."
    )
    details: _JsonDoc = Field(default_factory=dict, description="Source fields with no column of their own.")
    pii_sealed: str | None = Field(
        default=None,
        description="Kafka wire form only: Fernet token (PII key ring) of a JSON object holding this event's "
        "PII fields, which are then absent; decoded events carry them in clear and this is null.",
    )


class OrderContextUpdated(EventBase):
    """Order or shipment state from an SP-API notification (ORDER_CHANGE, tracking, MCF, FBA outbound)."""

    event_type: Literal["OrderContextUpdated"] = "OrderContextUpdated"
    notification_type: _Id64
    notification_id: _Key128 | None = None
    order_status: _Id32 | None = None
    order_change_type: _Id64 | None = None
    change_reason: _Line256 | None = None
    fulfillment_type: _Id8 | None = Field(default=None, description="AFN or MFN.")
    purchase_date: AwareDatetime | None = None
    earliest_ship_date: AwareDatetime | None = None
    latest_ship_date: AwareDatetime | None = None
    earliest_delivery_date: AwareDatetime | None = None
    latest_delivery_date: AwareDatetime | None = None
    tracking_milestone: _Id64 | None = Field(default=None, description="e.g. DELIVERED, LOST, UNDELIVERABLE.")
    tracking_number: _Id64 | None = None
    carrier: _Line64 | None = None
    order_amount: Decimal | None = None
    currency: _Id3 | None = None
    details: _JsonDoc = Field(default_factory=dict, description="Type-specific fields kept verbatim.")


class SellerAccountStatusChanged(EventBase):
    """ACCOUNT_STATUS_CHANGED: NORMAL, AT_RISK or DEACTIVATED."""

    event_type: Literal["SellerAccountStatusChanged"] = "SellerAccountStatusChanged"
    notification_id: _Key128 | None = None
    previous_status: _Id32 | None = None
    current_status: _Id32


class NotificationReceived(EventBase):
    """Any other SP-API notification, kept as context instead of dropped."""

    event_type: Literal["NotificationReceived"] = "NotificationReceived"
    notification_type: _Id64
    notification_id: _Key128 | None = None
    payload: _JsonDoc = Field(default_factory=dict)


class HelpdeskUpdateReceived(EventBase):
    """A seller's helpdesk (Zendesk) said something about one of our tickets: an agent's comment, a status.

    Travels on the raw topic keyed by seller, so one seller's updates stay in order; ``dedup_key`` is the
    comment id (a reply) or the remote ticket, status and update time (a status change)."""

    event_type: Literal["HelpdeskUpdateReceived"] = "HelpdeskUpdateReceived"
    helpdesk: _Id16 = Field(description="zendesk")
    ticket_id: uuid.UUID = Field(description="Our ticket (the remote ticket's external_id).")
    remote_ticket_id: int = Field(ge=1)
    remote_status: _Id16 | None = None
    remote_updated_at: AwareDatetime | None = Field(
        default=None,
        description="The remote ticket's updated_at: an older update than one applied is ignored.",
    )
    comment_id: int | None = Field(default=None, ge=1)
    comment_public: bool = Field(
        default=False, description="A public comment is a reply meant for the buyer."
    )
    author_id: int | None = None
    text: _Text32k = Field(default="", description="The comment's text (PII: travels sealed).")
    pii_sealed: str | None = Field(
        default=None, description="Kafka wire form only: the sealed PII fields (see ComplaintSignalReceived)."
    )


_Rate = Annotated[float, Field(ge=0.0, le=1.0)]
_Count = Annotated[int, Field(ge=0)]


class OrderDefectFigures(_Model):
    """Amazon's Order Defect Rate of one fulfilment channel over its reporting window (60 days)."""

    fulfillment: Literal["mfn", "afn"]
    window_start: AwareDatetime
    window_end: AwareDatetime
    order_count: _Count
    orders_with_defects: _Count
    negative_feedback: _Count
    a_to_z_claims: _Count
    chargebacks: _Count
    rate: _Rate
    target: _Rate | None = None
    status: _Id8 | None = Field(default=None, description="GOOD, BAD or NONE.")


class AccountHealthReported(EventBase):
    """Amazon's account health figures for one seller and marketplace (GET_V2_SELLER_PERFORMANCE_REPORT)."""

    event_type: Literal["AccountHealthReported"] = "AccountHealthReported"
    report_id: _Id64 | None = None
    account_status: _Id32 | None = Field(default=None, description="NORMAL, AT_RISK or DEACTIVATED.")
    account_health_rating: _Id16 | None = Field(default=None, description="GREAT or WARNED.")
    order_defect_rates: Annotated[tuple[OrderDefectFigures, ...], _first(2)] = Field(default=(), max_length=2)
    late_shipment_rate: _Rate | None = None
    pre_fulfillment_cancellation_rate: _Rate | None = None
    valid_tracking_rate: _Rate | None = None
    on_time_delivery_rate: _Rate | None = None
    policy_violations: _Count | None = Field(
        default=None, description="Listing-level violations and complaints, summed over their kinds."
    )
    warnings: Annotated[tuple[_Line64, ...], _first(50)] = Field(
        default=(), max_length=50, description="warningStates whose status is BAD."
    )


AmazonEvent = Annotated[
    ComplaintSignalReceived
    | OrderContextUpdated
    | SellerAccountStatusChanged
    | NotificationReceived
    | HelpdeskUpdateReceived
    | AccountHealthReported,
    Field(discriminator="event_type"),
]


class Tag(_Model):
    """A tag with its confidence in [0, 1]."""

    name: _Line64
    confidence: float = Field(ge=0.0, le=1.0)


class Reason(_Model):
    """Why a decision was made: a rule id or feature, and what it saw."""

    rule_id: _Line128
    detail: _Line1000 = ""
    weight: float | None = None
    start: int | None = Field(
        default=None, ge=0, description="Text reasons: offset of the quoted words in the signal's text."
    )
    end: int | None = Field(default=None, ge=0, description="Text reasons: end offset (exclusive).")


BuyerActivityKind = Literal["return", "complaint", "a_to_z"]


class BuyerActivity(_Model):
    """What a signal adds to its buyer's history, as the classifier recorded it (kept by the responder too)."""

    kind: BuyerActivityKind
    reason: _Id32 | None = Field(default=None, description="Return reason bucket, else the category.")
    long_use: bool = Field(default=False, description="A return long after delivery.")


class ComplaintClassified(EventBase):
    """The classifier's verdict on one ComplaintSignalReceived, with its reasons."""

    event_type: Literal["ComplaintClassified"] = "ComplaintClassified"
    signal: ComplaintSignalReceived
    category: Literal["not_received", "not_as_described", "defective", "none"]
    tags: tuple[Tag, ...] = ()
    confidence: float = Field(ge=0.0, le=1.0)
    language: _Id8 | None = None
    priority: Priority
    due_at: AwareDatetime | None = Field(default=None, description="SLA deadline for the first reply.")
    ageing: bool = False
    reasons: tuple[Reason, ...] = ()
    model_version: _Line64
    buyer_hash: _Id64 | None = Field(default=None, description="Salted hash of the buyer alias.")
    abusive_score: float | None = Field(default=None, ge=0.0, le=1.0)
    auto_reply: bool = Field(default=True, description="False routes the complaint to a human.")
    buyer_activity: BuyerActivity | None = Field(
        default=None,
        description="What this signal adds to the buyer's history (with buyer_hash); none when it adds nothing.",
    )
    pii_sealed: str | None = Field(
        default=None,
        description="Kafka wire form only: Fernet token (PII key ring) of a JSON object holding this event's "
        "PII fields, which are then absent; decoded events carry them in clear and this is null.",
    )


class SlaAlertRaised(EventBase):
    """A ticket is about to breach (or has breached) its reply deadline."""

    event_type: Literal["SlaAlertRaised"] = "SlaAlertRaised"
    ticket_id: uuid.UUID
    due_at: AwareDatetime
    state: Literal["due_soon", "breached"]
    priority: Priority


class SpikeReason(_Model):
    """A classification reason and how many of the spike's tickets carry it."""

    rule_id: _Line128
    count: _Count


class AsinComplaintSpikeDetected(EventBase):
    """One ASIN drew far more complaints in a day than its own baseline explains (a defect batch, a wrong
    listing); raised once per seller, marketplace, ASIN and day."""

    event_type: Literal["AsinComplaintSpikeDetected"] = "AsinComplaintSpikeDetected"
    asin: _Id16 = Field(min_length=1)
    day: AwareDatetime = Field(description="Start of the UTC day counted.")
    complaints: _Count
    baseline_per_day: float = Field(ge=0.0, description="Expected complaints per day from the ASIN's past.")
    p_value: float = Field(ge=0.0, le=1.0, description="Chance of at least this many under the baseline.")
    top_reasons: Annotated[tuple[SpikeReason, ...], _first(5)] = Field(default=(), max_length=5)
    example_ticket_ids: Annotated[tuple[uuid.UUID, ...], _first(5)] = Field(default=(), max_length=5)


class OdrThresholdCrossed(EventBase):
    """Our running Order Defect Rate of a channel reached a threshold (0.005 or 0.01) while Amazon's last
    reported figure is still below it; raised once per threshold and Amazon report."""

    event_type: Literal["OdrThresholdCrossed"] = "OdrThresholdCrossed"
    fulfillment: Literal["mfn", "afn"]
    threshold: _Rate
    estimate: _Rate
    amazon_rate: _Rate | None = Field(
        default=None, description="Amazon's last figure; null before any report."
    )
    amazon_reported_at: AwareDatetime | None = None
    window_start: AwareDatetime
    window_end: AwareDatetime
    orders: _Count
    defective_orders: _Count


AnyEvent = (
    ComplaintSignalReceived
    | OrderContextUpdated
    | SellerAccountStatusChanged
    | NotificationReceived
    | AccountHealthReported
    | ComplaintClassified
    | SlaAlertRaised
    | AsinComplaintSpikeDetected
    | OdrThresholdCrossed
)

_AMAZON_EVENT: TypeAdapter[AmazonEvent] = TypeAdapter(AmazonEvent)


def parse_amazon_event(raw: bytes | str) -> AmazonEvent:
    """Decode one event of the ingest output topic (raises pydantic.ValidationError)."""
    return _AMAZON_EVENT.validate_json(raw)


def kafka_key(seller_id: str, order_id: str | None, dedup_key: str) -> bytes:
    """Partition key: one order's events stay on one partition, in order."""
    return f"{seller_id}|{order_id or dedup_key}".encode()


def utc_from_iso(value: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp from Amazon (``Z`` suffix allowed); naive values are taken as UTC."""
    if not value:
        return None
    from datetime import UTC

    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
