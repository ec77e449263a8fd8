"""Reads what the campaign needs from the real parts: lag, queues, the database, the dead-letter topics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.devrun.chaos_report import DeadLetter, Reply
from services.responder.tables import OrderContextRow, OutboxMessage, Ticket
from shared.kafka.codec import SEALED_HEADER
from shared.stack.aws import AwsEnvironment, aws_client
from shared.stack.smtp import ReceivedMail
from shared.topics import AMAZON_EVENTS, CLASSIFIED, INGEST_REJECTED, dlq

__all__ = [
    "CONSUMED",
    "DEAD_LETTER_TOPICS",
    "Backlog",
    "RawOpener",
    "backlog",
    "dead_letters",
    "email_replies",
    "messaging_replies",
    "order_contexts",
    "outbox_statuses",
    "ticket_times",
    "tickets_count",
]

CONSUMED: dict[str, tuple[str, ...]] = {
    "classifier": (AMAZON_EVENTS,),
    "responder": (CLASSIFIED, AMAZON_EVENTS),
}
DEAD_LETTER_TOPICS = (INGEST_REJECTED, dlq(AMAZON_EVENTS), dlq(CLASSIFIED))
_WAITING = ("pending", "sending")
# A part that is restarting right now (broker, database, moto): ask again later.
_NOT_NOW = (
    KafkaError,
    OSError,
    TimeoutError,
    ClientError,
    BotoCoreError,
    SQLAlchemyError,
    asyncpg.PostgresError,
)


@dataclass(frozen=True, slots=True)
class Backlog:
    """Work not done yet: consumer lag per group, messages in the SQS queues, replies waiting to be sent."""

    lag: dict[str, int]
    queued: int
    outbox_waiting: int
    tickets: int = 0
    behind: tuple[str, ...] = ()  # partitions whose listed log end is below the group's committed offset

    @property
    def empty(self) -> bool:
        """Nothing left anywhere."""
        return not any(self.lag.values()) and self.queued == 0 and self.outbox_waiting == 0

    def __str__(self) -> str:
        lag = ", ".join(f"{group}={n}" for group, n in self.lag.items())
        return f"lag {lag}; sqs {self.queued}; outbox pending/sending {self.outbox_waiting}"


async def _group_lag(bootstrap: str, group: str, topics: Sequence[str], behind: list[str]) -> int:
    """Records after the group's committed offsets, found by fetching them (a lower bound).

    Tansu on S3 storage answers ListOffsets with a stale log end after a restart while Fetch still returns
    the later records, so the end offsets alone could show no lag where there is some.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,  # never joins: only reads the group's committed offsets
        enable_auto_commit=False,
        request_timeout_ms=5_000,
        fetch_max_wait_ms=100,
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(topic, p) for topic in topics for p in consumer.partitions_for_topic(topic) or ()
        ]
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        for tp in partitions:
            committed = await consumer.committed(tp) or 0
            consumer.seek(tp, committed)
            if committed > ends[tp]:
                behind.append(
                    f"{group} {tp.topic}[{tp.partition}] committed {committed} > listed log end {ends[tp]}"
                )
        lag = 0
        for _ in range(2):
            lag += sum(len(records) for records in (await consumer.getmany(timeout_ms=300)).values())
    finally:
        await consumer.stop()
    return lag


async def _queued(aws: AwsEnvironment) -> int:
    total = 0
    async with aws_client("sqs", aws.endpoint_url, aws.region) as sqs:
        for url in aws.resources.ingest_queue_urls:
            response = await sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )
            attrs = response["Attributes"]
            total += int(attrs.get("ApproximateNumberOfMessages", "0"))
            total += int(attrs.get("ApproximateNumberOfMessagesNotVisible", "0"))
    return total


async def backlog(bootstrap: str, aws: AwsEnvironment, engine: AsyncEngine) -> Backlog | None:
    """The backlog, or None when a part does not answer right now."""
    try:
        behind: list[str] = []
        lag = {
            group: await _group_lag(bootstrap, group, topics, behind) for group, topics in CONSUMED.items()
        }
        queued = await _queued(aws)
        async with engine.connect() as conn:
            waiting = select(func.count()).where(OutboxMessage.status.in_(_WAITING))
            outbox = int((await conn.execute(waiting)).scalar_one())
            tickets = int((await conn.execute(select(func.count()).select_from(Ticket))).scalar_one())
    except _NOT_NOW:
        return None
    return Backlog(lag, queued, outbox, tickets, tuple(behind))


async def tickets_count(engine: AsyncEngine) -> int:
    """How many tickets exist."""
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(Ticket))).scalar_one())


async def ticket_times(engine: AsyncEngine) -> dict[str, float]:
    """Order id -> epoch seconds of its (first) ticket."""
    stmt = select(Ticket.order_id, func.min(Ticket.created_at)).group_by(Ticket.order_id)
    async with engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    return {order: created.timestamp() for order, created in rows if order is not None}


async def order_contexts(engine: AsyncEngine) -> list[str]:
    """Order ids that have an order context row."""
    async with engine.connect() as conn:
        return [row[0] for row in (await conn.execute(select(OrderContextRow.order_id))).all()]


async def outbox_statuses(engine: AsyncEngine) -> list[str]:
    """The status of every outbox row."""
    async with engine.connect() as conn:
        return [row[0] for row in (await conn.execute(select(OutboxMessage.status))).all()]


RawOpener = Callable[[bytes], bytes]
"""Gives back the original bytes of a sealed rejected input (``EventCodec.unseal_raw``)."""


async def dead_letters(bootstrap: str, *, open_raw: RawOpener | None = None) -> list[DeadLetter]:
    """Every record of the rejected and dead-letter topics, with its error header (sealed values opened)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=100)
    await consumer.start()
    out: list[DeadLetter] = []
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in DEAD_LETTER_TOPICS
            for p in (consumer.partitions_for_topic(topic) or await _partitions(consumer, topic))
        ]
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        remaining = {tp for tp, end in ends.items() if end > 0}
        async with asyncio.timeout(120):
            while remaining:
                for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                    for record in records:
                        out.append(_dead_letter(record, open_raw))
                        if record.offset + 1 >= ends[tp]:
                            remaining.discard(tp)
    finally:
        await consumer.stop()
    return out


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer.topics()
    return set(consumer.partitions_for_topic(topic) or ())


def _dead_letter(record: Any, open_raw: RawOpener | None) -> DeadLetter:
    headers = {key: (value or b"").decode(errors="replace") for key, value in record.headers or ()}
    value: bytes = record.value or b""
    if SEALED_HEADER in headers and open_raw is not None:
        with contextlib.suppress(Exception):  # a value that does not open is traced by its headers and key
            value = open_raw(value)
    key = (record.key or b"").decode(errors="replace")
    text = " ".join((value.decode(errors="replace"), key, *headers.values()))
    return DeadLetter(record.topic, headers.get("dlq.error", "?"), text)


def _mail_text(message: EmailMessage) -> str:
    parts = [str(message.get(name, "")) for name in ("Subject", "In-Reply-To", "References")]
    with contextlib.suppress(Exception):  # an unparsable body still counts as a reply, by its headers
        body = message.get_body(preferencelist=("plain", "html"))
        if body is not None:
            parts.append(str(body.get_content()))
    return " ".join(parts)


def email_replies(messages: Sequence[ReceivedMail]) -> list[Reply]:
    """What the loopback SMTP server received, as replies."""
    return [Reply("email", mail.rcpt_tos, _mail_text(mail.message), mail.received_at) for mail in messages]


def messaging_replies(standin_state: Any | None) -> list[Reply]:
    """What the SP-API stand-in accepted through the Messaging API, as replies."""
    if standin_state is None:
        return []
    return [
        Reply("messaging", (f"order:{m.order_id}",), f"{m.order_id} {m.action}", m.at.timestamp())
        for m in standin_state.messages
    ]
