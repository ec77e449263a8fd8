"""The Kafka wire codec: PII sealed on the way out, restored on the way in, refused when it cannot be opened."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.crypto import PiiCipher
from shared.decoding import decode_amazon_event, decode_classified
from shared.demo.signals import complaint_signal
from shared.errors import PermanentError, ValidationError
from shared.events import (
    ComplaintClassified,
    ComplaintSignalReceived,
    Priority,
    Reason,
    SignalSource,
    SlaAlertRaised,
)
from shared.kafka.codec import PII_SEALED, SEALED_FIELDS, EventCodec
from shared.kafka.producer import EventProducer
from shared.settings import KafkaSettings, PiiSettings

CODEC = EventCodec(PiiCipher("codec-test-key"))
ALIAS = "q7zk2lmn0pdfx3w@marketplace.amazon.com"
NAME = "Wilhelmina Quarterbridge"
TEXT = "Mein Paket ist nie angekommen, bitte helfen Sie mir."
SUBJECT = f"Nachricht von {NAME} zur Bestellung 028-1234567-1234567"
PII = (ALIAS, NAME, TEXT, SUBJECT, "wilhelmina")


def _signal() -> ComplaintSignalReceived:
    return complaint_signal(
        seller_id="A1SELLER",
        order_id="028-1234567-1234567",
        text=TEXT,
        buyer_alias=ALIAS,
        buyer_name=NAME,
        subject=SUBJECT,
        reply_to=ALIAS,
        attachments=("wilhelmina-broken-lamp.jpg",),
    )


def _classified(signal: ComplaintSignalReceived) -> ComplaintClassified:
    return ComplaintClassified(
        event_id=uuid.uuid4(),
        occurred_at=signal.occurred_at,
        seller_id=signal.seller_id,
        order_id=signal.order_id,
        dedup_key=f"classified:{signal.dedup_key}",
        correlation_id=signal.correlation_id,
        source=signal.source,
        signal=signal,
        category="not_received",
        confidence=0.9,
        priority=Priority.P2,
        model_version="m1",
        reasons=(Reason(rule_id="text.feature", detail="'nie angekommen' -> not_received", weight=1.5),),
    )


def _assert_no_pii(wire: bytes) -> None:
    lowered = wire.lower()
    for value in PII:
        assert value.lower().encode() not in lowered, value


def test_a_signal_travels_sealed_and_comes_back_equal() -> None:
    signal = _signal()
    wire = CODEC.encode(signal)
    _assert_no_pii(wire)
    doc = orjson.loads(wire)
    assert not SEALED_FIELDS["ComplaintSignalReceived"] & set(doc)
    assert isinstance(doc[PII_SEALED], str)
    assert doc["order_id"] == signal.order_id  # routing fields stay readable
    assert decode_amazon_event(wire, codec=CODEC) == signal


def test_a_classified_event_seals_its_reasons_and_its_signal() -> None:
    event = _classified(_signal())
    wire = CODEC.encode(event)
    _assert_no_pii(wire)
    assert b"nie angekommen" not in wire
    doc = orjson.loads(wire)
    assert "reasons" not in doc
    assert PII_SEALED in doc["signal"]
    assert decode_classified(wire, codec=CODEC) == event


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(max_size=300),
    name=st.one_of(st.none(), st.text(max_size=80)),
    alias=st.one_of(st.none(), st.text(max_size=80)),
)
def test_any_text_round_trips(text: str, name: str | None, alias: str | None) -> None:
    signal = complaint_signal(
        seller_id="A1SELLER", order_id=None, text=text, buyer_alias=alias, buyer_name=name
    )
    assert decode_amazon_event(CODEC.encode(signal), codec=CODEC) == signal


def test_a_seal_of_another_key_is_permanent_with_the_reason() -> None:
    wire = EventCodec(PiiCipher("some-other-key")).encode(_signal())
    with pytest.raises(PermanentError, match="PII key ring") as caught:
        decode_amazon_event(wire, codec=CODEC)
    assert caught.value.code == "pii_seal"
    nested = EventCodec(PiiCipher("some-other-key")).encode(_classified(_signal()))
    with pytest.raises(PermanentError, match="PII key ring"):
        decode_classified(nested, codec=CODEC)


@pytest.mark.parametrize(
    ("token", "error"),
    [
        ("not-a-fernet-token", PermanentError),
        ("", PermanentError),
        ("gAAAAA\x00\u00e9", PermanentError),
        (12, ValidationError),
    ],
)
def test_a_broken_seal_is_permanent(token: object, error: type[Exception]) -> None:
    doc = orjson.loads(CODEC.encode(_signal()))
    doc[PII_SEALED] = token
    with pytest.raises(error):
        decode_amazon_event(orjson.dumps(doc), codec=CODEC)


def test_a_seal_must_hold_pii_fields_only_and_never_clash_with_clear_ones() -> None:
    cipher = PiiCipher("codec-test-key")
    doc = orjson.loads(CODEC.encode(_signal()))
    doc[PII_SEALED] = cipher.encrypt_json({"seller_id": "A2OTHER"}).decode()
    with pytest.raises(ValidationError, match="not an object of PII fields"):
        decode_amazon_event(orjson.dumps(doc), codec=CODEC)
    doc[PII_SEALED] = cipher.encrypt_json(["text"]).decode()
    with pytest.raises(ValidationError, match="not an object of PII fields"):
        decode_amazon_event(orjson.dumps(doc), codec=CODEC)
    doc[PII_SEALED] = cipher.encrypt_json({"text": "sealed"}).decode()
    doc["text"] = "clear"
    with pytest.raises(ValidationError, match="both sealed and in clear"):
        decode_amazon_event(orjson.dumps(doc), codec=CODEC)
    doc[PII_SEALED] = cipher.encrypt(TEXT).decode()  # type: ignore[union-attr]  # a str in, a token out
    del doc["text"]
    with pytest.raises(ValidationError, match="not JSON"):
        decode_amazon_event(orjson.dumps(doc), codec=CODEC)


def test_a_seal_on_an_event_without_pii_is_refused() -> None:
    alert = SlaAlertRaised(
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        seller_id="A1SELLER",
        dedup_key="sla:1",
        correlation_id="c",
        source=SignalSource.API,
        ticket_id=uuid.uuid4(),
        due_at=datetime.now(UTC),
        state="due_soon",
        priority=Priority.P2,
    )
    doc = orjson.loads(CODEC.encode(alert))
    assert PII_SEALED not in doc
    doc[PII_SEALED] = "x"
    with pytest.raises(ValidationError, match="without PII fields"):
        CODEC.open(orjson.dumps(doc))


@pytest.mark.parametrize("value", [b"not json", b"[1, 2]", b"\x00\xff", b"[" * 5000 + b"]" * 5000])
def test_a_value_that_is_not_a_json_object_is_a_validation_error(value: bytes) -> None:
    with pytest.raises(ValidationError):
        decode_amazon_event(value, codec=CODEC)


def test_a_clear_record_from_before_sealing_is_still_read() -> None:
    signal = _signal()
    assert decode_amazon_event(signal.model_dump_json().encode(), codec=CODEC) == signal


def test_a_producer_without_a_codec_refuses_events_with_pii() -> None:
    bare = EventProducer(KafkaSettings())
    with pytest.raises(RuntimeError, match="carries PII"):
        bare.encode(_signal())
    with pytest.raises(RuntimeError, match="carries PII"):
        bare.encode(_classified(_signal()))
    sealing = EventProducer(KafkaSettings(), codec=CODEC)
    _assert_no_pii(sealing.encode(_signal()))


@pytest.mark.parametrize(
    "body", [b"", b"\x00\xff\xfe raw \r\n", ("Subject: " + SUBJECT + "\r\n\r\n" + TEXT).encode()]
)
def test_a_raw_input_is_sealed_whole(body: bytes) -> None:
    sealed, kept = CODEC.seal_raw(body, max_bytes=10_000)
    assert kept == len(body)
    _assert_no_pii(sealed)
    assert CODEC.unseal_raw(sealed) == body


def test_a_raw_input_too_big_for_a_record_keeps_its_head_within_the_limit() -> None:
    body = bytes(range(256)) * 4000
    sealed, kept = CODEC.seal_raw(body, max_bytes=200_000)
    assert len(sealed) <= 200_000
    assert 0 < kept < len(body)
    assert CODEC.unseal_raw(sealed) == body[:kept]


def test_a_raw_seal_of_another_key_is_permanent() -> None:
    sealed, _ = EventCodec(PiiCipher("some-other-key")).seal_raw(b"raw mail", max_bytes=1000)
    with pytest.raises(PermanentError):
        CODEC.unseal_raw(sealed)


def test_the_codec_reads_the_key_the_services_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESPONDER_PII_ENCRYPTION_KEY", "codec-test-key")
    signal = _signal()
    wire = EventCodec.from_settings(PiiSettings()).encode(signal)
    assert decode_amazon_event(wire, codec=CODEC) == signal


def test_sealed_fields_exist_on_their_models() -> None:
    assert SEALED_FIELDS["ComplaintSignalReceived"] <= set(ComplaintSignalReceived.model_fields)
    assert SEALED_FIELDS["ComplaintClassified"] <= set(ComplaintClassified.model_fields)
    assert PII_SEALED in ComplaintSignalReceived.model_fields
    assert PII_SEALED in ComplaintClassified.model_fields
