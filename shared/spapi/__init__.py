"""The project's SP-API client: LWA tokens, pacing per seller and operation, safe retries, typed errors."""

from shared.spapi.calls import RetryPolicy
from shared.spapi.client import SpApiClient
from shared.spapi.endpoints import MESSAGE_ACTIONS, base_url_for, default_locale, region_of
from shared.spapi.errors import (
    AuthorizationError,
    InvalidRequestError,
    MessageNotAllowedError,
    NotFoundError,
    OutcomeUnknownError,
    ServiceUnavailableError,
    SolicitationNotAvailableError,
    SpApiConnectionError,
    SpApiError,
    SpApiPermanentError,
    SpApiRetryableError,
    ThrottledError,
)
from shared.spapi.lwa import LwaClient
from shared.spapi.models import Report, ReportDocument
from shared.spapi.ratelimit import DEFAULT_RATE_LIMITS, RateLimit, RateLimiter

__all__ = [
    "DEFAULT_RATE_LIMITS",
    "MESSAGE_ACTIONS",
    "AuthorizationError",
    "InvalidRequestError",
    "LwaClient",
    "MessageNotAllowedError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimit",
    "RateLimiter",
    "Report",
    "ReportDocument",
    "RetryPolicy",
    "ServiceUnavailableError",
    "SolicitationNotAvailableError",
    "SpApiClient",
    "SpApiConnectionError",
    "SpApiError",
    "SpApiPermanentError",
    "SpApiRetryableError",
    "ThrottledError",
    "base_url_for",
    "default_locale",
    "region_of",
]
