"""Pure parsing core of the ingest service: everything Amazon sends a seller, as shared.events models.

No I/O here: callers fetch SQS messages, S3 objects and report documents and pass the bytes in.
"""

from __future__ import annotations

from services.ingest.parse.envelopes import (
    Envelope,
    SesMail,
    SesMetadata,
    SesS3Reference,
    SpApiNotification,
    decode_document,
    decode_sqs_body,
)
from services.ingest.parse.notifications import ReportReady, parse_notification, report_ready
from services.ingest.parse.relay import parse_relay_email
from services.ingest.parse.reports import (
    SUPPORTED_REPORT_TYPES,
    ReportParseResult,
    RowError,
    parse_report,
    sniff_report_type,
)
from services.ingest.parse.return_reasons import ReturnReasonBucket, normalize_return_reason

__all__ = [
    "SUPPORTED_REPORT_TYPES",
    "Envelope",
    "ReportParseResult",
    "ReportReady",
    "ReturnReasonBucket",
    "RowError",
    "SesMail",
    "SesMetadata",
    "SesS3Reference",
    "SpApiNotification",
    "decode_document",
    "decode_sqs_body",
    "normalize_return_reason",
    "parse_notification",
    "parse_relay_email",
    "parse_report",
    "report_ready",
    "sniff_report_type",
]
