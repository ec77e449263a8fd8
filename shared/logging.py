"""Structured JSON logs on stdout, with the correlation id of the work in hand.

Log calls pass keys, never buyer data: ``log.info("ticket.opened", extra={"ticket_id": ...})``. A filter
drops keys that are known to hold PII so a careless ``extra`` cannot leak them.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["PII_KEYS", "JsonFormatter", "bind_correlation_id", "configure_logging", "correlation_id"]

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

PII_KEYS = frozenset(
    {"buyer_alias", "buyer_name", "reply_to", "text", "body", "subject", "email", "address", "recipient"}
)
_STD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {"message", "asctime"}


def bind_correlation_id(value: str | None) -> contextvars.Token[str | None]:
    """Set the correlation id for the current task."""
    return correlation_id.set(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event, correlation id and the extra keys."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        cid = correlation_id.get()
        if cid:
            doc["correlation_id"] = cid
        for key, value in record.__dict__.items():
            if key in _STD_ATTRS or key.startswith("_"):
                continue
            doc[key] = "[redacted]" if key in PII_KEYS else value
        if record.exc_info and record.exc_info[0] is not None:
            doc["exc_type"] = record.exc_info[0].__name__
            doc["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(doc, default=str).decode()


def configure_logging(level: str = "INFO") -> None:
    """Route the root logger to stdout as JSON (idempotent)."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in list(root.handlers):
        if getattr(handler, "_complaints", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler._complaints = True  # type: ignore[attr-defined]  # marks our handler for idempotent re-config
    root.addHandler(handler)
    for noisy in ("aiokafka", "botocore", "aiobotocore", "werkzeug", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
