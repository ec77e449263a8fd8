"""Put demo inputs where Amazon and AWS would: SP-API notifications on SQS, buyer mail through SES/SNS/SQS."""

from __future__ import annotations

from collections.abc import Sequence

from shared.demo.scenario import DemoInput
from shared.stack.aws import AwsEnvironment, aws_client

__all__ = ["feed"]

SES_SUBJECT = "Amazon SES Email Receipt Notification"


async def feed(aws: AwsEnvironment, inputs: Sequence[DemoInput]) -> None:
    """Send every input through the real local AWS path."""
    res = aws.resources
    async with (
        aws_client("sqs", aws.endpoint_url, aws.region) as sqs,
        aws_client("sns", aws.endpoint_url, aws.region) as sns,
    ):
        for item in inputs:
            if item.queue == "spapi":
                await sqs.send_message(QueueUrl=res.spapi_queue_url, MessageBody=item.body)
            else:
                await sns.publish(TopicArn=res.ses_topic_arn, Message=item.body, Subject=SES_SUBJECT)
