"""Auto-detect a captured payload (SQS body, SNS/SES, EventBridge, .eml, report) and parse it offline."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.ingest.parse.account_health import ACCOUNT_HEALTH, parse_account_health
from services.ingest.parse.envelopes import SesMail, SpApiNotification, decode_document, decode_sqs_body
from services.ingest.parse.notifications import parse_notification
from services.ingest.parse.relay import parse_relay_email
from services.ingest.parse.report_decode import gunzip, is_gzip
from services.ingest.parse.reports import parse_report, sniff_report_type
from shared.errors import ComplaintsError, ValidationError
from shared.events import AmazonEvent

__all__ = ["CapturedResult", "ParseOptions", "parse_captured"]

_HEADER_FIELD = re.compile(rb"^(?:From [^\r\n]*\r?\n)?[!-9;-~]+:[ \t]")


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """What the payload itself cannot tell: seller, marketplace, report type, clock and correlation id."""

    received_at: datetime
    correlation_id: str
    seller_id: str | None = None
    report_type: str | None = None
    marketplace_id: str | None = None
    region: str | None = None


@dataclass(slots=True)
class CapturedResult:
    """Events parsed from one input and a message per part that failed."""

    events: list[AmazonEvent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _loads(data: bytes) -> Any:
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise ValidationError("JSON is nested too deeply to be a notification") from exc


def _json_documents(data: bytes) -> Iterator[Any]:
    """One JSON document, a JSON array of them, JSON Lines, or ``aws sqs receive-message`` output."""
    try:
        documents: list[Any] = [_loads(data)]
    except ValueError:
        lines = [line for line in data.splitlines() if line.strip()]
        try:
            documents = [_loads(line) for line in lines]
        except ValueError as exc:
            raise ValidationError(f"not valid JSON or JSON Lines: {exc}") from exc
    for document in documents:
        if isinstance(document, dict) and isinstance(document.get("Messages"), list):
            yield from (
                message.get("Body") if isinstance(message, dict) else message
                for message in document["Messages"]
            )
        elif isinstance(document, list):
            yield from document
        else:
            yield document


def _envelope_event(document: Any, options: ParseOptions) -> AmazonEvent:
    # SQS bodies captured as strings (receive-message output, JSON arrays of bodies) are decoded once more.
    envelope = decode_sqs_body(document) if isinstance(document, str) else decode_document(document)
    if isinstance(envelope, SpApiNotification):
        return parse_notification(
            envelope.document,
            source=envelope.source,
            received_at=options.received_at,
            correlation_id=options.correlation_id,
            region=options.region,
            default_seller_id=options.seller_id,
        )
    if isinstance(envelope, SesMail):
        return parse_relay_email(
            envelope.raw,
            seller_for_recipient=lambda _address: None,
            default_seller_id=options.seller_id,
            received_at=envelope.ses.timestamp or options.received_at,
            correlation_id=options.correlation_id,
            envelope_recipients=envelope.ses.recipients,
            ses_message_id=envelope.ses.message_id,
        )
    raise ValidationError(
        f"mail is stored in S3 at {envelope.uri} (SES message {envelope.ses.message_id}) and cannot be "
        "fetched offline; download the object and pass it as an .eml file"
    )


def _report(data: bytes, options: ParseOptions, result: CapturedResult) -> None:
    if options.seller_id is None:
        raise ValidationError("reports carry no seller id; pass --seller-id")
    if options.report_type == ACCOUNT_HEALTH:
        result.events.extend(
            parse_account_health(
                data,
                seller_id=options.seller_id,
                received_at=options.received_at,
                correlation_id=options.correlation_id,
            )
        )
        return
    parsed = parse_report(
        data,
        report_type=options.report_type,
        seller_id=options.seller_id,
        received_at=options.received_at,
        correlation_id=options.correlation_id,
        marketplace_id=options.marketplace_id,
        region=options.region,
    )
    result.events.extend(parsed.events)
    result.errors.extend(f"row {error.row_number}: {error.reason}" for error in parsed.errors)


def _parse(data: bytes, name: str, options: ParseOptions, result: CapturedResult) -> None:
    if options.report_type is not None:
        _report(data, options, result)
        return
    plain = gunzip(data) if is_gzip(data) else data
    head = plain.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        for index, document in enumerate(_json_documents(head)):
            try:
                result.events.append(_envelope_event(document, options))
            except ComplaintsError as exc:
                result.errors.append(f"document {index + 1}: {exc}")
        return
    if name.lower().endswith(".eml") or _HEADER_FIELD.match(head):
        result.events.append(
            parse_relay_email(
                plain,
                seller_for_recipient=lambda _address: None,
                default_seller_id=options.seller_id,
                received_at=options.received_at,
                correlation_id=options.correlation_id,
            )
        )
        return
    if sniff_report_type(data) is None:
        raise ValidationError(
            "unrecognised input: not JSON, not a mail, not a known report (try --report-type)"
        )
    _report(data, options, result)


def parse_captured(data: bytes, *, name: str, options: ParseOptions) -> CapturedResult:
    """Every event a captured payload holds; failures are collected, never raised."""
    result = CapturedResult()
    try:
        _parse(data, name, options, result)
    except ComplaintsError as exc:
        result.errors.append(str(exc))
    return result
