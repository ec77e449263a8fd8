"""``parse``: print the normalized events of captured Amazon payloads as JSON lines (offline, no AWS).
``rejected``: read the rejected (or a dead-letter) topic back with the PII key ring."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated

import typer

from services.ingest.parse.account_health import ACCOUNT_HEALTH
from services.ingest.parse.captured import ParseOptions, parse_captured
from services.ingest.parse.reports import SUPPORTED_REPORT_TYPES
from services.ingest.rejected_read import read_rejected
from shared.jsonl import output
from shared.kafka.codec import EventCodec
from shared.progress import Progress, error_line
from shared.settings import KafkaSettings, PiiSettings
from shared.topics import INGEST_REJECTED

__all__ = ["app", "parse_command", "rejected_command"]

app = typer.Typer(help="Ingest tools.", no_args_is_help=True, add_completion=False)


@app.command("parse")
def parse_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="Captured SQS/SNS/EventBridge JSON, .eml or report files; - for standard input."),
    ],
    seller_id: Annotated[
        str | None,
        typer.Option("--seller-id", help="Seller for mail and reports (and notifications without one)."),
    ] = None,
    report_type: Annotated[
        str | None,
        typer.Option(
            "--report-type",
            help=f"Skip sniffing; one of {', '.join((*SUPPORTED_REPORT_TYPES, ACCOUNT_HEALTH))}.",
        ),
    ] = None,
    marketplace_id: Annotated[
        str | None, typer.Option("--marketplace-id", help="Marketplace of report files.")
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="SP-API region: na, eu or fe.")] = None,
    out: Annotated[str, typer.Option("--out", help="Where the events go; - for standard output.")] = "-",
) -> None:
    """Print each input's events as JSON lines (PII in clear: Kafka carries it sealed); a failed input is
    reported on standard error with its name and the reason; exit 1 if any failed."""
    with output(out) as sink:
        failed = _parse_all(files, sink, seller_id, report_type, marketplace_id, region, out=out)
    if failed:
        raise typer.Exit(code=1)


def _parse_all(
    files: list[Path],
    sink: IO[str],
    seller_id: str | None,
    report_type: str | None,
    marketplace_id: str | None,
    region: str | None,
    *,
    out: str,
) -> bool:
    failed = False
    received_at = datetime.now(UTC)
    progress = Progress.for_terminal(len(files), "inputs", out=out)
    for done, path in enumerate(files):
        if progress is not None:
            progress.update(done)
        try:
            data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
        except OSError as exc:
            error_line(f"{path}: error: cannot read: {exc.strerror or exc}")
            failed = True
            continue
        options = ParseOptions(
            received_at=received_at,
            # Same file, same correlation id: reruns print identical lines.
            correlation_id=f"cli-{hashlib.sha256(data).hexdigest()[:16]}",
            seller_id=seller_id,
            report_type=report_type,
            marketplace_id=marketplace_id,
            region=region,
        )
        try:
            result = parse_captured(data, name=path.name, options=options)
        except Exception as exc:  # noqa: BLE001  # a parser bug fails this input, not the whole run
            error_line(f"{path}: error: parser failed: {type(exc).__name__}: {exc}")
            failed = True
            continue
        for event in result.events:
            print(event.model_dump_json(), file=sink)
        for error in result.errors:
            error_line(f"{path}: error: {error}")
        failed = failed or bool(result.errors)
    if progress is not None:
        progress.clear()
    return failed


@app.command("rejected")
def rejected_command(
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write each opened value (buyer PII: files mode 0600) into this directory."
        ),
    ] = None,
    topic: Annotated[str, typer.Option("--topic", help="Rejected or dead-letter topic.")] = INGEST_REJECTED,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Records to read from the start.")] = 100,
) -> None:
    """One JSON line per record (key, position, clear headers such as dlq.reason); values opened with the
    PII key ring (RESPONDER_PII_ENCRYPTION_KEY, ..._KEYS_OLD) only into ``--out``, never to the terminal."""
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    records = asyncio.run(
        read_rejected(
            kafka=KafkaSettings(),
            codec=EventCodec.from_settings(PiiSettings()),
            topic=topic,
            out_dir=out_dir,
            limit=limit,
        )
    )
    for record in records:
        print(json.dumps(asdict(record), ensure_ascii=False))
    if any(record.error for record in records):
        raise typer.Exit(code=1)


if __name__ == "__main__":
    app()
