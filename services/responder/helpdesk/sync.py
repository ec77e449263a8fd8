"""The sync worker: delivers queued ticket changes to the seller's Zendesk, in order per ticket, once.

A change goes pending -> sending (committed before any request) -> sent | pending (retry later) | failed.
Nothing is lost while Zendesk is away: connection refused, 5xx and timeouts are retried with capped
exponential backoff (``backoff_max_s``) for ``give_up_after_s``; a 429 pauses the seller for its Retry-After
and never counts against that; our own per-minute budget holds changes back without an attempt.
Nothing is written twice: the ticket is created with our id as ``external_id`` under an ``Idempotency-Key``,
and an attempt after one that may have reached Zendesk (5xx, timeout, a crash) first looks: the ticket by
external_id, the note by its reference (mapping.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.responder.helpdesk import mapping
from services.responder.helpdesk import repository as repo
from services.responder.helpdesk.client import IdempotencyMismatch, ZendeskClient
from services.responder.helpdesk.limits import MinuteBudget
from services.responder.outbox.transports import Throttled
from services.responder.settings import HelpdeskSettings
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.errors import PermanentError, RetryableError, classify_failure

__all__ = ["ZendeskSync"]

log = logging.getLogger(__name__)

_MAX_ERROR = 500
_KEEP_SENT = timedelta(days=7)
_PRUNE_EVERY = timedelta(hours=1)


class _OverBudget(Exception):
    def __init__(self, wait_s: float) -> None:
        super().__init__(f"per-minute budget: {wait_s:.1f}s")
        self.wait_s = wait_s


@dataclass(frozen=True, slots=True)
class _Change:
    """What one change needs, read in one transaction (no rows held across requests)."""

    claimed: repo.Claimed
    ticket_id: str
    order_id: str | None
    category: str
    state: mapping.Snapshot
    remote_id: int | None
    pushed: mapping.Snapshot
    entry_id: int
    kind: str
    data: dict[str, Any]
    text: str | None


class ZendeskSync:
    """Delivers ``helpdesk_sync`` rows of the configured sellers; ``tick`` once, or ``run`` until stopped."""

    def __init__(
        self,
        *,
        db: Database,
        settings: HelpdeskSettings,
        cipher: PiiCipher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        clients: Mapping[str, ZendeskClient] | None = None,
    ) -> None:
        self._db = db
        self._settings = settings
        self._cipher = cipher
        self._clock = clock
        self._accounts = settings.zendesk
        self._clients = dict(clients or {})
        for seller, account in self._accounts.items():
            if seller not in self._clients:
                self._clients[seller] = ZendeskClient(
                    base_url=account.api_url,
                    email=account.email,
                    token=account.api_token.get_secret_value(),
                    timeout_s=settings.timeout_s,
                )
        self._budget = MinuteBudget({s: a.requests_per_minute for s, a in self._accounts.items()})
        self._next_prune: datetime | None = None

    async def start(self) -> None:
        """Register the configured sellers, so their ticket changes are queued from now on."""
        async with unit_of_work(self._db) as session:
            await repo.sync_accounts(session, sellers=dict.fromkeys(self._accounts, "zendesk"))

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        for client in self._clients.values():
            await client.aclose()

    async def tick(self) -> int:
        """Release stale claims, claim due changes (one per ticket), deliver them. Returns changes handled.

        Once an hour, changes sent more than a week ago are forgotten."""
        now = self._clock()
        async with unit_of_work(self._db) as session:
            if self._next_prune is None or now >= self._next_prune:
                self._next_prune = now + _PRUNE_EVERY
                await repo.prune_sent(session, before=now - _KEEP_SENT)
            await repo.release_stale(session, before=now - timedelta(seconds=self._settings.lease_s))
            claimed = await repo.claim_heads(
                session, sellers=sorted(self._accounts), now=now, limit=self._settings.batch
            )
        for item in claimed:
            await self._deliver(item)
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until ``stop``; a failing tick (database away) is logged and the next one retries."""
        await self._start_when_possible(stop)
        try:
            while not stop.is_set():
                handled = 0
                try:
                    handled = await self.tick()
                except Exception as exc:  # noqa: BLE001  # the loop outlives any failure; rows keep their state
                    log.warning("helpdesk.tick_failed", extra={"error": type(exc).__name__})
                if handled < self._settings.batch:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self._settings.interval_s)
        finally:
            await self.aclose()

    async def _start_when_possible(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.start()
                return
            except RetryableError as exc:
                log.warning("helpdesk.start_failed", extra={"error": exc.code})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self._settings.interval_s)

    async def _load(self, item: repo.Claimed) -> _Change | None:
        account = self._accounts[item.seller_id]
        async with unit_of_work(self._db) as session:
            ticket, link, entry = await repo.load_change(session, item)
            if ticket is None or entry is None:
                return None
            text = None
            if entry.kind == "signal" and entry.pii_enc is not None:
                doc = self._cipher.decrypt_json(entry.pii_enc)
                text = str(doc.get("text") or "") if isinstance(doc, dict) else None
            state = mapping.snapshot(
                status=ticket.status,
                priority=ticket.priority_override or ticket.priority,
                category=ticket.category,
                language=ticket.language,
                order_id=ticket.order_id,
                due_at=ticket.due_at,
                order_field_id=account.order_field_id,
                sla_due_field_id=account.sla_due_field_id,
            )
            return _Change(
                claimed=item,
                ticket_id=str(ticket.id),
                order_id=ticket.order_id,
                category=ticket.category,
                state=state,
                remote_id=link.remote_id if link else None,
                pushed=dict(link.pushed) if link else {},
                entry_id=entry.id,
                kind=entry.kind,
                data=dict(entry.data or {}),
                text=text,
            )

    async def _deliver(self, item: repo.Claimed) -> None:
        now = self._clock()
        try:
            change = await self._load(item)
            if change is None:
                await self._record(item, "failed", error="ticket or timeline entry gone")
                return
            remote_id = await self._push(change)
        except _OverBudget as exc:
            await self._record(item, "pending", not_before=now + timedelta(seconds=exc.wait_s), refund=True)
        except Throttled as exc:
            wait = timedelta(seconds=exc.retry_after if exc.retry_after is not None else 60.0)
            self._budget.pause(item.seller_id, until=now + wait)
            await self._record(item, "pending", error=f"{exc.code}: {exc}", not_before=now + wait)
        except PermanentError as exc:
            log.warning("helpdesk.change_failed", extra={"change_id": item.id, "error": exc.code})
            await self._record(item, "failed", error=f"{exc.code}: {exc}")
        except Exception as exc:  # noqa: BLE001  # transient or unknown: looked up before the next write
            await self._retry(item, exc, now=now)
        else:
            async with unit_of_work(self._db) as session:
                await repo.save_link(
                    session,
                    ticket_id=item.ticket_id,
                    seller_id=item.seller_id,
                    remote_id=remote_id,
                    pushed=change.state,
                )
                await repo.record_outcome(session, change_id=item.id, status="sent", now=now)

    async def _retry(self, item: repo.Claimed, exc: Exception, *, now: datetime) -> None:
        known = classify_failure(exc)
        reason = f"{known.code}: {known}" if isinstance(known, RetryableError) else type(exc).__name__
        if now - item.created_at > timedelta(seconds=self._settings.give_up_after_s):
            log.warning("helpdesk.change_gave_up", extra={"change_id": item.id, "attempts": item.attempts})
            await self._record(item, "failed", error=f"gave up after {item.attempts} attempts: {reason}")
            return
        base = min(self._settings.backoff_max_s, self._settings.backoff_s * 2 ** max(0, item.attempts - 1))
        delay = base * (0.5 + random.random() / 2)  # jitter only
        await self._record(item, "pending", error=reason, not_before=now + timedelta(seconds=delay))

    async def _record(
        self,
        item: repo.Claimed,
        status: str,
        *,
        error: str | None = None,
        not_before: datetime | None = None,
        refund: bool = False,
    ) -> None:
        async with unit_of_work(self._db) as session:
            await repo.record_outcome(
                session,
                change_id=item.id,
                status=status,
                now=self._clock(),
                error=(error or "")[:_MAX_ERROR] or None,
                not_before=not_before,
                refund_attempt=refund,
            )

    async def _request(self, seller_id: str) -> None:
        now = self._clock()
        wait = self._budget.wait(seller_id, now=now)
        if wait > 0:
            raise _OverBudget(wait)
        self._budget.spend(seller_id, now=now)

    async def _push(self, change: _Change) -> int:
        """The requests one change takes; returns the remote ticket id."""
        seller = change.claimed.seller_id
        client = self._clients[seller]
        retried = change.claimed.attempts > 1
        if change.remote_id is None:
            found: list[dict[str, Any]] = []
            if retried:  # an earlier attempt may have created it
                await self._request(seller)
                found = await client.find_by_external_id(change.ticket_id)
            if not found:
                description = (
                    change.text if change.kind == "signal" else "Ticket opened before the sync began."
                )
                body = mapping.create_payload(
                    change.state,
                    ticket_id=change.ticket_id,
                    order_id=change.order_id,
                    category=change.category,
                    description=description or "(no text)",
                    entry_id=change.entry_id,
                )
                await self._request(seller)
                try:
                    created = await client.create_ticket(
                        body, idempotency_key=f"complaints-{change.ticket_id}"
                    )
                    return int(created["id"])
                except IdempotencyMismatch:
                    await self._request(seller)
                    found = await client.find_by_external_id(change.ticket_id)
                    if not found:
                        raise
            remote_id = int(found[0]["id"])
            update = mapping.update_payload(change.state, {}, note=None)
            if update is not None:
                await self._request(seller)
                await client.update_ticket(remote_id, update)
            return remote_id
        note = mapping.note_for(change.kind, change.data, text=change.text, entry_id=change.entry_id)
        if note is not None and retried:  # an earlier attempt may have written it
            await self._request(seller)
            ref = mapping.note_ref(change.entry_id)
            if any(ref in str(c.get("body", "")) for c in await client.comments(change.remote_id)):
                note = None
        update = mapping.update_payload(change.state, change.pushed, note=note)
        if update is not None:
            await self._request(seller)
            await client.update_ticket(change.remote_id, update)
        return change.remote_id
