"""What one send attempt came to: the outcome the sender records on the row.

``prepare_failure``: the row could not be decrypted or built, so nothing left: a transient cause is retried,
anything else fails the row for good with the reason. ``expired``: a row claimed after its ``expires_at``
(a solicitation past Amazon's window) is skipped without calling the transport. ``send_outcome``: the transport's classified errors
(transports/__init__.py) map to pending / unknown / failed; an unclassified exception may have sent, so it is
``unknown`` and never re-sent.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.responder.outbox.transports import (
    OutboundMessage,
    OutcomeUnknown,
    Skipped,
    Throttled,
    Transport,
)
from shared.errors import ComplaintsError, PermanentError, RetryableError, classify_failure

__all__ = ["OUTSIDE_WINDOW", "Outcome", "RetryPolicy", "expired", "prepare_failure", "send_outcome"]

Outcome = tuple[str, str | None, datetime | None]
"""(status, error recorded on the row, not before)."""

_MAX_ERROR = 500
OUTSIDE_WINDOW = "outside_window"


def expired(expires_at: datetime | None, *, now: datetime) -> Outcome | None:
    """``skipped`` when the row's last moment has passed (None: still sendable)."""
    if expires_at is None or now <= expires_at:
        return None
    return "skipped", f"{OUTSIDE_WINDOW}: claimed after {expires_at.isoformat()}", None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter; a 429 is never given up."""

    max_attempts: int
    backoff_s: float
    backoff_max_s: float

    def retry(self, attempts: int, exc: RetryableError, *, now: datetime) -> Outcome:
        """Pending again after the backoff, or failed once the attempts are used up."""
        if attempts >= self.max_attempts and not isinstance(exc, Throttled):
            return "failed", f"gave up after {attempts} attempts: {exc}"[:_MAX_ERROR], None
        return (
            "pending",
            f"{exc.code}: {exc}"[:_MAX_ERROR],
            now + timedelta(seconds=self.delay(attempts, exc)),
        )

    def delay(self, attempts: int, exc: RetryableError) -> float:
        """Seconds until the next attempt (at least the remote's Retry-After)."""
        base = min(self.backoff_max_s, self.backoff_s * 2 ** max(0, attempts - 1))
        return float(max(exc.retry_after or 0.0, base * (0.5 + random.random() / 2)))  # jitter only


def prepare_failure(exc: Exception, *, attempts: int, policy: RetryPolicy, now: datetime) -> Outcome:
    """The outcome of a row that failed before its transport was called."""
    known = classify_failure(exc)
    if isinstance(known, RetryableError):
        return policy.retry(attempts, known, now=now)
    # An unclassified message could quote buyer data: only its type is recorded.
    reason = f"{known.code}: {known}" if known else f"cannot prepare the message: {type(exc).__name__}"
    return "failed", reason[:_MAX_ERROR], None


async def send_outcome(
    transport: Transport,
    message: OutboundMessage,
    *,
    attempts: int,
    policy: RetryPolicy,
    clock: Callable[[], datetime],
) -> Outcome:
    """Send and classify what happened."""
    try:
        await transport.send(message)
    except OutcomeUnknown as exc:
        return "unknown", str(exc)[:_MAX_ERROR], None
    except Skipped as exc:
        return "skipped", f"{exc.code}: {exc}"[:_MAX_ERROR], None
    except PermanentError as exc:
        return "failed", f"{exc.code}: {exc}"[:_MAX_ERROR], None
    except RetryableError as exc:
        return policy.retry(attempts, exc, now=clock())
    except ComplaintsError as exc:
        return "unknown", f"{exc.code}: {exc}"[:_MAX_ERROR], None
    except Exception as exc:  # noqa: BLE001  # an unclassified failure may have sent: never resend
        return "unknown", f"unexpected {type(exc).__name__}: {exc}"[:_MAX_ERROR], None
    return "sent", None, None
