"""In-memory state of the SP-API stand-in: who may call, what exists, what was sent, what goes wrong next."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from shared.stack.spapi_standin.limits import DEFAULT_RATE_LIMITS, RateLimit, TokenBucket
from shared.stack.spapi_standin.reportstore import ReportSeed, ReportStore

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_MESSAGE_ACTIONS",
    "SOLICITATION_WINDOW",
    "AccessToken",
    "Fault",
    "FaultKind",
    "Order",
    "RecordedMessage",
    "RecordedSolicitation",
    "RequestRecord",
    "StandinState",
]

DEFAULT_CLIENT_ID = "amzn1.application-oa2-client.standin"
# A fixed credential of the stand-in only; never a real secret.
DEFAULT_CLIENT_SECRET = "standin-client-secret"

# What a shipped, seller-fulfilled order typically allows (action names are the path suffixes).
DEFAULT_MESSAGE_ACTIONS: frozenset[str] = frozenset(
    {
        "confirmDeliveryDetails",
        "confirmOrderDetails",
        "legalDisclosure",
        "unexpectedProblem",
        "warranty",
        "invoice",
    }
)

FaultKind = Literal["status", "delay", "drop"]

# Solicitations may be requested from 5 days after EarliestDeliveryDate to 30 days after LatestDeliveryDate
# (developer-docs.amazon.com/sp-api/docs/set-up-the-solicitations-api, step 3; NOTES section 3).
SOLICITATION_WINDOW = (timedelta(days=5), timedelta(days=30))


@dataclass
class Order:
    """An order the stand-in knows: owner, marketplace, buyer locale and the message types it allows.

    With delivery dates, a solicitation is offered only inside Amazon's window; without them, always.
    """

    order_id: str
    seller_id: str
    marketplace_id: str = "ATVPDKIKX0DER"
    buyer_locale: str = "en-US"
    actions: set[str] = field(default_factory=lambda: set(DEFAULT_MESSAGE_ACTIONS))
    solicitation_allowed: bool = True
    earliest_delivery: datetime | None = None
    latest_delivery: datetime | None = None

    def in_solicitation_window(self, now: datetime) -> bool:
        """Whether ``now`` lies in the solicitation window (both ends included)."""
        after, before = SOLICITATION_WINDOW
        if self.earliest_delivery is not None and now < self.earliest_delivery + after:
            return False
        return self.latest_delivery is None or now <= self.latest_delivery + before


@dataclass(frozen=True)
class RecordedMessage:
    """A message the stand-in accepted (the buyer would have received it)."""

    seller_id: str
    order_id: str
    marketplace_id: str
    action: str
    operation: str
    body: dict[str, Any]
    at: datetime
    request_id: str


@dataclass(frozen=True)
class RecordedSolicitation:
    """A review/feedback solicitation the stand-in accepted."""

    seller_id: str
    order_id: str
    marketplace_id: str
    at: datetime
    request_id: str


@dataclass
class Fault:
    """What the next ``remaining`` matching requests suffer; ``processed`` applies it after the operation ran."""

    kind: FaultKind
    status: int = 500
    delay_s: float = 0.0
    processed: bool = False
    operation: str | None = None
    remaining: int = 1


@dataclass(frozen=True)
class AccessToken:
    """An LWA access token the stand-in issued."""

    value: str
    client_id: str
    seller_id: str | None
    scope: str | None
    expires_at: float


@dataclass(frozen=True)
class RequestRecord:
    """One request as the stand-in saw it (status 0: the connection was dropped)."""

    operation: str
    seller_id: str | None
    status: int
    at: float
    user_agent: str | None
    amz_date: str | None


class StandinState:
    """Everything the stand-in knows; tests seed and inspect it directly or through ``/_standin/``."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
    ) -> None:
        self.clock = clock
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self.clients: dict[str, str] = {client_id: client_secret}
        self.refresh_tokens: dict[str, str] = {}
        self.token_ttl_s = 3600
        self.access_tokens: dict[str, AccessToken] = {}
        self.lwa_exchanges: list[tuple[str, float]] = []
        self.orders: dict[str, Order] = {}
        self.messages: list[RecordedMessage] = []
        self.solicitations: list[RecordedSolicitation] = []
        self.reports = ReportStore(clock=self.clock, now=self.now)
        self.faults: list[Fault] = []
        self.rate_limits: dict[str, RateLimit] = dict(DEFAULT_RATE_LIMITS)
        self.rate_limiting = True
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self.requests: list[RequestRecord] = []

    # -- sellers and tokens -------------------------------------------------------------------------------

    def add_seller(self, seller_id: str, refresh_token: str) -> None:
        """Authorise the application for ``seller_id`` with ``refresh_token``."""
        self.refresh_tokens[refresh_token] = seller_id

    def issue_token(self, *, client_id: str, seller_id: str | None, scope: str | None) -> AccessToken:
        """Mint an access token valid for ``token_ttl_s``."""
        token = AccessToken(
            value="Atza|" + secrets.token_urlsafe(48),
            client_id=client_id,
            seller_id=seller_id,
            scope=scope,
            expires_at=self.clock() + self.token_ttl_s,
        )
        self.access_tokens[token.value] = token
        self.lwa_exchanges.append((seller_id or f"grantless:{scope}", self.clock()))
        return token

    def revoke_tokens(self, seller_id: str | None = None) -> None:
        """Forget issued access tokens (all, or one seller's) so the next call gets 403."""
        self.access_tokens = {
            value: token
            for value, token in self.access_tokens.items()
            if seller_id is not None and token.seller_id != seller_id
        }

    # -- orders and records --------------------------------------------------------------------------------

    def add_order(
        self,
        order_id: str,
        seller_id: str,
        *,
        marketplace_id: str = "ATVPDKIKX0DER",
        buyer_locale: str = "en-US",
        actions: Iterable[str] | None = None,
        solicitation_allowed: bool = True,
        earliest_delivery: datetime | None = None,
        latest_delivery: datetime | None = None,
    ) -> Order:
        """Seed (or replace) an order."""
        order = Order(
            order_id=order_id,
            seller_id=seller_id,
            marketplace_id=marketplace_id,
            buyer_locale=buyer_locale,
            actions=set(DEFAULT_MESSAGE_ACTIONS if actions is None else actions),
            solicitation_allowed=solicitation_allowed,
            earliest_delivery=earliest_delivery,
            latest_delivery=latest_delivery,
        )
        self.orders[order_id] = order
        return order

    def messages_for(self, order_id: str, action: str | None = None) -> list[RecordedMessage]:
        """Accepted messages for an order, optionally of one action."""
        return [m for m in self.messages if m.order_id == order_id and (action is None or m.action == action)]

    def set_report(
        self,
        seller_id: str,
        report_type: str,
        content: bytes,
        *,
        gzip: bool = False,
        polls_until_done: int = 0,
        outcome: Literal["DONE", "FATAL", "CANCELLED"] = "DONE",
    ) -> None:
        """What the next reports of this type for this seller contain and how long they take."""
        self.reports.seeds[(seller_id, report_type)] = ReportSeed(
            content=content, gzip=gzip, polls_until_done=polls_until_done, outcome=outcome
        )

    # -- faults ----------------------------------------------------------------------------------------------

    def inject(
        self,
        kind: FaultKind,
        *,
        count: int = 1,
        operation: str | None = None,
        status: int = 500,
        delay_s: float = 0.0,
        processed: bool | None = None,
    ) -> Fault:
        """Make the next ``count`` requests (of ``operation``, or any) fail this way.

        By default a drop, a delay and a 500 happen after the operation ran (the caller cannot know whether it
        did); any other status (429, 503, ...) is answered before anything happens.
        """
        if processed is None:
            processed = kind in ("drop", "delay") or (kind == "status" and status == 500)
        fault = Fault(
            kind=kind,
            status=status,
            delay_s=delay_s,
            processed=processed,
            operation=operation,
            remaining=count,
        )
        self.faults.append(fault)
        return fault

    def take_fault(self, operation: str, *, processed: bool) -> Fault | None:
        """Consume one use of the first fault matching this operation and phase."""
        for fault in self.faults:
            if fault.processed != processed or fault.operation not in (None, operation):
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.faults.remove(fault)
            return fault
        return None

    # -- rate limits -----------------------------------------------------------------------------------------

    def set_rate_limit(self, operation: str, rate: float, burst: int) -> None:
        """Change an operation's usage plan (fresh buckets for it)."""
        self.rate_limits[operation] = RateLimit(rate, burst)
        self._buckets = {key: bucket for key, bucket in self._buckets.items() if key[2] != operation}

    def admit(self, client_id: str, seller_id: str | None, operation: str) -> bool:
        """Whether the application+seller pair may call ``operation`` now (takes a token if so)."""
        limit = self.rate_limits.get(operation)
        if not self.rate_limiting or limit is None:
            return True
        key = (client_id, seller_id or "", operation)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(limit, self.clock())
        return bucket.try_take(self.clock())
