"""moto in server mode with the system's queues, SNS fan-out, mail bucket and verified sender."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from shared.stack.aws import AwsEnvironment, aws_client, create_resources, moto_server, start_moto_process
from tests.shared.stack._net import accepts

if TYPE_CHECKING:
    from types_aiobotocore_ses.type_defs import DestinationTypeDef, MessageTypeDef

_MAIL: MessageTypeDef = {"Subject": {"Data": "Your order"}, "Body": {"Text": {"Data": "It shipped."}}}


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


async def _receive_one(aws: AwsEnvironment, queue_url: str) -> str:
    """The only message on the queue (long polling returns as soon as one is there)."""
    async with aws_client("sqs", aws.endpoint_url, aws.region) as sqs:
        received = await sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=5)
        rest = await sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    assert rest.get("Messages", []) == []
    [message] = received["Messages"]
    return message["Body"]


async def test_stack_ingest_queues_exist(aws: AwsEnvironment) -> None:
    async with aws_client("sqs", aws.endpoint_url, aws.region) as sqs:
        for url in aws.resources.ingest_queue_urls:
            attrs = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            assert attrs["Attributes"]["QueueArn"] in (
                aws.resources.spapi_queue_arn,
                aws.resources.ses_queue_arn,
            )


async def test_spapi_queue_round_trips_a_notification(aws: AwsEnvironment) -> None:
    resources = await create_resources(aws.endpoint_url, aws.region, prefix=_prefix())
    body = json.dumps({"notificationType": "ANY_OFFER_CHANGED"})
    async with aws_client("sqs", aws.endpoint_url, aws.region) as sqs:
        await sqs.send_message(QueueUrl=resources.spapi_queue_url, MessageBody=body)
    assert await _receive_one(aws, resources.spapi_queue_url) == body


async def test_ses_topic_delivers_an_sns_envelope_by_default(aws: AwsEnvironment) -> None:
    resources = await create_resources(aws.endpoint_url, aws.region, prefix=_prefix())
    async with aws_client("sns", aws.endpoint_url, aws.region) as sns:
        await sns.publish(TopicArn=resources.ses_topic_arn, Message='{"notificationType":"Received"}')
    envelope = json.loads(await _receive_one(aws, resources.ses_queue_url))
    assert envelope["Type"] == "Notification"
    assert envelope["TopicArn"] == resources.ses_topic_arn
    assert envelope["Message"] == '{"notificationType":"Received"}'


async def test_ses_topic_delivers_the_bare_message_with_raw_delivery(aws: AwsEnvironment) -> None:
    resources = await create_resources(aws.endpoint_url, aws.region, prefix=_prefix(), raw_delivery=True)
    assert resources.ses_raw_delivery
    async with aws_client("sns", aws.endpoint_url, aws.region) as sns:
        await sns.publish(TopicArn=resources.ses_topic_arn, Message='{"notificationType":"Received"}')
    assert await _receive_one(aws, resources.ses_queue_url) == '{"notificationType":"Received"}'


async def test_creating_resources_again_returns_the_same_ones(aws: AwsEnvironment) -> None:
    prefix = _prefix()
    first = await create_resources(aws.endpoint_url, aws.region, prefix=prefix)
    assert await create_resources(aws.endpoint_url, aws.region, prefix=prefix) == first
    async with aws_client("sns", aws.endpoint_url, aws.region) as sns:
        subs = await sns.list_subscriptions_by_topic(TopicArn=first.ses_topic_arn)
    assert len(subs["Subscriptions"]) == 1


async def test_mail_bucket_stores_objects(aws: AwsEnvironment) -> None:
    bucket = aws.resources.ses_mail_bucket
    async with aws_client("s3", aws.endpoint_url, aws.region) as s3:
        await s3.put_object(Bucket=bucket, Key="inbound/abc", Body=b"From: a@b.example\r\n\r\nhi\r\n")
        obj = await s3.get_object(Bucket=bucket, Key="inbound/abc")
        assert await obj["Body"].read() == b"From: a@b.example\r\n\r\nhi\r\n"


async def test_ses_sends_only_from_the_verified_sender(aws: AwsEnvironment) -> None:
    to: DestinationTypeDef = {"ToAddresses": ["buyer@example.com"]}
    async with aws_client("ses", aws.endpoint_url, aws.region) as ses:
        sent = await ses.send_email(Source=aws.resources.ses_sender, Destination=to, Message=_MAIL)
        assert sent["MessageId"]
        with pytest.raises(ClientError, match="MessageRejected"):
            await ses.send_email(Source="someone@else.example", Destination=to, Message=_MAIL)


async def test_moto_server_stops() -> None:
    async with moto_server() as server:
        assert await accepts(server.host, server.port)
    assert not await accepts(server.host, server.port)


async def test_moto_in_a_child_process_serves_s3_and_stops() -> None:
    server = await start_moto_process()
    try:
        async with aws_client("s3", server.endpoint_url, "us-east-1") as s3:
            await s3.create_bucket(Bucket="child-process")
            await s3.put_object(Bucket="child-process", Key="k", Body=b"v")
            body = await (await s3.get_object(Bucket="child-process", Key="k"))["Body"].read()
    finally:
        await server.stop()
    assert body == b"v"
    assert not await accepts(server.host, server.port)
