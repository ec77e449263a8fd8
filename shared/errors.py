"""Failure classification shared by every service.

The consumer loop, the outbox sender and the SP-API client act on the class, never on the message:

    ComplaintsError
    ├── RetryableError        transient: timeouts, 5xx, 429, connection loss. Bounded backoff, then retried
    │                         again later by redelivery (the offset is not committed).
    └── PermanentError        retrying cannot help: the input or the remote said no for good.
        └── ValidationError   the input does not match its contract (bad JSON, missing fields).

Permanent and validation failures go to the dead-letter topic with the reason in headers.
"""

from __future__ import annotations

__all__ = ["ComplaintsError", "PermanentError", "RetryableError", "ValidationError"]


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
