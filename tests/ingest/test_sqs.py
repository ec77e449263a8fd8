"""SQS -> Kafka on moto and the real broker: notifications, SES mail (SNS, raw, S3), duplicates, poison."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest

from services.ingest.sqs import SqsPoller
from shared.decoding import decode_amazon_event
from shared.events import (
    ComplaintSignalReceived,
    OrderContextUpdated,
    SignalKind,
    SignalSource,
    event_id_for,
)
from shared.stack.aws import AwsEnvironment, aws_client, create_resources
from tests.ingest.fakes import UnackedProducer
from tests.ingest.kafka_read import header, read_all
from tests.ingest.payloads import SELLER, order_change, relay_mail, ses_received
from tests.ingest.support import CODEC, DepsFactory, Topics, eventually, ingest_settings, queue_empty

if TYPE_CHECKING:
    from types_aiobotocore_s3.client import S3Client
    from types_aiobotocore_sqs.client import SQSClient

pytestmark = pytest.mark.integration


@asynccontextmanager
async def running(poller: SqsPoller) -> AsyncIterator[None]:
    """The poller's receivers run inside the block and are drained when it ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def _drain_queue(poller: SqsPoller, sqs: SQSClient, url: str) -> None:
    async with running(poller):
        await eventually(lambda: queue_empty(sqs, url))


async def test_notification_becomes_one_event_and_the_message_is_deleted(
    sqs: SQSClient, queue_url: str, make_deps: DepsFactory, topics: Topics, kafka_bootstrap: str
) -> None:
    note = order_change()
    notification_id = note["NotificationMetadata"]["NotificationId"]
    await sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(note))

    await _drain_queue(
        SqsPoller(sqs, queue_url, deps=make_deps(settings=ingest_settings([queue_url]))), sqs, queue_url
    )

    records = await read_all(kafka_bootstrap, topics.events)
    assert len(records) == 1
    event = decode_amazon_event(records[0].value, codec=CODEC)
    assert isinstance(event, OrderContextUpdated)
    assert event.notification_id == notification_id
    assert event.event_id == event_id_for(f"spapi:{notification_id}")
    assert event.source is SignalSource.SQS
    assert event.seller_id == SELLER
    assert records[0].key == f"{SELLER}|111-2222222-3333333".encode()
    assert await read_all(kafka_bootstrap, topics.rejected) == []


@pytest.mark.parametrize("delivery", ["sns-envelope", "raw-delivery", "s3-action"])
async def test_ses_mail_through_sns_becomes_one_complaint_signal(
    delivery: str,
    aws: AwsEnvironment,
    sqs: SQSClient,
    s3: S3Client,
    make_deps: DepsFactory,
    topics: Topics,
    kafka_bootstrap: str,
) -> None:
    resources = await create_resources(
        aws.endpoint_url,
        aws.region,
        prefix=f"t{uuid.uuid4().hex[:8]}",
        raw_delivery=delivery == "raw-delivery",
    )
    message_id = f"{uuid.uuid4()}@relay.test"
    raw = relay_mail("The lamp arrived broken.", message_id=message_id)
    if delivery == "s3-action":
        key = f"mail/{uuid.uuid4().hex}"
        await s3.put_object(Bucket=resources.ses_mail_bucket, Key=key, Body=raw)
        notification = ses_received(s3=(resources.ses_mail_bucket, key))
    else:
        notification = ses_received(raw=raw)
    async with aws_client("sns", aws.endpoint_url, aws.region) as sns:
        await sns.publish(TopicArn=resources.ses_topic_arn, Message=json.dumps(notification))
    queue = resources.ses_queue_url

    await _drain_queue(SqsPoller(sqs, queue, deps=make_deps(settings=ingest_settings([queue]))), sqs, queue)

    records = await read_all(kafka_bootstrap, topics.events)
    assert len(records) == 1
    event = decode_amazon_event(records[0].value, codec=CODEC)
    assert isinstance(event, ComplaintSignalReceived)
    assert event.kind is SignalKind.BUYER_MESSAGE
    assert event.text == "The lamp arrived broken."
    assert event.dedup_key == f"email:<{message_id}>"
    assert event.order_id == "111-2222222-3333333"
    assert event.seller_id == SELLER


async def test_a_duplicate_storm_yields_one_event(
    sqs: SQSClient, queue_url: str, make_deps: DepsFactory, topics: Topics, kafka_bootstrap: str
) -> None:
    body = json.dumps(order_change())
    for _ in range(10):
        await sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    settings = ingest_settings([queue_url], sqs_receivers=4)

    await _drain_queue(SqsPoller(sqs, queue_url, deps=make_deps(settings=settings)), sqs, queue_url)

    records = await read_all(kafka_bootstrap, topics.events)
    assert len(records) == 1


async def test_a_broken_message_is_rejected_with_its_reason_and_the_next_one_flows(
    sqs: SQSClient, queue_url: str, make_deps: DepsFactory, topics: Topics, kafka_bootstrap: str
) -> None:
    broken = '{"NotificationType": "ORDER_CHANGE", "Payload": '
    sent = await sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=broken,
        MessageAttributes={"origin": {"DataType": "String", "StringValue": "test-suite"}},
    )
    good = order_change()
    await sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(good))

    await _drain_queue(
        SqsPoller(sqs, queue_url, deps=make_deps(settings=ingest_settings([queue_url]))), sqs, queue_url
    )

    rejected = await read_all(kafka_bootstrap, topics.rejected)
    assert len(rejected) == 1
    dead = rejected[0]
    assert CODEC.unseal_raw(dead.value) == broken.encode()
    assert b"ORDER_CHANGE" not in dead.value  # the raw input travels sealed
    assert "not valid JSON" in (header(dead, "dlq.reason") or "")
    assert (header(dead, "dlq.error") or "").startswith("ValidationError:")
    assert header(dead, "dlq.source") == "sqs"
    assert header(dead, "sqs.message_id") == sent["MessageId"]
    assert header(dead, "sqs.approximate_receive_count") == "1"
    assert header(dead, "sqs.queue_url") == queue_url
    assert header(dead, "sqs.message_attribute.origin") == "test-suite"
    events = [
        decode_amazon_event(record.value, codec=CODEC)
        for record in await read_all(kafka_bootstrap, topics.events)
    ]
    assert [getattr(event, "notification_id", None) for event in events] == [
        good["NotificationMetadata"]["NotificationId"]
    ]


async def test_a_message_is_kept_when_kafka_fails(
    sqs: SQSClient, queue_url: str, make_deps: DepsFactory, topics: Topics, kafka_bootstrap: str
) -> None:
    await sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(order_change()))
    deps = make_deps(settings=ingest_settings([queue_url]))
    failing = make_deps(settings=ingest_settings([queue_url]), events_producer=UnackedProducer(deps.producer))
    poller = SqsPoller(sqs, queue_url, deps=failing)
    received = await sqs.receive_message(
        QueueUrl=queue_url, AttributeNames=["All"], WaitTimeSeconds=1, VisibilityTimeout=1
    )

    results = await poller.settle(received["Messages"])

    assert [result.verdict for result in results.values()] == ["retry"]
    assert not await queue_empty(sqs, queue_url)
    await _drain_queue(SqsPoller(sqs, queue_url, deps=deps), sqs, queue_url)
    assert len(await read_all(kafka_bootstrap, topics.events)) == 1
