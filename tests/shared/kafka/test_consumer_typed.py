"""Typed consumption: handlers get decoded events; a record that does not decode is dead-lettered as before."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import pytest

from shared.crypto import PiiCipher
from shared.decoding import decode_amazon_event
from shared.demo.signals import complaint_signal
from shared.errors import PermanentError
from shared.events import AmazonEvent
from shared.kafka.codec import EventCodec
from shared.kafka.typed import Consumed, decode_records, decoding
from tests.shared.kafka.test_consumer_failures import TOPIC, FakeConsumer, FakeRecord, _run, _settings

CODEC = EventCodec(PiiCipher("typed-consumer-test-key"))
DECODERS = {TOPIC: partial(decode_amazon_event, codec=CODEC)}


async def test_the_handler_gets_typed_events_and_a_bad_record_is_dead_lettered_with_its_reason() -> None:
    good = complaint_signal(
        seller_id="A1TYPED", order_id="111-0000001-0000001", text="The kettle arrived broken."
    )
    log = [
        FakeRecord(TOPIC, 0, 0, b"k", CODEC.encode(good), (("correlation_id", b"c1"),)),
        FakeRecord(TOPIC, 0, 1, b"k", b"{not json", ()),
    ]
    consumer = FakeConsumer(log)
    seen: list[Consumed[AmazonEvent]] = []

    async def handler(batch: Sequence[Consumed[AmazonEvent]]) -> None:
        seen.extend(batch)

    producer = await _run(
        consumer, decoding(DECODERS, handler), settings=_settings(), until=lambda: consumer.committed == 2
    )
    assert [c.event for c in seen] == [good]
    assert (seen[0].topic, seen[0].partition, seen[0].offset, seen[0].key) == (TOPIC, 0, 0, b"k")
    assert seen[0].header("correlation_id") == "c1"
    [(topic, value, headers)] = producer.sent
    assert (topic, value) == (f"{TOPIC}.dlq", b"{not json")
    reason = dict(headers)
    assert reason["dlq.reason"].startswith(b"record is not JSON")
    assert reason["dlq.error"] == b"ValidationError:validation"


def test_a_topic_without_a_decoder_is_permanent() -> None:
    record = FakeRecord("other.events.v1", 0, 0, None, b"{}")
    with pytest.raises(PermanentError, match=r"no decoder for topic other\.events\.v1"):
        decode_records([record], DECODERS)


def test_only_passes_over_other_event_types_by_header_and_decodes_records_without_one() -> None:
    signal = complaint_signal(seller_id="A1TYPED", order_id="111-0000001-0000002", text="Never arrived.")
    typed = (("event_type", b"ComplaintSignalReceived"),)
    records = [
        # not decodable, but its header says it is a type this consumer does not handle: never opened
        FakeRecord(TOPIC, 0, 0, None, b"{not json", typed),
        FakeRecord(TOPIC, 0, 1, None, CODEC.encode(signal), ()),  # no header: decoded as before
    ]
    consumed = decode_records(records, DECODERS, only={TOPIC: {"OrderContextUpdated"}})
    assert [(c.offset, c.event) for c in consumed] == [(1, signal)]
    with pytest.raises(PermanentError):  # without ``only`` the same record is decoded and fails
        decode_records(records[:1], DECODERS)
