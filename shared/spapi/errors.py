"""Failures of the SP-API client, classified for the consumer loop and the outbox sender.

Their place in the project's one exception tree is drawn in ``shared.errors``. Every ``SpApiError`` has
``operation``, ``status`` (None without an HTTP answer), ``amazon_code`` / ``amazon_message`` /
``amazon_details`` (the first entry of Amazon's ``errors`` list) and ``request_id`` (``x-amzn-RequestId``)
for support cases.
"""

from __future__ import annotations

from typing import Any

from shared.errors import (
    ComplaintsError,
    OutcomeUnknown,
    PermanentError,
    RetryableError,
    Throttled,
    ValidationError,
)

__all__ = [
    "AuthorizationError",
    "InvalidRequestError",
    "MessageNotAllowedError",
    "NotFoundError",
    "OutcomeUnknownError",
    "ServiceUnavailableError",
    "SolicitationNotAvailableError",
    "SpApiConnectionError",
    "SpApiError",
    "SpApiPermanentError",
    "SpApiRetryableError",
    "ThrottledError",
]


class SpApiError(ComplaintsError):
    """Base of every SP-API / LWA failure the client raises."""

    code = "spapi"

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        status: int | None = None,
        amazon_code: str | None = None,
        amazon_message: str | None = None,
        amazon_details: str | None = None,
        request_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.operation = operation
        self.status = status
        self.amazon_code = amazon_code
        self.amazon_message = amazon_message
        self.amazon_details = amazon_details
        self.request_id = request_id


class SpApiRetryableError(SpApiError, RetryableError):
    """Transient; Amazon did not act, so the same call may be made again later."""

    code = "spapi_retryable"


class ThrottledError(SpApiRetryableError, Throttled):
    """429 QuotaExceeded, still after the client's own retries."""

    code = "spapi_throttled"


class ServiceUnavailableError(SpApiRetryableError):
    """5xx where repeating the call is safe."""

    code = "spapi_unavailable"


class SpApiConnectionError(SpApiRetryableError):
    """No usable answer (timeout, connection failure) where repeating the call is safe."""

    code = "spapi_connection"


class SpApiPermanentError(SpApiError, PermanentError):
    """Amazon said no for good, or the outcome must not be retried."""

    code = "spapi_permanent"


class AuthorizationError(SpApiPermanentError):
    """The application or the seller's authorisation was refused."""

    code = "spapi_unauthorized"


class MessageNotAllowedError(SpApiPermanentError):
    """403 "Invalid amazonOrderId and template combination.": this message type is not open for the order."""

    code = "spapi_message_not_allowed"


class SolicitationNotAvailableError(SpApiPermanentError):
    """403: the solicitation is not (or no longer) available for the order."""

    code = "spapi_solicitation_not_available"


class NotFoundError(SpApiPermanentError):
    """404: the resource does not exist."""

    code = "spapi_not_found"


class InvalidRequestError(SpApiPermanentError, ValidationError):
    """400 / 413 / 415: the request does not meet the operation's contract."""

    code = "spapi_invalid_request"


class OutcomeUnknownError(SpApiPermanentError, OutcomeUnknown):
    """A send may or may not have reached the buyer; record it as unknown and never re-send it.

    Permanent as well, on purpose: a consumer that meets it dead-letters the work instead of retrying it.
    """

    code = "spapi_outcome_unknown"
