"""Usage plans of the stand-in: Amazon's default rate/burst per operation and a non-blocking token bucket."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_RATE_LIMITS", "RateLimit", "TokenBucket"]


@dataclass(frozen=True)
class RateLimit:
    """A usage plan: ``rate`` tokens per second refill a bucket holding at most ``burst``."""

    rate: float
    burst: int


_MESSAGING_OPERATIONS = (
    "getMessagingActionsForOrder",
    "GetAttributes",
    "confirmCustomizationDetails",
    "createConfirmDeliveryDetails",
    "createLegalDisclosure",
    "createConfirmOrderDetails",
    "createConfirmServiceDetails",
    "CreateWarranty",
    "createDigitalAccessKey",
    "createUnexpectedProblem",
    # The model's description has no table for sendInvoice; NOTES §2 treats it as 1/5 like the others.
    "sendInvoice",
)

# Defaults from the models' "Usage Plan" tables (NOTES §2, §3, §4.4).
DEFAULT_RATE_LIMITS: dict[str, RateLimit] = {
    **{op: RateLimit(1.0, 5) for op in _MESSAGING_OPERATIONS},
    "getSolicitationActionsForOrder": RateLimit(1.0, 5),
    "createProductReviewAndSellerFeedbackSolicitation": RateLimit(1.0, 5),
    "getReports": RateLimit(0.0222, 10),
    "createReport": RateLimit(0.0167, 15),
    "getReport": RateLimit(2.0, 15),
    "cancelReport": RateLimit(0.0222, 10),
    "getReportDocument": RateLimit(0.0167, 15),
}


class TokenBucket:
    """A token bucket that answers at once whether a request may pass (the server never queues)."""

    __slots__ = ("_tokens", "_updated", "limit")

    def __init__(self, limit: RateLimit, now: float) -> None:
        self.limit = limit
        self._tokens = float(limit.burst)
        self._updated = now

    def try_take(self, now: float) -> bool:
        """Take one token if there is one; refill first from the time elapsed."""
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self.limit.burst), self._tokens + elapsed * self.limit.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
