"""The S3 mail store classifies failures: a missing object is permanent, an unreachable S3 is retryable."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from services.ingest.aws import S3MailStore, create_client
from shared.errors import PermanentError, RetryableError
from shared.settings import AwsSettings
from shared.stack.aws import AwsEnvironment
from shared.stack.ports import LOOPBACK, free_port

if TYPE_CHECKING:
    from types_aiobotocore_s3.client import S3Client

pytestmark = pytest.mark.integration


async def test_fetch_returns_the_stored_mail_and_a_missing_one_is_permanent(
    s3: S3Client, aws: AwsEnvironment
) -> None:
    bucket, key = aws.resources.ses_mail_bucket, f"mail/{uuid.uuid4().hex}"
    await s3.put_object(Bucket=bucket, Key=key, Body=b"Subject: hi\r\n\r\nbody")
    store = S3MailStore(s3)

    assert await store.fetch(bucket, key) == b"Subject: hi\r\n\r\nbody"
    with pytest.raises(PermanentError, match="NoSuchKey"):
        await store.fetch(bucket, key + "-missing")


async def test_an_unreachable_s3_is_retryable() -> None:
    settings = AwsSettings(endpoint_url=f"http://{LOOPBACK}:{free_port()}")
    async with create_client("s3", settings) as client:
        with pytest.raises(RetryableError):
            await S3MailStore(client, timeout_s=10).fetch("bucket", "key")
