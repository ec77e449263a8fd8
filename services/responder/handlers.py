"""Responder handlers: classified complaints become tickets and queued replies; order context and helpdesk
updates (helpdesk/inbound.py) are applied.

The consumer loop owns the transaction. A processed-event key is written in the same transaction as the ticket
change and the outbox row, so a redelivered event changes nothing and queues nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.buyers.repository import record_buyer_events
from services.responder.health.projection import record_health
from services.responder.helpdesk.inbound import handle_helpdesk_update
from services.responder.metrics import REPLY_DECISIONS
from services.responder.outbox import identical_repository as identical_repo
from services.responder.outbox import repository as outbox_repo
from services.responder.outbox.budget import budget_day
from services.responder.outbox.identical import body_digest
from services.responder.outbox.rows import outbox_row
from services.responder.replies import aliases
from services.responder.replies.compose import ReplyComposer, ReplyDraft
from services.responder.settings import WebhookSubscription
from services.responder.shipments import repository as shipments
from services.responder.shipments.milestones import milestones_of
from services.responder.solicitations import repository as solicitation_repo
from services.responder.solicitations.schedule import decide
from services.responder.tables import OrderContextRow
from services.responder.tickets import repository, threads, timeline, transitions
from services.responder.tickets.state import TicketState
from services.responder.webhooks import events as webhook_events
from services.responder.webhooks import repository as webhook_repo
from shared.crypto import PiiCipher
from shared.db.idempotency import fresh_events
from shared.events import (
    AccountHealthReported,
    AmazonEvent,
    ComplaintClassified,
    HelpdeskUpdateReceived,
    OrderContextUpdated,
)
from shared.kafka.typed import Consumed
from shared.tracing import traceparent_for

__all__ = [
    "KEPT_AMAZON_EVENTS",
    "ResponderDeps",
    "ResponderInput",
    "handle_batch",
    "handle_complaints",
    "handle_order_context",
]

CONSUMER = "responder"

ResponderInput = ComplaintClassified | AmazonEvent
"""What the responder consumes: classified complaints and Amazon events (order context, account health)."""

YIELD_EVERY = 50
"""Complaints applied between two yields to the event loop (a long batch must not starve the heartbeat)."""

KEPT_AMAZON_EVENTS = frozenset({"OrderContextUpdated", "HelpdeskUpdateReceived", "AccountHealthReported"})
"""The ``event_type`` of the raw topic's events this consumer applies (the others are not even decoded)."""


@dataclass(frozen=True, slots=True)
class ResponderDeps:
    """What the handlers need besides the session."""

    cipher: PiiCipher
    composer: ReplyComposer
    identical_cap: int | None = None  # RESPONDER_IDENTICAL_MESSAGE_CAP: texts at it are reworded (variants)
    solicitation_day: int | None = None
    """Ask for a review this many days after the earliest delivery (clamped into Amazon's window); None: off."""
    solicitation_sellers: frozenset[str] = frozenset()
    """Sellers whose orders are asked (empty: every seller)."""
    webhooks: tuple[WebhookSubscription, ...] = ()
    """Subscriptions of ticket.created / ticket.updated (their rows are written with the ticket change)."""


async def handle_batch(
    records: Sequence[Consumed[ResponderInput]], *, session: AsyncSession, deps: ResponderDeps, now: datetime
) -> None:
    """Apply a batch of classified complaints, order-context, helpdesk and account-health events, in order."""
    kept = ComplaintClassified | OrderContextUpdated | HelpdeskUpdateReceived | AccountHealthReported
    events = [r.event for r in records if isinstance(r.event, kept)]
    todo = await fresh_events(session, consumer=CONSUMER, events=events)
    # Context events of the batch are applied first, so a complaint still sees the newest order context.
    for event in todo:
        if isinstance(event, OrderContextUpdated):
            day = deps.solicitation_day
            if deps.solicitation_sellers and event.seller_id not in deps.solicitation_sellers:
                day = None
            await handle_order_context(event, session=session, solicitation_day=day, now=now)
    await handle_complaints(
        [e for e in todo if isinstance(e, ComplaintClassified)], session=session, deps=deps, now=now
    )
    await record_health(  # Amazon's figures and our defect signals, same transaction
        session, events=[e for e in todo if isinstance(e, ComplaintClassified | AccountHealthReported)]
    )
    # Helpdesk updates last: a buyer's message of the same batch is on the ticket before an agent's answer.
    for event in todo:
        if isinstance(event, HelpdeskUpdateReceived):
            await handle_helpdesk_update(event, session=session, cipher=deps.cipher, now=now)


async def handle_complaints(
    complaints: Sequence[ComplaintClassified], *, session: AsyncSession, deps: ResponderDeps, now: datetime
) -> None:
    """Apply classified complaints: what they read is prefetched (one query each, not one per event) and
    their replies are queued in one statement."""
    if not complaints:
        return
    tickets = await repository.tickets_for_update(
        session, keys=[(e.seller_id, threads.thread_key(e)) for e in complaints]
    )
    orders = await repository.order_contexts(
        session, keys=[(e.seller_id, e.order_id) for e in complaints if e.order_id]
    )
    cache = _BatchCache(tickets=tickets, orders=orders)
    for i, event in enumerate(complaints):
        if i and i % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # let the consumer's heartbeat run during a long batch
        _apply_complaint(event, deps=deps, cache=cache)
    if deps.identical_cap is not None:
        await _reword_identical(session, cache, deps=deps, now=now)
    settled = {id(r.ticket): r.ticket.status for r in cache.replies}  # before any reply is counted
    _set_reply_statuses(cache.replies, settled, queued_keys=None)
    # Tickets first, written once with their status: outbox and timeline rows reference them.
    await repository.save_tickets(session, tickets=list(cache.tickets.values()))
    await _queue_replies(session, cache, settled, now=now)
    await repository.add_timelines(session, entries=cache.entries)
    if deps.webhooks:
        changed = [
            webhook_events.ticket_changed(ticket, created=created, cause=cause, now=now)
            for ticket, created, cause in cache.changes
        ]
        rows = webhook_events.delivery_rows(changed, deps.webhooks)
        await webhook_repo.insert_deliveries(session, rows=rows)
    await record_buyer_events(session, events=complaints)  # the buyers API's history, same transaction


async def handle_order_context(
    event: OrderContextUpdated,
    *,
    session: AsyncSession,
    solicitation_day: int | None = None,
    now: datetime | None = None,
) -> None:
    """Keep the order context and its tracking milestones; tickets of the order get a timeline entry; with
    ``solicitation_day`` the order's review request is scheduled (or skipped) from the merged context."""
    await repository.upsert_order_context(session, event=event)
    if not event.order_id:
        return
    await shipments.record_milestones(
        session, seller_id=event.seller_id, order_id=event.order_id, milestones=milestones_of(event)
    )
    if solicitation_day is not None:
        await _schedule_solicitation(
            session, seller_id=event.seller_id, order_id=event.order_id, day=solicitation_day, now=now
        )
    for ticket_id in await repository.ticket_ids_for_order(
        session, seller_id=event.seller_id, order_id=event.order_id
    ):
        await repository.add_timeline(session, ticket_id=ticket_id, entry=timeline.context_entry(event))


async def _schedule_solicitation(
    session: AsyncSession, *, seller_id: str, order_id: str, day: int, now: datetime | None
) -> None:
    # The merged row, not the event: an older notification arriving late cannot undo a cancellation. Only
    # order facts decide; tickets, complaints and returns are deliberately not read (no selective asking).
    order = await solicitation_repo.order_facts(session, seller_id=seller_id, order_id=order_id)
    if order is None:
        return
    decision = decide(
        order_status=order.order_status,
        marketplace_id=order.marketplace_id,
        earliest_delivery=order.earliest_delivery_date,
        latest_delivery=order.latest_delivery_date,
        now=now or datetime.now(UTC),
        day=day,
    )
    await solicitation_repo.apply_decision(
        session,
        seller_id=seller_id,
        order_id=order_id,
        marketplace_id=order.marketplace_id,
        decision=decision,
    )


@dataclass(slots=True)
class _BatchCache:
    """Rows prefetched for a batch; tickets created during the batch are added as they appear."""

    tickets: dict[tuple[str, str], TicketState]
    orders: dict[tuple[str, str], OrderContextRow]
    replies: list[_Reply] = field(default_factory=list)
    entries: list[tuple[uuid.UUID, timeline.Entry]] = field(default_factory=list)  # timeline, one statement
    changes: list[tuple[TicketState, bool, uuid.UUID]] = field(
        default_factory=list
    )  # (ticket, created, cause)


@dataclass(frozen=True, slots=True)
class _Reply:
    ticket: TicketState
    draft: ReplyDraft
    values: dict[str, Any]
    event: ComplaintClassified
    recompose: Callable[[int], ReplyDraft | None]  # the same reply in the template's n-th other wording


def _apply_complaint(event: ComplaintClassified, *, deps: ResponderDeps, cache: _BatchCache) -> None:
    """Open or update the thread's ticket, record the timeline, decide and compose the reply to queue."""
    signal = event.signal
    key = threads.thread_key(event)
    ticket = cache.tickets.get((event.seller_id, key))
    created = ticket is None
    change = threads.apply_signal(
        status=ticket.status if ticket else None,
        priority=ticket.priority if ticket else None,
        category=ticket.category if ticket else None,
        due_at=ticket.due_at if ticket else None,
        last_buyer_message_at=ticket.last_buyer_message_at if ticket else None,
        event=event,
    )
    if ticket is None:
        ticket = TicketState(
            id=uuid.uuid4(),
            seller_id=event.seller_id,
            marketplace_id=event.marketplace_id,
            order_id=event.order_id,
            thread_key=key,
            buyer_hash=event.buyer_hash,
            status=change.status,
            priority=change.priority,
            category=change.category,
            tags=threads.merge_tags([], event.tags),
            reasons=[],
            message_count=0,
            version=1,
            no_response_needed=False,
            ageing=False,
            new=True,
        )
        cache.tickets[(event.seller_id, key)] = ticket
    cache.changes.append((ticket, created, event.event_id))
    ticket.status = change.status
    ticket.priority = change.priority
    ticket.category = change.category
    if change.due_at != ticket.due_at:
        ticket.sla_alerted = None  # a new deadline gets its own alerts
    ticket.due_at = change.due_at
    if change.buyer_spoke and change.status == "awaiting_reply":
        ticket.no_response_needed = False
    ticket.last_buyer_message_at = change.last_buyer_message_at
    ticket.tags = threads.merge_tags(ticket.tags or [], event.tags)
    ticket.confidence = event.confidence
    ticket.language = event.language or ticket.language
    reasons = [r.model_dump() for r in event.reasons]  # the ticket's and the timeline's, dumped once
    ticket.reasons = reasons
    ticket.model_version = event.model_version
    ticket.abusive_score = event.abusive_score
    ticket.ageing = ticket.ageing or event.ageing
    ticket.asin = signal.asin or ticket.asin
    ticket.sku = signal.sku or ticket.sku
    ticket.message_count += 1
    ticket.version += 1
    alias = aliases.settle_alias(
        stored=deps.cipher.decrypt(ticket.buyer_alias_enc),
        incoming=signal.reply_to,
        marketplace_id=ticket.marketplace_id or event.marketplace_id,
    )
    sealed: dict[str, bytes] = {}  # PII encrypted for this message, reused for the same value in its reply
    if alias.store is not None:
        ticket.buyer_alias_enc = sealed[alias.store] = deps.cipher.encrypt(alias.store) or b""
    # A message from another alias sets neither what an agent's reply threads to nor the subject it quotes.
    if signal.message_id and not alias.changed:
        ticket.last_message_id = signal.message_id
    if signal.subject and not alias.changed:
        ticket.subject_enc = deps.cipher.encrypt(signal.subject)
    cache.entries.append((ticket.id, timeline.signal_entry(event, cipher=deps.cipher)))
    cache.entries.append((ticket.id, timeline.classification_entry(event, reasons=reasons)))
    refused = aliases.alias_entry(signal=signal, alias=alias, cipher=deps.cipher)
    if refused is not None:
        cache.entries.append((ticket.id, refused))

    order = cache.orders.get((event.seller_id, event.order_id)) if event.order_id else None
    compose = partial(
        deps.composer.compose,
        event,
        order=order,
        thread=key,
        buyer_alias=alias.target,
        alias_changed=alias.changed,
    )
    draft = compose()
    if draft is None:
        REPLY_DECISIONS.labels("none").inc()
        return
    values = _row_values(draft, ticket=ticket, event=event, cipher=deps.cipher, sealed=sealed)
    cache.replies.append(_Reply(ticket, draft, values, event, lambda n: compose(variant=n)))


def _row_values(
    draft: ReplyDraft,
    *,
    ticket: TicketState,
    event: ComplaintClassified,
    cipher: PiiCipher,
    sealed: Mapping[str, bytes] | None = None,
) -> dict[str, Any]:
    return outbox_row(
        draft.reply,
        key=draft.idempotency_key,
        ticket_id=ticket.id,
        seller_id=event.seller_id,
        marketplace_id=event.marketplace_id,
        order_id=event.order_id,
        created_by="auto",
        cipher=cipher,
        sealed=sealed,
        traceparent=traceparent_for(event.correlation_id),
    )


MAX_VARIANTS = 5
"""Other wordings tried for a text at the identical-message cap."""


async def _reword_identical(
    session: AsyncSession, cache: _BatchCache, *, deps: ResponderDeps, now: datetime
) -> None:
    """Automatic replies whose text was queued ``identical_cap`` times today take the template's next wording
    still under the cap (the ``queued`` counts, raised here in the batch's transaction, so concurrent consumers
    wait for each other's row). Rows queued today may be sent tomorrow (the budget): the sender's own count
    under the seller's lock is the exact guard, and holds for a person what gets past."""
    cap = deps.identical_cap
    pending = [i for i, r in enumerate(cache.replies) if r.draft.reply.status == "pending"]
    if cap is None or not pending:
        return
    day = budget_day(now)[0].date()
    digests = {
        i: (cache.replies[i].event.seller_id, body_digest(cache.replies[i].draft.reply.body)) for i in pending
    }
    queued = await identical_repo.counts(session, day=day, keys=list(digests.values()), of="queued")
    used: Counter[tuple[str, str]] = Counter()
    for i in pending:
        reply = cache.replies[i]
        if queued[digests[i]] + used[digests[i]] < cap:
            used[digests[i]] += 1
            continue
        others = _other_wordings(reply)
        keys = [(reply.event.seller_id, body_digest(d.reply.body)) for d in others]
        known = await identical_repo.counts(session, day=day, keys=keys, of="queued") if keys else Counter()
        chosen = next(((d, k) for d, k in zip(others, keys, strict=True) if known[k] + used[k] < cap), None)
        if chosen is None:
            used[digests[i]] += 1  # no wording left under the cap: the sender holds it for a person
            continue
        draft, key = chosen
        used[key] += 1
        values = _row_values(draft, ticket=reply.ticket, event=reply.event, cipher=deps.cipher)
        cache.replies[i] = _Reply(reply.ticket, draft, values, reply.event, reply.recompose)
    await identical_repo.add(session, day=day, counts=used, of="queued")


def _other_wordings(reply: _Reply) -> list[ReplyDraft]:
    """The reply's other wordings that would still be sent as they are (pending)."""
    out: list[ReplyDraft] = []
    for n in range(1, MAX_VARIANTS + 1):
        draft = reply.recompose(n)
        if draft is None or draft.reply.template_version == reply.draft.reply.template_version:
            break  # the template has no n-th wording: render_reply fell back to the main text
        if draft.reply.status == "pending":
            out.append(draft)
    return out


def _set_reply_statuses(
    replies: Sequence[_Reply], settled: dict[int, str], *, queued_keys: set[str] | None
) -> None:
    """Each ticket's status after its queued replies, from ``settled`` (its status before them). Before the
    outbox insert every first draft of a key counts as queued (``queued_keys`` None): the tickets are then
    written once, with their final status, instead of again after the insert."""
    seen: set[str] = set()
    for reply in replies:
        reply.ticket.status = settled[id(reply.ticket)]
    for reply in replies:
        key = reply.values["idempotency_key"]
        if key in seen or (queued_keys is not None and key not in queued_keys):
            continue
        seen.add(key)
        reply.ticket.status = transitions.after_auto_reply_queued(
            reply.ticket.status, reply_status=reply.draft.reply.status
        )


async def _queue_replies(
    session: AsyncSession, cache: _BatchCache, settled: dict[int, str], *, now: datetime
) -> None:
    """Insert the batch's outbox rows in one statement; a key that exists already queues nothing (its
    ticket's status is then written again without that reply: one more statement, only in that case)."""
    if not cache.replies:
        return
    queued = await outbox_repo.insert_outbox_many(session, rows=[r.values for r in cache.replies])
    predicted = {r.values["idempotency_key"] for r in cache.replies}
    if set(queued) != predicted:
        _set_reply_statuses(cache.replies, settled, queued_keys=set(queued))
        changed = {id(r.ticket): r.ticket for r in cache.replies if r.values["idempotency_key"] not in queued}
        await repository.save_statuses(session, tickets=list(changed.values()))
    for reply in cache.replies:
        outbox_id = queued.pop(reply.values["idempotency_key"], None)
        if outbox_id is None:
            continue  # this thread already got this reply: a buyer is never messaged twice
        draft, ticket = reply.draft, reply.ticket
        REPLY_DECISIONS.labels("auto_reply" if draft.reply.status == "pending" else draft.reply.status).inc()
        entry = timeline.reply_entry(
            kind="reply_queued",
            outbox_id=outbox_id,
            status=draft.reply.status,
            channel=draft.reply.channel,
            action=draft.reply.action,
            template_id=draft.reply.template_id,
            template_version=draft.reply.template_version,
            language=draft.reply.language,
            fallback=draft.reply.fallback,
            lint=draft.reply.lint,
            now=now,
            decision=draft.reason_codes,
        )
        cache.entries.append((ticket.id, entry))
