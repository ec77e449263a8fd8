"""``complaints dlq``: list, show and replay dead-letter and rejected topics (JSON lines on stdout)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from aiokafka.errors import KafkaError

from shared.errors import ComplaintsError
from shared.kafka.dlq_tools import (
    DeadLetter,
    ReplayFilter,
    dead_letter,
    masked,
    replay,
    scan,
    summarize,
)
from shared.progress import Progress
from shared.settings import KafkaSettings
from shared.topics import ALL_TOPICS, INGEST_REJECTED

__all__ = ["app", "dead_letter_topics"]

T = TypeVar("T")

app = typer.Typer(
    name="dlq", help="Dead-letter and rejected topics: list, show, replay.", no_args_is_help=True
)

_DATES = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]
TopicOpt = Annotated[
    list[str] | None,
    typer.Option("--topic", help="Dead-letter or rejected topic (repeatable; default: all)."),
]
SourceOpt = Annotated[
    str | None, typer.Option("--source-topic", help="Only dead letters consumed from this topic.")
]
ReasonOpt = Annotated[
    str | None,
    typer.Option("--reason", help="dlq.error class, code or both (PermanentError:db_data, db_data)."),
]
SinceOpt = Annotated[
    datetime | None, typer.Option("--since", formats=_DATES, help="Dead-lettered at or after (UTC).")
]
UntilOpt = Annotated[datetime | None, typer.Option("--until", formats=_DATES, help="Before (UTC).")]
FromOpt = Annotated[int | None, typer.Option("--from-offset", min=0, help="Lowest offset (inclusive).")]
ToOpt = Annotated[int | None, typer.Option("--to-offset", min=0, help="Highest offset (inclusive).")]


def dead_letter_topics() -> list[str]:
    """Every dead-letter topic and the rejected topic."""
    return [spec.name for spec in ALL_TOPICS if spec.name.endswith(".dlq") or spec.name == INGEST_REJECTED]


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _filter(
    source: str | None,
    reason: str | None,
    since: datetime | None,
    until: datetime | None,
    lo: int | None,
    hi: int | None,
) -> ReplayFilter:
    return ReplayFilter(source, reason, _utc(since), _utc(until), lo, hi)


async def _read(kafka: KafkaSettings, topic: str, chosen: ReplayFilter) -> list[DeadLetter]:
    out: list[DeadLetter] = []
    async with aclosing(scan(kafka=kafka, topic=topic)) as records:
        async for record in records:
            letter = dead_letter(record)
            if chosen.matches(letter):
                out.append(letter)
    return out


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``; an unreachable broker or a refused send is one error line and exit 1, not a traceback."""
    try:
        return asyncio.run(work)
    except (KafkaError, ComplaintsError, OSError) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise typer.Exit(code=1) from None


def _print(doc: dict[str, Any]) -> None:
    print(json.dumps(doc, ensure_ascii=False, default=str))


@app.command("list")
def list_command(topics: TopicOpt = None) -> None:
    """One line per topic: how many records, the oldest, counts by dlq.error."""
    kafka = KafkaSettings()
    for topic in topics or dead_letter_topics():
        summary = summarize(topic, _run(_read(kafka, topic, ReplayFilter())))
        _print(
            {
                "topic": summary.topic,
                "count": summary.count,
                "oldest": summary.oldest.isoformat() if summary.oldest else None,
                "by_reason": summary.by_reason,
            }
        )


@app.command("show")
def show_command(
    topics: TopicOpt = None,
    source: SourceOpt = None,
    reason: ReasonOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    lo: FromOpt = None,
    hi: ToOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Records per topic.")] = 100,
    reveal_pii: Annotated[
        bool,
        typer.Option(
            "--reveal-pii", help="Open values with the PII key ring and print them (buyer PII in clear)."
        ),
    ] = False,
) -> None:
    """One line per record: position, time, reason, error, source and the value (PII masked by default)."""
    kafka = KafkaSettings()
    chosen = _filter(source, reason, since, until, lo, hi)
    reveal = _revealer() if reveal_pii else None
    for topic in topics or dead_letter_topics():
        for letter in _run(_read(kafka, topic, chosen))[:limit]:
            _print(
                {
                    "topic": letter.topic,
                    "partition": letter.partition,
                    "offset": letter.offset,
                    "at": letter.at.isoformat(),
                    "key": letter.key.decode(errors="replace") if letter.key is not None else None,
                    "reason": letter.header("dlq.reason"),
                    "error": letter.reason,
                    "source": letter.source_topic or letter.header("dlq.source"),
                    "value": reveal(letter) if reveal else masked(letter),
                }
            )


def _revealer() -> Any:
    from services.ingest.rejected_read import open_value
    from shared.errors import PermanentError
    from shared.kafka.codec import EventCodec
    from shared.settings import PiiSettings

    codec = EventCodec.from_settings(PiiSettings())

    def reveal(letter: DeadLetter) -> str | None:
        if letter.value is None:
            return None
        headers = {name: value.decode(errors="replace") for name, value in letter.headers}
        try:
            return open_value(letter.value, headers, codec).decode(errors="replace")
        except PermanentError as exc:
            return f"[cannot open: {exc}]"

    return reveal


def _progress() -> Callable[[int, int], None]:
    """The replay's progress line on standard error when it is a terminal (the summary comes after it)."""
    bar: Progress | None = None

    def step(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = Progress.for_terminal(total, "records", out="")
        if bar is not None:
            bar.update(done)
            if done >= total:
                bar.clear()

    return step


@app.command("replay")
def replay_command(
    topics: TopicOpt = None,
    source: SourceOpt = None,
    reason: ReasonOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    lo: FromOpt = None,
    hi: ToOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would go where; send nothing.")
    ] = False,
) -> None:
    """Send the chosen dead letters back to their source topics (the rejected topic: re-ingest its inputs
    through today's parsers). Safe to repeat: event ids are deterministic. Prints a summary line per topic."""
    kafka = KafkaSettings()
    chosen = _filter(source, reason, since, until, lo, hi)
    failed = False
    for topic in topics or dead_letter_topics():
        letters = _run(_read(kafka, topic, chosen))
        if topic == INGEST_REJECTED:
            from services.ingest.reingest import reingest_from_env

            summary = _run(reingest_from_env(letters, dry_run=dry_run, progress=_progress()))
        else:
            summary = _run(_replay(kafka, letters, dry_run=dry_run))
        failed = failed or bool(summary.get("failed"))
        _print({"topic": topic, **summary})
    if failed:
        raise typer.Exit(code=1)


async def _replay(kafka: KafkaSettings, letters: list[DeadLetter], *, dry_run: bool) -> dict[str, Any]:
    from shared.kafka.producer import EventProducer

    producer = None if dry_run else EventProducer(kafka)
    try:
        if producer is not None:
            await producer.start()
        summary = await replay(letters, producer=producer, progress=_progress())
    finally:
        if producer is not None:
            await producer.stop()
    return {"dry_run": summary.dry_run, "sent": dict(summary.sent), "skipped": dict(summary.skipped)}
