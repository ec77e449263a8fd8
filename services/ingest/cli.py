"""``parse``: print the normalized events of captured Amazon payloads as JSON lines (offline, no AWS)."""

from __future__ import annotations

import hashlib
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from services.ingest.parse.captured import ParseOptions, parse_captured
from services.ingest.parse.reports import SUPPORTED_REPORT_TYPES

__all__ = ["app", "parse_command"]

app = typer.Typer(help="Ingest tools.", no_args_is_help=True, add_completion=False)


@app.command("parse")
def parse_command(
    files: Annotated[
        list[Path], typer.Argument(help="Captured SQS/SNS/EventBridge JSON, .eml or report files.")
    ],
    seller_id: Annotated[
        str | None,
        typer.Option("--seller-id", help="Seller for mail and reports (and notifications without one)."),
    ] = None,
    report_type: Annotated[
        str | None,
        typer.Option("--report-type", help=f"Skip sniffing; one of {', '.join(SUPPORTED_REPORT_TYPES)}."),
    ] = None,
    marketplace_id: Annotated[
        str | None, typer.Option("--marketplace-id", help="Marketplace of report files.")
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="SP-API region: na, eu or fe.")] = None,
) -> None:
    """Print each input's events (the exact Kafka JSON); exit 1 if any input or row failed."""
    failed = False
    received_at = datetime.now(UTC)
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"{path}: error: cannot read: {exc.strerror or exc}", file=sys.stderr)
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
        result = parse_captured(data, name=path.name, options=options)
        for event in result.events:
            print(event.model_dump_json())
        for error in result.errors:
            print(f"{path}: error: {error}", file=sys.stderr)
        failed = failed or bool(result.errors)
    if failed:
        raise typer.Exit(code=1)


if __name__ == "__main__":
    app()
