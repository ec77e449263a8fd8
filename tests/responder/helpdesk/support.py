"""Helpers for the Zendesk sync tests: a hand-driven clock, the sync wired to a stand-in, complaints applied."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from services.responder.handlers import ResponderDeps, handle_complaints
from services.responder.helpdesk.sync import ZendeskSync
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import HelpdeskSettings, ResponderSettings, ZendeskAccount
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.events import ComplaintClassified

__all__ = ["CIPHER", "ORDER_FIELD", "SLA_FIELD", "Clock", "apply", "drain", "make_sync"]

CIPHER = PiiCipher("test-key")
ORDER_FIELD = 360001
SLA_FIELD = 360002


class Clock:
    """Time that moves only when a test says so: an hour of outage takes no wall time."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move on by ``seconds``."""
        self.now += timedelta(seconds=seconds)


def make_sync(
    db: Database,
    base_url: str,
    clock: Clock,
    *,
    seller: str,
    per_minute: int = 100,
    email: str = "sync@seller.example",
) -> ZendeskSync:
    """The sync for ``seller`` against ``base_url`` (the stand-in's default credentials)."""
    account = ZendeskAccount(
        subdomain="acme",
        email=email,
        api_token=SecretStr("zendesk-standin-token"),
        base_url=base_url,
        order_field_id=ORDER_FIELD,
        sla_due_field_id=SLA_FIELD,
        requests_per_minute=per_minute,
    )
    settings = HelpdeskSettings(zendesk={seller: account}, backoff_s=5.0, backoff_max_s=300.0, timeout_s=5.0)
    return ZendeskSync(db=db, settings=settings, cipher=CIPHER, clock=clock)


async def apply(db: Database, *events: ComplaintClassified) -> None:
    """Classified complaints applied as the consumer would (tickets, timeline, queued replies)."""
    deps = ResponderDeps(cipher=CIPHER, composer=ReplyComposer(responder=ResponderSettings()))
    async with unit_of_work(db) as session:
        await handle_complaints(list(events), session=session, deps=deps, now=datetime.now(UTC))


async def drain(sync: ZendeskSync, *, limit: int = 20, between: Callable[[], None] | None = None) -> int:
    """Tick until nothing is due (at most ``limit`` ticks); returns the changes handled."""
    total = 0
    for _ in range(limit):
        handled = await sync.tick()
        total += handled
        if between is not None:
            between()
        if handled == 0:
            break
    return total
