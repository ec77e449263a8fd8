"""SES verdicts on moto and the real broker: a forged relay mail is kept on the rejected topic, never published."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import pytest

from services.ingest.sqs import SqsPoller
from shared.decoding import decode_amazon_event
from shared.events import ComplaintSignalReceived
from tests.ingest.kafka_read import header, read_all
from tests.ingest.payloads import relay_mail, ses_received
from tests.ingest.support import CODEC, DepsFactory, Topics, eventually, ingest_settings, queue_empty

if TYPE_CHECKING:
    from types_aiobotocore_sqs.client import SQSClient

pytestmark = pytest.mark.integration

ALIAS = "abcdefghij12345@marketplace.amazon.com"  # the From of relay_mail()


def _spoofed_reply_to(text: str, message_id: str) -> bytes:
    raw = relay_mail(text, message_id=message_id)
    return raw.replace(b"To: support@", b"Reply-To: attacker@evil.example\r\nTo: support@", 1)


async def test_a_mail_failing_dmarc_is_rejected_with_its_reason_and_a_passing_one_is_published(
    sqs: SQSClient, queue_url: str, make_deps: DepsFactory, topics: Topics, kafka_bootstrap: str
) -> None:
    forged = ses_received(raw=_spoofed_reply_to("Refund me at my new address.", "forged-1@evil.example"))
    for verdict in ("spfVerdict", "dkimVerdict", "dmarcVerdict"):
        forged["receipt"][verdict] = {"status": "FAIL"}
    genuine = ses_received(raw=_spoofed_reply_to("The lamp arrived broken.", "genuine-1@relay.test"))
    for body in (forged, genuine):
        await sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))

    poller = SqsPoller(sqs, queue_url, deps=make_deps(settings=ingest_settings([queue_url])))
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    try:
        await eventually(lambda: queue_empty(sqs, queue_url))
    finally:
        stop.set()
        await task

    [dead] = await read_all(kafka_bootstrap, topics.rejected)
    assert json.loads(CODEC.unseal_raw(dead.value)) == forged  # kept whole, for a human
    assert "DMARC verdict FAIL" in (header(dead, "dlq.reason") or "")
    assert header(dead, "dlq.error") == "ValidationError:ses_verdict"
    [record] = await read_all(kafka_bootstrap, topics.events)
    event = decode_amazon_event(record.value, codec=CODEC)
    assert isinstance(event, ComplaintSignalReceived)
    assert event.message_id == "<genuine-1@relay.test>"
    assert (event.buyer_alias, event.reply_to) == (ALIAS, ALIAS)  # never the Reply-To
