"""Failure classification shared by every service.

The consumer loop, the outbox sender and the SP-API client act on the class, never on the message:

    ComplaintsError
    ├── RetryableError        transient: timeouts, 5xx, 429, connection loss. Bounded backoff, then retried
    │                         again later by redelivery (the offset is not committed).
    └── PermanentError        retrying cannot help: the input or the remote said no for good.
        └── ValidationError   the input does not match its contract (bad JSON, missing fields).

Permanent and validation failures go to the dead-letter topic with the reason in headers.

``classify_failure`` names the class of a failure that is not one of these (a database or pydantic error
raised below a handler): data and constraint errors are permanent, connection loss and timeouts retryable.
What it cannot name stays unknown; the consumer loop retries it a bounded number of times.
"""

from __future__ import annotations

import re

import pydantic
from sqlalchemy import exc as sa_exc

__all__ = [
    "COUNTED_RETRYABLE_CODES",
    "STATEMENT_TIMEOUT_SQLSTATE",
    "ComplaintsError",
    "PermanentError",
    "RetryableError",
    "ValidationError",
    "classify_failure",
]


class ComplaintsError(Exception):
    """Base of every error this project raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class RetryableError(ComplaintsError):
    """Transient failure; the same work may succeed later."""

    code = "retryable"

    def __init__(self, message: str, *, code: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class PermanentError(ComplaintsError):
    """Retrying cannot help; dead-letter it with the reason."""

    code = "permanent"


class ValidationError(PermanentError):
    """The input does not match its contract."""

    code = "validation"


# SQLSTATE classes (PostgreSQL appendix A). Retrying cannot fix bad data or a violated constraint; a lost
# connection, a lock conflict, a cancelled or throttled statement clears by itself.
_PERMANENT_SQLSTATE = {"22": "db_data", "23": "db_integrity", "54": "db_limit"}
_RETRYABLE_SQLSTATE = {"08", "40", "53", "57", "58"}
# A unique violation under concurrency (two replicas creating one ticket during a rebalance) clears on retry,
# a real duplicate does not: left unknown, it is retried and ends on the dead-letter topic through the
# consumer's redelivery limit.
_UNKNOWN_CODES = {"23505"}
# A statement cancelled by statement_timeout may be caused by the record itself (a pathological input): it is
# retried, but counted towards the consumer's redelivery limit so it cannot stall a partition forever.
STATEMENT_TIMEOUT_SQLSTATE = "57014"
COUNTED_RETRYABLE_CODES = frozenset({"db_timeout"})
_QUOTED_VALUE = re.compile(r':\s*".*')


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen) or len(seen) > 16:
            continue
        seen.append(current)
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return seen


def _sqlstate(chain: list[BaseException]) -> str | None:
    for item in chain:
        code = getattr(item, "sqlstate", None) or getattr(item, "pgcode", None)
        if isinstance(code, str) and len(code) == 5:
            return code
    return None


def classify_failure(exc: BaseException) -> ComplaintsError | None:
    """The project error a failure amounts to; ``None`` when its class is unknown (a bug, most likely)."""
    if isinstance(exc, ComplaintsError):
        return exc
    name = type(exc).__name__
    if isinstance(exc, pydantic.ValidationError):
        return ValidationError(f"contract violated: {exc.error_count()} error(s), first: {_first(exc)}")
    if isinstance(exc, UnicodeError):
        return ValidationError(f"text cannot be encoded: {exc}"[:500], code="encoding")
    chain = _chain(exc)
    code = _sqlstate(chain)
    if code is not None:
        if code in _UNKNOWN_CODES:
            return None
        if code == STATEMENT_TIMEOUT_SQLSTATE:
            return RetryableError(f"database statement timed out ({code})", code="db_timeout")
        if code[:2] in _RETRYABLE_SQLSTATE:
            return RetryableError(f"database: {name} ({code})", code="db")
        if code[:2] in _PERMANENT_SQLSTATE:
            return PermanentError(
                f"database rejected the data: {name} ({code}): {_text(exc)}",
                code=_PERMANENT_SQLSTATE[code[:2]],
            )
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return RetryableError("database connection lost", code="db")
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return RetryableError(f"database unavailable: {name}", code="db")
    if isinstance(exc, sa_exc.DataError):
        return PermanentError(f"database rejected the data: {name}: {_text(exc)}", code="db_data")
    if isinstance(exc, TimeoutError | ConnectionError | OSError):
        return RetryableError(f"transient: {name}", code="io")
    if getattr(exc, "retriable", False) is True:  # aiokafka marks its transient errors
        return RetryableError(f"broker: {name}", code="kafka")
    return None


def _first(exc: pydantic.ValidationError) -> str:
    err = exc.errors(include_input=False, include_url=False)[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def _text(exc: BaseException) -> str:
    # The first line of a driver message names the problem; the DETAIL lines echo key values, and a value
    # quoted after a colon ('invalid input syntax for type uuid: "<input>"') is the input itself: both go.
    lines = str(getattr(exc, "orig", None) or exc).splitlines()
    return _QUOTED_VALUE.sub(': "…"', lines[0])[:300] if lines else ""
