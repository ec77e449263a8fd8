"""Classifier handlers: keep context, classify complaint signals, publish ComplaintClassified.

The consumer loop owns the transaction: these functions receive a session and never commit. Outputs are
published before the transaction commits; a crash in between republishes the same deterministic event id,
which the responder deduplicates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.classifier import repository
from services.classifier import repository_batch as batch
from services.classifier.engine import Classifier, OrderContext, Verdict, buyer_hash
from services.classifier.settings import ClassifierSettings
from services.classifier.telemetry import observe_verdicts
from shared.abuse import BuyerHistory
from shared.db.idempotency import derived_key, fresh_events
from shared.events import (
    AmazonEvent,
    BuyerActivity,
    BuyerActivityKind,
    ComplaintClassified,
    ComplaintSignalReceived,
    OrderContextUpdated,
    SellerAccountStatusChanged,
    SignalKind,
    event_id_for,
)
from shared.kafka.producer import EventProducer
from shared.kafka.typed import Consumed
from shared.topics import CLASSIFIED

__all__ = ["ClassifierDeps", "build_classified", "classify_signals", "handle_batch"]

CONSUMER = "classifier"

_RETURN_KINDS = {SignalKind.RETURN_REPORT_ROW, SignalKind.RETURN_REQUEST}

YIELD_EVERY = 50
"""Signals classified in one vectorised pass, between two yields to the event loop: a batch of 500 is seconds of CPU on a busy core,
and a loop that never yields misses the group's heartbeats (kicked out, rebalanced, again: seen in the
bench with two replicas of each consumer on two busy cores)."""


@dataclass(frozen=True, slots=True)
class ClassifierDeps:
    """What the handlers need besides the session."""

    classifier: Classifier
    producer: EventProducer
    settings: ClassifierSettings


async def handle_batch(
    records: Sequence[Consumed[AmazonEvent]], *, session: AsyncSession, deps: ClassifierDeps, now: datetime
) -> None:
    """Apply a batch: context events in order, then every new signal classified against that context.

    Context of the whole batch is loaded in a few queries and written back in bulk; a context event later in
    the same batch as a signal (seconds apart) is already visible to it.
    """
    todo = await fresh_events(session, consumer=CONSUMER, events=[r.event for r in records])
    for event in todo:
        if isinstance(event, OrderContextUpdated):
            await repository.upsert_order(session, event=event)
        elif isinstance(event, SellerAccountStatusChanged):
            await repository.set_seller_status(
                session, seller_id=event.seller_id, status=event.current_status
            )
    signals = [e for e in todo if isinstance(e, ComplaintSignalReceived)]
    outputs = await classify_signals(signals, session=session, deps=deps, now=now)
    await deps.producer.publish_many(CLASSIFIED, outputs)
    observe_verdicts(outputs)


async def classify_signals(
    signals: Sequence[ComplaintSignalReceived], *, session: AsyncSession, deps: ClassifierDeps, now: datetime
) -> list[ComplaintClassified]:
    """Classify signals with their order context and buyer history; record contacts and history."""
    if not signals:
        return []
    salt = deps.settings.buyer_hash_salt.get_secret_value()
    hashes = {s.event_id: buyer_hash(s.buyer_alias, salt) for s in signals if s.buyer_alias}
    contexts = await batch.order_contexts(session, keys=[(s.seller_id, s.order_id) for s in signals])
    histories = await batch.buyer_histories(session, hashes=hashes.values(), now=now)
    contacts: dict[tuple[str, str], batch.Contact] = {}
    buyer_rows: list[batch.BuyerEvent] = []
    items: list[tuple[ComplaintSignalReceived, OrderContext, BuyerHistory | None]] = []
    for signal in signals:
        context = contexts[(signal.seller_id, signal.order_id)]
        earlier = contacts.get((signal.seller_id, signal.order_id or ""))
        if earlier is not None:  # an earlier signal of this batch on the same order
            context = replace(
                context,
                prior_contacts=context.prior_contacts + earlier.count,
                first_contact_at=context.first_contact_at or earlier.first_at,
            )
        if signal.order_id:
            contacts[(signal.seller_id, signal.order_id)] = batch.Contact(
                signal.seller_id,
                signal.order_id,
                earlier.first_at if earlier else signal.occurred_at,
                (earlier.count if earlier else 0) + 1,
            )
        hashed = hashes.get(signal.event_id)
        items.append((signal, context, histories.get(hashed) if hashed else None))
    verdicts: list[Verdict] = []
    for start in range(0, len(items), YIELD_EVERY):
        if start:
            await asyncio.sleep(0)  # let the consumer's heartbeat run during a long batch
        chunk = items[start : start + YIELD_EVERY]  # one vectorised text pass per chunk
        verdicts += deps.classifier.classify_many(chunk, now=now, settings=deps.settings)
    outputs: list[ComplaintClassified] = []
    for (signal, context, _), verdict in zip(items, verdicts, strict=True):
        hashed = hashes.get(signal.event_id)
        row = None
        if hashed:
            row = _buyer_event(
                signal,
                verdict,
                hashed,
                used_since=_used_since(context),
                long_use_days=deps.settings.long_use_days,
            )
            if row is not None:
                buyer_rows.append(row)
        outputs.append(build_classified(signal, verdict, buyer=hashed, activity=_activity(row)))
    await batch.record_contacts(session, contacts=list(contacts.values()))
    await batch.add_buyer_events(session, events=buyer_rows)
    return outputs


def _used_since(context: OrderContext) -> datetime | None:
    """When the buyer had the item: the latest promised delivery, else the purchase date."""
    return context.latest_delivery_date or context.purchase_date


def _buyer_event(
    signal: ComplaintSignalReceived,
    verdict: Verdict,
    buyer: str,
    *,
    used_since: datetime | None = None,
    long_use_days: int = 60,
) -> batch.BuyerEvent | None:
    kind: BuyerActivityKind
    if signal.kind is SignalKind.A_TO_Z_CLAIM or signal.a_to_z_claim:
        kind = "a_to_z"
    elif signal.kind in _RETURN_KINDS:
        kind = "return"
    elif verdict.category != "none":
        kind = "complaint"
    else:
        return None
    return batch.BuyerEvent(
        event_id=signal.event_id,
        buyer_hash=buyer,
        seller_id=signal.seller_id,
        order_id=signal.order_id,
        kind=kind,
        reason=signal.return_reason or verdict.category,
        occurred_at=signal.occurred_at,
        long_use=kind == "return"
        and used_since is not None
        and signal.occurred_at - used_since > timedelta(days=long_use_days),
    )


def _activity(row: batch.BuyerEvent | None) -> BuyerActivity | None:
    """The history row as the event carries it, so the responder keeps the same history without our table."""
    if row is None:
        return None
    return BuyerActivity(kind=row.kind, reason=row.reason, long_use=row.long_use)


def build_classified(
    signal: ComplaintSignalReceived,
    verdict: Verdict,
    *,
    buyer: str | None,
    activity: BuyerActivity | None = None,
) -> ComplaintClassified:
    """The output event: same envelope as the signal, deterministic id."""
    dedup_key = derived_key("classified:", signal.dedup_key)
    return ComplaintClassified(
        event_id=event_id_for(dedup_key),
        occurred_at=signal.occurred_at,
        seller_id=signal.seller_id,
        marketplace_id=signal.marketplace_id,
        region=signal.region,
        order_id=signal.order_id,
        dedup_key=dedup_key,
        correlation_id=signal.correlation_id,
        source=signal.source,
        signal=signal,
        category=verdict.category,
        tags=verdict.tags,
        confidence=verdict.confidence,
        language=verdict.language,
        priority=verdict.priority,
        due_at=verdict.due_at,
        ageing=verdict.ageing,
        reasons=verdict.reasons,
        model_version=verdict.model_version,
        buyer_hash=buyer,
        abusive_score=verdict.abusive_score,
        auto_reply=verdict.auto_reply,
        buyer_activity=activity,
    )
