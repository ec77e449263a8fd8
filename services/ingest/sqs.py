"""SQS poller: parallel long-polling receivers per queue, a visibility heartbeat, deletes after Kafka acks.

A received batch is settled as a whole: its messages' visibility is extended while they are processed, and a
message is deleted only once its events are acked and recorded (``done``) or it sits on the rejected topic
(``rejected``). A ``retry`` message is left alone; when its visibility lapses SQS delivers it again. A crash
at any point therefore loses nothing: undeleted messages come back, and the dedup ledger skips what was
already published.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING

import aiohttp
from botocore.exceptions import BotoCoreError, ClientError

from services.ingest.deps import IngestDeps
from services.ingest.handlers import InboundInput, InputResult, failure_fields, handle_inputs
from services.ingest.intake import Parsed
from services.ingest.metrics import SQS_BATCH_SECONDS, SQS_RECEIVE_COUNT
from services.ingest.parse import decode_sqs_body

if TYPE_CHECKING:
    from types_aiobotocore_sqs.client import SQSClient
    from types_aiobotocore_sqs.type_defs import (
        ChangeMessageVisibilityBatchRequestEntryTypeDef,
        DeleteMessageBatchRequestEntryTypeDef,
        MessageTypeDef,
    )

__all__ = ["SqsPoller", "sqs_input"]

log = logging.getLogger(__name__)

_AWS_ERRORS = (ClientError, BotoCoreError, aiohttp.ClientError, OSError, TimeoutError)
_MAX_BATCH = 10


def sqs_input(message: MessageTypeDef, queue_url: str) -> InboundInput:
    """An SQS message as an inbound input; attributes become the headers a dead letter keeps."""
    message_id = message.get("MessageId", "")
    attributes = {str(name): value for name, value in message.get("Attributes", {}).items()}
    headers = {
        "sqs.message_id": message_id,
        "sqs.queue_url": queue_url,
        "sqs.approximate_receive_count": attributes.get("ApproximateReceiveCount", ""),
    }
    headers.update({f"sqs.attribute.{name}": value for name, value in attributes.items()})
    for name, attribute in message.get("MessageAttributes", {}).items():
        binary = attribute.get("BinaryValue")
        value = attribute.get("StringValue")
        if value is None and binary is not None:
            value = base64.b64encode(binary).decode()
        headers[f"sqs.message_attribute.{name}"] = value or ""
    sent = attributes.get("SentTimestamp")
    received_at = (
        datetime.fromtimestamp(int(sent) / 1000, UTC) if sent and sent.isdigit() else datetime.now(UTC)
    )
    return InboundInput(
        key=message_id,
        body=message.get("Body", "").encode("utf-8", "surrogateescape"),
        received_at=received_at,
        correlation_id=f"sqs:{message_id}",
        source="sqs",
        headers=headers,
    )


class _Heartbeat:
    """Keeps the batch's messages invisible while it is being processed (ChangeMessageVisibilityBatch)."""

    def __init__(self, sqs: SQSClient, queue_url: str, handles: Sequence[str], visibility: int) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._handles = list(handles)
        self._visibility = visibility
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _Heartbeat:
        self._task = asyncio.create_task(self._beat())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _beat(self) -> None:
        # A third of the timeout: two beats may fail before a message could reappear mid-processing.
        interval = max(1.0, self._visibility / 3)
        while True:
            await asyncio.sleep(interval)
            entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
                {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": self._visibility}
                for index, handle in enumerate(self._handles)
            ]
            for start in range(0, len(entries), _MAX_BATCH):
                try:
                    await self._sqs.change_message_visibility_batch(
                        QueueUrl=self._queue_url, Entries=entries[start : start + _MAX_BATCH]
                    )
                except _AWS_ERRORS as exc:
                    log.warning("sqs.heartbeat_failed", extra={"error": type(exc).__name__})


class SqsPoller:
    """``IngestSettings.sqs_receivers`` long-polling receivers for one queue."""

    def __init__(self, sqs: SQSClient, queue_url: str, *, deps: IngestDeps) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._deps = deps
        self._settings = deps.settings

    async def run(self, stop: asyncio.Event) -> None:
        """Receive and settle batches until ``stop``; batches in hand are finished, not abandoned."""
        receivers = [
            asyncio.create_task(self._receiver(stop, n)) for n in range(self._settings.sqs_receivers)
        ]
        await asyncio.gather(*receivers)

    async def _receiver(self, stop: asyncio.Event, number: int) -> None:
        failures = 0
        while not stop.is_set():
            if not await self._deps.producer.ping():
                # Nothing received can be published: leave the messages in the queue until Kafka is back.
                await _sleep_unless(stop, 1.0)
                continue
            try:
                messages = await self._receive(stop)
            except _AWS_ERRORS as exc:
                failures += 1
                log.warning(
                    "sqs.receive_failed",
                    extra={"queue": self._queue_url, "receiver": number, "error": type(exc).__name__},
                )
                await _sleep_unless(stop, min(30.0, 0.5 * 2**failures))
                continue
            failures = 0
            if messages:
                await self.settle(messages)

    async def _receive(self, stop: asyncio.Event) -> list[MessageTypeDef]:
        receive = asyncio.create_task(
            self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=_MAX_BATCH,
                WaitTimeSeconds=self._settings.sqs_wait_seconds,
                VisibilityTimeout=self._settings.sqs_visibility_timeout,
                AttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
        )
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({receive, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if receive in done:
            return list(receive.result().get("Messages", []))
        # Shutting down mid long poll: anything SQS hands out now simply reappears after its visibility.
        receive.cancel()
        with contextlib.suppress(asyncio.CancelledError, *_AWS_ERRORS):
            await receive
        return []

    async def settle(self, messages: Sequence[MessageTypeDef]) -> dict[str, InputResult]:
        """Process one received batch and delete the messages that are done or rejected."""
        started = time.monotonic()
        inputs = [sqs_input(message, self._queue_url) for message in messages]
        handles = {message.get("MessageId", ""): message.get("ReceiptHandle", "") for message in messages}
        for item in inputs:
            count = item.headers.get("sqs.approximate_receive_count", "")
            SQS_RECEIVE_COUNT.observe(int(count) if count.isdigit() else 1)
        log.info("sqs.batch_received", extra={"queue": self._queue_url, "messages": len(messages)})
        async with _Heartbeat(self._sqs, self._queue_url, list(handles.values()), self._visibility):
            try:
                results = await handle_inputs(inputs, parse=self._parse, deps=self._deps)
            except Exception as exc:  # noqa: BLE001  # an unexpected failure: nothing is deleted, SQS redelivers the batch
                log.error("sqs.batch_failed", extra={"queue": self._queue_url, **failure_fields(exc)})
                results = {item.key: InputResult("retry", error=exc) for item in inputs}
        log.info("sqs.batch_handled", extra={"queue": self._queue_url, **_tally(results)})
        for item in inputs:
            result = results[item.key]
            if result.verdict != "done":
                log.info(
                    "sqs.message_" + result.verdict,
                    extra={
                        "queue": self._queue_url,
                        "message_id": item.key,
                        "receive_count": item.headers.get("sqs.approximate_receive_count"),
                        "error": type(result.error).__name__ if result.error else None,
                    },
                )
        settled = [handles[key] for key, result in results.items() if result.verdict != "retry"]
        await self._delete(settled)
        SQS_BATCH_SECONDS.observe(time.monotonic() - started)
        return results

    @property
    def _visibility(self) -> int:
        return self._settings.sqs_visibility_timeout

    async def _parse(self, item: InboundInput) -> Parsed:
        envelope = decode_sqs_body(item.body)
        return await self._deps.intake.parse(
            envelope, received_at=item.received_at, correlation_id=item.correlation_id
        )

    async def _delete(self, handles: Sequence[str]) -> None:
        for start in range(0, len(handles), _MAX_BATCH):
            chunk = handles[start : start + _MAX_BATCH]
            entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(index), "ReceiptHandle": handle} for index, handle in enumerate(chunk)
            ]
            try:
                response = await self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except _AWS_ERRORS as exc:
                # The messages come back after their visibility; the ledger skips their events then.
                log.warning(
                    "sqs.delete_failed", extra={"queue": self._queue_url, "error": type(exc).__name__}
                )
                continue
            for failed in response.get("Failed", []):
                log.warning("sqs.delete_failed", extra={"queue": self._queue_url, "code": failed.get("Code")})
        if handles:
            log.info("sqs.batch_deleted", extra={"queue": self._queue_url, "messages": len(handles)})


def _tally(results: Mapping[str, InputResult]) -> dict[str, int]:
    counts = {"done": 0, "rejected": 0, "retry": 0}
    for result in results.values():
        counts[result.verdict] += 1
    return counts


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
