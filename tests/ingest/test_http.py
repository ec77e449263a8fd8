"""The EventBridge and inbound-email endpoints, served by uvicorn on loopback, against the real broker."""

from __future__ import annotations

import json

import pytest
from aiokafka.errors import KafkaConnectionError

from services.ingest.http import EVENTBRIDGE_PATH, INBOUND_EMAIL_PATH
from shared.decoding import decode_amazon_event
from shared.events import ComplaintSignalReceived, OrderContextUpdated, SignalSource
from shared.kafka.codec import SEALED_HEADER, SEALED_RAW
from shared.kafka.producer import EventProducer
from shared.settings import KafkaSettings
from shared.stack.ports import LOOPBACK, free_port
from tests.ingest.fakes import UnackedProducer
from tests.ingest.http_serving import serving
from tests.ingest.kafka_read import header, read_all
from tests.ingest.payloads import eventbridge_event, order_change, relay_mail
from tests.ingest.support import API_KEY, CODEC, DepsFactory, Topics

pytestmark = pytest.mark.integration

KEY_HEADER = {"x-api-key": API_KEY}


async def test_eventbridge_event_is_published_before_the_2xx(
    make_deps: DepsFactory, topics: Topics, kafka_bootstrap: str
) -> None:
    note = order_change()
    async with serving(make_deps()) as client:
        response = await client.post(EVENTBRIDGE_PATH, json=eventbridge_event(note), headers=KEY_HEADER)
        again = await client.post(EVENTBRIDGE_PATH, json=eventbridge_event(note), headers=KEY_HEADER)

    assert response.status_code == 202
    assert again.status_code == 202
    assert again.json()["event_ids"] == response.json()["event_ids"]
    records = await read_all(kafka_bootstrap, topics.events)
    assert len(records) == 1
    event = decode_amazon_event(records[0].value, codec=CODEC)
    assert isinstance(event, OrderContextUpdated)
    assert event.source is SignalSource.EVENTBRIDGE
    assert [str(event.event_id)] == response.json()["event_ids"]


async def test_eventbridge_refuses_a_missing_or_wrong_key(
    make_deps: DepsFactory, topics: Topics, kafka_bootstrap: str
) -> None:
    body = eventbridge_event(order_change())
    async with serving(make_deps()) as client:
        statuses = [
            (await client.post(EVENTBRIDGE_PATH, json=body, headers=headers)).status_code
            for headers in ({}, {"x-api-key": "wrong"}, {"x-api-key": API_KEY + "x"}, {"x-api-key": ""})
        ]
        health = await client.get("/healthz")

    assert statuses == [401, 401, 401, 401]
    assert health.status_code == 200
    assert await read_all(kafka_bootstrap, topics.events) == []
    assert await read_all(kafka_bootstrap, topics.rejected) == []


async def test_malformed_eventbridge_body_is_400_and_kept_on_the_rejected_topic(
    make_deps: DepsFactory, topics: Topics, kafka_bootstrap: str
) -> None:
    body = json.dumps({"version": "0", "detail-type": "ORDER_CHANGE", "detail": {"Payload": {}}}).encode()
    async with serving(make_deps()) as client:
        response = await client.post(
            EVENTBRIDGE_PATH, content=body, headers={**KEY_HEADER, "content-type": "application/json"}
        )

    assert response.status_code == 400
    rejected = await read_all(kafka_bootstrap, topics.rejected)
    assert [CODEC.unseal_raw(record.value) for record in rejected] == [body]
    assert header(rejected[0], SEALED_HEADER) == SEALED_RAW.decode()
    assert header(rejected[0], "dlq.source") == "eventbridge"
    assert header(rejected[0], "dlq.reason")
    assert await read_all(kafka_bootstrap, topics.events) == []


async def test_eventbridge_answers_503_when_kafka_is_unreachable(make_deps: DepsFactory) -> None:
    dead = EventProducer(KafkaSettings(bootstrap_servers=f"{LOOPBACK}:{free_port()}"))
    with pytest.raises(KafkaConnectionError):
        await dead.start()
    async with serving(make_deps(events_producer=dead)) as client:
        response = await client.post(
            EVENTBRIDGE_PATH, json=eventbridge_event(order_change()), headers=KEY_HEADER
        )
    await dead.stop()

    assert response.status_code == 503
    assert response.headers["retry-after"]


async def test_eventbridge_answers_503_when_the_publish_is_not_acked(
    make_deps: DepsFactory, producer: EventProducer, topics: Topics, kafka_bootstrap: str
) -> None:
    async with serving(make_deps(events_producer=UnackedProducer(producer))) as client:
        response = await client.post(
            EVENTBRIDGE_PATH, json=eventbridge_event(order_change()), headers=KEY_HEADER
        )

    assert response.status_code == 503
    assert await read_all(kafka_bootstrap, topics.events) == []


async def test_inbound_email_is_published_once_with_its_event_id(
    make_deps: DepsFactory, topics: Topics, kafka_bootstrap: str
) -> None:
    raw = relay_mail("Wrong size, I want to return it.")
    headers = {**KEY_HEADER, "content-type": "message/rfc822"}
    async with serving(make_deps()) as client:
        first = await client.post(INBOUND_EMAIL_PATH, content=raw, headers=headers)
        second = await client.post(INBOUND_EMAIL_PATH, content=raw, headers=headers)
        wrong_type = await client.post(
            INBOUND_EMAIL_PATH, content=raw, headers={**KEY_HEADER, "content-type": "text/plain"}
        )
        no_key = await client.post(
            INBOUND_EMAIL_PATH, content=raw, headers={"content-type": "message/rfc822"}
        )
        empty = await client.post(INBOUND_EMAIL_PATH, content=b"\r\n", headers=headers)

    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["event_ids"] == second.json()["event_ids"]
    assert (wrong_type.status_code, no_key.status_code, empty.status_code) == (415, 401, 400)
    records = await read_all(kafka_bootstrap, topics.events)
    assert len(records) == 1
    assert b"Wrong size" not in records[0].value  # the buyer's words travel sealed
    event = decode_amazon_event(records[0].value, codec=CODEC)
    assert isinstance(event, ComplaintSignalReceived)
    assert event.text == "Wrong size, I want to return it."
    assert event.source is SignalSource.EMAIL
    assert [str(event.event_id)] == first.json()["event_ids"]
    assert [CODEC.unseal_raw(r.value) for r in await read_all(kafka_bootstrap, topics.rejected)] == [b"\r\n"]
