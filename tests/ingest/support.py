"""Helpers of the ingest runtime tests: settings for fast runs, waiting, queue state."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from services.ingest.deps import IngestDeps
from services.ingest.settings import IngestSettings
from shared.crypto import PiiCipher
from shared.kafka.codec import EventCodec
from tests.ingest.payloads import SELLER

if TYPE_CHECKING:
    from types_aiobotocore_sqs.client import SQSClient

__all__ = ["API_KEY", "CODEC", "DepsFactory", "Topics", "eventually", "ingest_settings", "queue_empty"]

API_KEY = "eventbridge-test-key"
CODEC = EventCodec(PiiCipher("ingest-runtime-pii-key"))
"""The PII codec of the test producer: read what ingest sealed with it."""
DepsFactory = Callable[..., IngestDeps]


@dataclass(frozen=True)
class Topics:
    """A fresh output topic and its rejected topic."""

    events: str
    rejected: str


def ingest_settings(queue_urls: list[str] | None = None, **overrides: Any) -> IngestSettings:
    """Settings for fast tests: short long polls and visibility, one default seller, one API key, no backfill."""
    values: dict[str, Any] = {
        "sqs_queue_urls": queue_urls or [],
        "sqs_receivers": 2,
        "sqs_wait_seconds": 1,
        "sqs_visibility_timeout": 5,
        "default_seller_id": SELLER,
        "eventbridge_api_keys": [SecretStr("another-key"), SecretStr(API_KEY)],
        "report_backfill_hours": 0,  # no scheduled report requests unless a test asks for them
        **overrides,
    }
    return IngestSettings(**values)


async def queue_empty(client: SQSClient, url: str) -> bool:
    """No visible and no in-flight messages left."""
    names: Any = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attrs = (await client.get_queue_attributes(QueueUrl=url, AttributeNames=names))["Attributes"]
    return all(int(attrs.get(name, "0")) == 0 for name in names)


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 20.0) -> None:
    """Wait until the async ``check()`` returns true (fails the test after ``within`` seconds)."""
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(0.2)
