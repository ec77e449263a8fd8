"""Rejected raw inputs re-ingested through today's parsers: published once, still-bad inputs rejected again with
their new reason, report rows left where they are."""

from __future__ import annotations

from contextlib import aclosing
from datetime import UTC, datetime

import pytest

from services.ingest.reingest import reingest, to_input
from services.ingest.rejects import reject
from shared.crypto import PiiCipher
from shared.errors import ValidationError
from shared.kafka.codec import EventCodec
from shared.kafka.dlq_tools import DeadLetter, dead_letter, scan
from shared.kafka.producer import EventProducer
from shared.settings import KafkaSettings
from tests.ingest.kafka_read import header, read_all
from tests.ingest.payloads import relay_mail
from tests.ingest.support import CODEC, DepsFactory, Topics

pytestmark = pytest.mark.integration


async def _letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    async with aclosing(scan(kafka=KafkaSettings(bootstrap_servers=bootstrap), topic=topic)) as records:
        return sorted([dead_letter(r) async for r in records], key=lambda r: r.offset)


async def test_rejected_inputs_are_reingested_once_after_the_fix(
    producer: EventProducer, topics: Topics, kafka_bootstrap: str, make_deps: DepsFactory
) -> None:
    mail = relay_mail("The lamp came without its shade.")
    # What an older parser refused; today's parser takes the mail.
    await reject(
        producer, body=mail, error=ValidationError("old parser bug"), source="email", topic=topics.rejected
    )
    await reject(
        producer,
        body=b"\x00{not an event",
        error=ValidationError("bad"),
        source="eventbridge",
        topic=topics.rejected,
    )
    await reject(
        producer, body=b'{"row": 1}', error=ValidationError("bad row"), source="report", topic=topics.rejected
    )
    letters = await _letters(kafka_bootstrap, topics.rejected)
    assert len(letters) == 3
    deps = make_deps()

    dry = await reingest(letters, codec=CODEC, intake=deps.intake, deps=None)
    assert dict(dry.verdicts) == {"would re-ingest": 2}
    assert dict(dry.skipped) == {"source report is not re-ingestable": 1}
    assert await read_all(kafka_bootstrap, topics.events) == []

    summary = await reingest(letters, codec=CODEC, intake=deps.intake, deps=deps)
    assert dict(summary.verdicts) == {"done": 1, "rejected": 1}
    again = await reingest(letters[:1], codec=CODEC, intake=deps.intake, deps=deps)
    assert dict(again.verdicts) == {"done": 1}

    (event,) = await read_all(kafka_bootstrap, topics.events)  # replayed twice, published once
    assert header(event, "event_type") == "ComplaintSignalReceived"
    rejected = await read_all(kafka_bootstrap, topics.rejected)
    assert len(rejected) == 4  # the still-bad input is kept again, with today's reason
    assert header(rejected[-1], "dlq.source") == "eventbridge"
    assert header(rejected[-1], "dlq.reason") != "bad"


def test_a_record_the_key_ring_cannot_open_is_skipped_not_raised() -> None:
    other = EventCodec(PiiCipher("another-key"))
    sealed, _ = other.seal_raw(b"mail", max_bytes=1000)
    letter = DeadLetter(
        topic="t",
        partition=0,
        offset=0,
        at=datetime.now(UTC),
        key=None,
        value=sealed,
        headers=(("dlq.source", b"email"), ("pii.sealed", b"fernet+base64")),
    )
    assert to_input(letter, CODEC) == "cannot be unsealed with the PII key ring"
    opened = to_input(letter, other)
    assert not isinstance(opened, str)
    assert (opened.body, opened.source, opened.key) == (b"mail", "email", "t:0:0")
    assert "pii.sealed" not in opened.headers
