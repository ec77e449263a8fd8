"""Re-ingest the raw inputs kept on the rejected topic through today's parsers (after a parser fix).

Each record is unsealed with the PII key ring and handled like a fresh input of its source (``dlq.source``):
new events are published once (event ids are deterministic, the ingest ledger skips what is already out),
an input that still fails goes to the rejected topic again with its new reason. Report rows are not inputs
of their own (a report is re-run from SP-API), so they are left where they are and counted as skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.ingest.handlers import InboundInput, handle_inputs
from services.ingest.intake import Intake, Parsed
from services.ingest.parse import SpApiNotification, decode_sqs_body
from shared.errors import PermanentError, ValidationError
from shared.kafka.codec import EventCodec
from shared.kafka.dlq_tools import DeadLetter

__all__ = ["REINGESTABLE", "ReingestSummary", "reingest", "reingest_from_env", "to_input"]

REINGESTABLE = frozenset({"sqs", "eventbridge", "email"})
"""Sources whose kept body is a whole input."""


@dataclass(slots=True)
class ReingestSummary:
    """Verdicts of the re-ingested inputs (done, rejected, retry) and the skipped records by reason."""

    verdicts: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)


def to_input(letter: DeadLetter, codec: EventCodec) -> InboundInput | str:
    """The input a rejected record keeps, or why it cannot be re-ingested (raises nothing)."""
    source = letter.header("dlq.source") or ""
    if source not in REINGESTABLE:
        return f"source {source or 'missing'} is not re-ingestable"
    if letter.value is None:
        return "no body kept"
    if letter.header("dlq.truncated_from") is not None:
        return "body was cut to fit the topic"
    try:
        body = codec.unseal_raw(letter.value)
    except PermanentError:
        return "cannot be unsealed with the PII key ring"
    position = f"{letter.topic}:{letter.partition}:{letter.offset}"
    received = letter.header("dlq.at")
    try:
        received_at = datetime.fromisoformat(received) if received else letter.at
    except ValueError:
        received_at = letter.at
    return InboundInput(
        key=position,
        body=body,
        received_at=received_at,
        correlation_id=f"replay:{position}",
        source=source,
        headers={
            n: v.decode(errors="replace") for n, v in letter.headers if not n.startswith(("dlq.", "pii."))
        },
    )


def _parser(intake: Intake) -> Callable[[InboundInput], Any]:
    async def parse(item: InboundInput) -> Parsed:
        if item.source == "email":
            if not item.body.strip():
                raise ValidationError("empty mail")
            return Parsed(
                (intake.mail(item.body, received_at=item.received_at, correlation_id=item.correlation_id),)
            )
        envelope = decode_sqs_body(item.body)
        if item.source == "eventbridge" and not isinstance(envelope, SpApiNotification):
            raise ValidationError("not an EventBridge event carrying an SP-API notification")
        return await intake.parse(envelope, received_at=item.received_at, correlation_id=item.correlation_id)

    return parse


async def reingest(
    letters: Sequence[DeadLetter],
    *,
    codec: EventCodec,
    intake: Intake,
    deps: Any,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> ReingestSummary:
    """Re-ingest the records (``deps=None``: a dry run that only sorts them)."""
    summary = ReingestSummary()
    parse = _parser(intake)
    for done, letter in enumerate(letters, start=1):
        item = to_input(letter, codec)
        if isinstance(item, str):
            summary.skipped[item] += 1
        elif deps is None:
            summary.verdicts["would re-ingest"] += 1
        else:
            result = (await handle_inputs([item], parse=parse, deps=deps))[item.key]
            summary.verdicts[result.verdict] += 1
        progress(done, len(letters))
    return summary


async def reingest_from_env(
    letters: Sequence[DeadLetter], *, dry_run: bool, progress: Callable[[int, int], None]
) -> dict[str, Any]:
    """``complaints dlq replay`` on the rejected topic: ingest's dependencies built from the environment."""
    from services.ingest.aws import S3MailStore, create_client
    from services.ingest.deps import IngestDeps
    from services.ingest.settings import IngestServiceSettings
    from shared.db.session import Database
    from shared.kafka.producer import EventProducer

    settings = IngestServiceSettings()
    codec = EventCodec.from_settings(settings.pii)
    async with AsyncExitStack() as stack:
        s3 = await stack.enter_async_context(create_client("s3", settings.aws))
        intake = Intake(
            default_seller_id=settings.ingest.default_seller_id or None,
            recipient_sellers={k.lower(): v for k, v in settings.ingest.recipient_sellers.items()},
            subscription_sellers=settings.ingest.subscription_sellers,
            mail_store=S3MailStore(s3),
        )
        deps = None
        if not dry_run:
            db = Database(settings.database)
            stack.push_async_callback(db.dispose)
            producer = EventProducer(settings.kafka, codec=codec)
            stack.push_async_callback(producer.stop)
            await producer.start()
            deps = IngestDeps(db=db, producer=producer, intake=intake, settings=settings.ingest)
        summary = await reingest(letters, codec=codec, intake=intake, deps=deps, progress=progress)
    return {
        "dry_run": dry_run,
        "verdicts": dict(summary.verdicts),
        "skipped": dict(summary.skipped),
        "failed": summary.verdicts.get("retry", 0),
    }
