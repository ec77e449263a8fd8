"""Structured JSON logs on stdout, with the correlation id of the work in hand (the trace id under a span).

Log calls pass keys, never buyer data: ``log.info("ticket.opened", extra={"ticket_id": ...})``. A filter
drops keys that are known to hold PII so a careless ``extra`` cannot leak them.

Exceptions are logged as their types and stack frames only, never their messages: a database error's
message can quote the offending value (``invalid input syntax for type uuid: "<a buyer's text>"``, a unique
violation's key), whoever logs it (our code or uvicorn's "Exception in ASGI application").
"""

from __future__ import annotations

import contextvars
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson
from opentelemetry import trace

__all__ = [
    "JOURNEY",
    "PII_KEYS",
    "JsonFormatter",
    "bind_correlation_id",
    "configure_logging",
    "correlation_id",
]

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

JOURNEY = logging.getLogger("complaints.journey")
"""One line per complaint and step (ingested, consumed by each group), under the step's span: what
``complaints trace`` follows. Off (WARNING) unless ``LOG_JOURNEY`` is set: callers check ``isEnabledFor``."""

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
        # The trace id is the correlation id: under a span, lines of one complaint share it end to end.
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            doc["correlation_id"] = f"{span.trace_id:032x}"
            doc["span_id"] = f"{span.span_id:016x}"
        else:
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

    def formatException(self, ei: Any) -> str:
        """The traceback without exception messages (they may quote SQL parameters or buyer text)."""
        exc = ei[1]
        if not isinstance(exc, BaseException):
            return ""
        parts: list[str] = []
        for link in reversed(_chain(exc)):  # the root cause first, as Python prints it
            if parts:
                parts.append("\nThe above exception led to the following one:\n\n")
            frames = traceback.extract_tb(link.__traceback__)
            if frames:
                parts.append("Traceback (most recent call last):\n")
                parts.extend(frames.format())
            kind = type(link)
            parts.append(f"{kind.__module__}.{kind.__qualname__}: [message withheld]\n")
        return "".join(parts).rstrip("\n")


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, its cause or context, and so on (each once)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return seen


def configure_logging(level: str = "INFO", *, journey: bool = False) -> None:
    """Route the root logger to stdout as JSON (idempotent); ``journey`` turns the per-complaint lines on."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in list(root.handlers):
        if getattr(handler, "_complaints", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler._complaints = True  # type: ignore[attr-defined]  # marks our handler for idempotent re-config
    root.addHandler(handler)
    JOURNEY.setLevel(logging.INFO if journey else logging.WARNING)
    for noisy in ("aiokafka", "botocore", "aiobotocore", "werkzeug", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # uvicorn's own handlers (installed by any Config with its default log_config) print tracebacks with
    # their messages; its records go through the root's JSON handler instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
