"""The rejected topic read back with the key ring: original bytes into owner-only files, reasons in clear."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import orjson
import pytest

from services.ingest.rejected_read import RejectedRecord, read_rejected
from services.ingest.rejects import MAX_REJECT_BYTES, reject
from shared.crypto import PiiCipher
from shared.demo.signals import complaint_signal
from shared.errors import ValidationError
from shared.kafka.codec import EventCodec
from shared.kafka.producer import EventProducer
from shared.settings import KafkaSettings
from tests.ingest.kafka_read import header, read_all
from tests.ingest.support import CODEC, Topics

pytestmark = pytest.mark.integration

MAIL = (
    b'From: "Ottoline Q" <x7y8z9@marketplace.amazon.com>\r\nSubject: broken\r\n\r\nIt came in pieces.\x00\xff'
)


def _opened(records: list[RejectedRecord]) -> set[bytes]:
    return {Path(r.file or "").read_bytes() for r in records}


async def test_a_rejected_mail_is_sealed_and_the_operator_gets_it_back(
    producer: EventProducer, topics: Topics, kafka_bootstrap: str, tmp_path: Path
) -> None:
    await reject(
        producer, body=MAIL, error=ValidationError("no seller"), source="email", topic=topics.rejected
    )
    big = bytes(range(256)) * 4096  # 1 MiB of binary: its sealed form must still fit a record
    await reject(producer, body=big, error=ValidationError("too big"), source="email", topic=topics.rejected)

    on_kafka = await read_all(kafka_bootstrap, topics.rejected)
    assert len(on_kafka) == 2
    assert all(b"x7y8z9" not in (r.value or b"") and b"pieces" not in (r.value or b"") for r in on_kafka)
    assert all(len(r.value or b"") <= MAX_REJECT_BYTES for r in on_kafka)
    assert [header(r, "dlq.reason") for r in on_kafka] == ["no seller", "too big"]
    assert header(on_kafka[1], "dlq.truncated_from") == str(len(big))

    records = await read_rejected(
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        codec=CODEC,
        topic=topics.rejected,
        out_dir=tmp_path,
        limit=10,
    )
    assert [r.headers["dlq.reason"] for r in records] == ["no seller", "too big"]
    assert all(r.error is None and r.file for r in records)
    first, second = (Path(r.file or "") for r in records)
    assert first.read_bytes() == MAIL
    head = second.read_bytes()
    assert head
    assert big.startswith(head)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600


async def test_a_rejected_record_of_another_key_is_reported_not_opened(
    producer: EventProducer, topics: Topics, kafka_bootstrap: str, tmp_path: Path
) -> None:
    foreign = EventProducer(
        KafkaSettings(bootstrap_servers=kafka_bootstrap), codec=EventCodec(PiiCipher("x"))
    )
    await foreign.start()
    try:
        await reject(foreign, body=MAIL, error=ValidationError("bad"), source="email", topic=topics.rejected)
    finally:
        await foreign.stop()

    records = await read_rejected(
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        codec=CODEC,
        topic=topics.rejected,
        out_dir=tmp_path,
        limit=10,
    )
    assert len(records) == 1
    assert records[0].file is None
    assert "cannot be decrypted" in (records[0].error or "")
    assert os.listdir(tmp_path) == []


async def test_a_dead_lettered_event_is_opened_to_its_json_with_the_pii(
    producer: EventProducer, topics: Topics, kafka_bootstrap: str, tmp_path: Path
) -> None:
    signal = complaint_signal(
        seller_id="A1SELLER", order_id=None, text="It came in pieces.", buyer_alias="x7y8z9"
    )
    await producer.publish(topics.events, signal)  # stands in for a DLQ: the same sealed wire value
    await producer.send_raw(topics.events, key=b"k", value=b"\x00 poison")

    records = await read_rejected(
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        codec=CODEC,
        topic=topics.events,
        out_dir=tmp_path,
        limit=10,
    )
    opened = _opened(records)
    assert b"\x00 poison" in opened
    docs = [orjson.loads(v) for v in opened if v != b"\x00 poison"]
    assert [(d["text"], d["buyer_alias"]) for d in docs] == [("It came in pieces.", "x7y8z9")]
