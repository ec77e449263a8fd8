"""The project's one exception tree: every failure raised on purpose, classified by what to do about it.

The consumer loop, the outbox sender and the SP-API client act on the class, never on the message. Classes
defined elsewhere live next to the code that raises them; their place in the tree is drawn here only:

    ComplaintsError                           any failure raised on purpose; ``code`` names it for logs/DLQ
    ├── RetryableError                        transient: timeouts, 5xx, 429, connection loss. Bounded backoff,
    │   │                                     then retried again later by redelivery (offset not committed).
    │   └── Throttled                         refused for rate reasons before acting: stays due, never given up
    ├── PermanentError                        retrying cannot help: the input or the remote said no for good
    │   ├── ValidationError                   the input does not match its contract (bad JSON, missing fields)
    │   │   ├── TemplateVariableError         (responder templating) a variable is missing or ill-typed
    │   │   └── UnsafeTemplateError           (responder templating) syntax outside the allowed subset
    │   ├── TemplateNotFoundError             (responder templating) no template in any fallback language
    │   ├── Skipped                           (responder outbox) nothing sent and nothing should be: the
    │   │                                     row ends ``skipped`` with ``code`` as its reason
    │   └── IdempotencyMismatch               (responder helpdesk) Zendesk's Idempotency-Key was used with
    │                                         another body: the ticket exists, look it up
    ├── OutcomeUnknown                        the request may have reached the remote side and nobody knows
    │                                         whether it acted: record it as unknown, never re-send it
    └── SpApiError                            (shared.spapi.errors) any SP-API or LWA failure, with what
        │                                     Amazon said (operation, status, amazon_code, request_id...)
        ├── SpApiRetryableError               (also RetryableError) Amazon certainly did not act
        │   ├── ThrottledError                (also Throttled) 429 QuotaExceeded after the in-call retries
        │   ├── ServiceUnavailableError       5xx on a call that is safe to repeat, or 503 before a send
        │   └── SpApiConnectionError          timeout / connection failure on a safe call; LWA unreachable
        └── SpApiPermanentError               (also PermanentError)
            ├── AuthorizationError            LWA refused the app or refresh token, or 401/403 access denied
            ├── MessageNotAllowedError        403 "Invalid amazonOrderId and template combination."
            ├── SolicitationNotAvailableError 403: solicitation already sent / outside its window
            ├── NotFoundError                 404
            ├── InvalidRequestError           (also ValidationError) 400 / 413 / 415
            └── OutcomeUnknownError           (also OutcomeUnknown) a send whose result cannot be known;
                                              permanent too, so the consumer loop dead-letters it, never
                                              retries it

Permanent and validation failures go to the dead-letter topic with the reason in headers. The reply
transports of the responder raise Throttled, RetryableError, OutcomeUnknown and
PermanentError, and the outbox sender maps them to pending, failed or unknown rows.

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
    "OutcomeUnknown",
    "PermanentError",
    "RetryableError",
    "Throttled",
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


class Throttled(RetryableError):
    """The remote refused for rate reasons (429) before acting: try again later, however often."""

    code = "throttled"


class PermanentError(ComplaintsError):
    """Retrying cannot help; dead-letter it with the reason."""

    code = "permanent"


class ValidationError(PermanentError):
    """The input does not match its contract."""

    code = "validation"


class OutcomeUnknown(ComplaintsError):
    """The request may have reached the remote side; nobody knows whether it acted."""

    code = "outcome_unknown"


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
