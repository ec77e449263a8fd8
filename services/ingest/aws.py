"""aiobotocore clients from ``AwsSettings`` and the S3 mail store of SES S3 actions."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Literal, cast, overload

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from shared.errors import PermanentError, RetryableError
from shared.settings import AwsSettings

if TYPE_CHECKING:
    from types_aiobotocore_s3.client import S3Client
    from types_aiobotocore_sqs.client import SQSClient

__all__ = ["PERMANENT_S3_CODES", "S3MailStore", "create_client"]

# moto and local stacks accept any key; real deployments get credentials from the default chain (IRSA).
_PLACEHOLDER_KEY = "testing"
PERMANENT_S3_CODES = frozenset(
    {"NoSuchKey", "NoSuchBucket", "AccessDenied", "InvalidObjectState", "404", "403"}
)


@overload
def create_client(
    service: Literal["sqs"], settings: AwsSettings, *, read_timeout: float = ...
) -> AbstractAsyncContextManager[SQSClient]: ...
@overload
def create_client(
    service: Literal["s3"], settings: AwsSettings, *, read_timeout: float = ...
) -> AbstractAsyncContextManager[S3Client]: ...
def create_client(
    service: str, settings: AwsSettings, *, read_timeout: float = 30.0
) -> AbstractAsyncContextManager[Any]:
    """An aiobotocore client; explicit keys only for a custom endpoint or non-placeholder values."""
    config = AioConfig(
        connect_timeout=5,
        read_timeout=read_timeout,
        retries={"max_attempts": 3, "mode": "standard"},
        s3={"addressing_style": "path"} if settings.endpoint_url else None,
    )
    key_id = settings.access_key_id.get_secret_value()
    secret = settings.secret_access_key.get_secret_value()
    credentials: dict[str, str] = {}
    if settings.endpoint_url or key_id != _PLACEHOLDER_KEY:
        credentials = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
    session: Any = get_session()
    client = session.create_client(
        service, region_name=settings.region, endpoint_url=settings.endpoint_url, config=config, **credentials
    )
    return cast(AbstractAsyncContextManager[Any], client)


class S3MailStore:
    """Reads the raw mails an SES S3 action stored."""

    def __init__(self, client: S3Client, *, timeout_s: float = 30.0) -> None:
        self._client = client
        self._timeout_s = timeout_s

    async def fetch(self, bucket: str, key: str) -> bytes:
        """The object's bytes; a missing or forbidden object is permanent, anything else retryable."""
        try:
            async with asyncio.timeout(self._timeout_s):
                response = await self._client.get_object(Bucket=bucket, Key=key)
                async with response["Body"] as stream:
                    return await stream.read()
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in PERMANENT_S3_CODES:
                raise PermanentError(f"s3 object unavailable: {code}", code="s3") from exc
            raise RetryableError(f"s3 get_object failed: {code or 'error'}", code="s3") from exc
        except (BotoCoreError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise RetryableError(f"s3 get_object failed: {type(exc).__name__}", code="s3") from exc
