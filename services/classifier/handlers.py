"""Classifier handlers: keep context, classify complaint signals, publish ComplaintClassified.

The consumer loop owns the transaction: these functions receive a session and never commit. Outputs are
published before the transaction commits; a crash in between republishes the same deterministic event id,
which the responder deduplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.classifier import repository
from services.classifier.engine import Classifier, Verdict, buyer_hash
from shared.db.idempotency import claim_events
from shared.decoding import decode_amazon_event
from shared.events import (
    AmazonEvent,
    ComplaintClassified,
    ComplaintSignalReceived,
    OrderContextUpdated,
    SellerAccountStatusChanged,
    SignalKind,
    event_id_for,
)
from shared.kafka.consumer import Record
from shared.kafka.producer import EventProducer
from shared.settings import ClassifierSettings
from shared.topics import CLASSIFIED

__all__ = ["ClassifierDeps", "build_classified", "handle_batch", "handle_event"]

CONSUMER = "classifier"

_RETURN_KINDS = {SignalKind.RETURN_REPORT_ROW, SignalKind.RETURN_REQUEST}


@dataclass(frozen=True, slots=True)
class ClassifierDeps:
    """What the handlers need besides the session."""

    classifier: Classifier
    producer: EventProducer
    settings: ClassifierSettings


async def handle_batch(
    records: Sequence[Record], *, session: AsyncSession, deps: ClassifierDeps, now: datetime
) -> None:
    """Apply a batch in order; publish the classified events and wait for their acks."""
    events = [decode_amazon_event(r.value) for r in records]
    fresh = await claim_events(session, consumer=CONSUMER, event_ids=(e.event_id for e in events))
    outputs: list[ComplaintClassified] = []
    for event in events:
        if event.event_id not in fresh:
            continue
        fresh.discard(event.event_id)  # the same event twice in one batch is applied once
        out = await handle_event(event, session=session, deps=deps, now=now)
        if out is not None:
            outputs.append(out)
    await deps.producer.publish_many(CLASSIFIED, outputs)


async def handle_event(
    event: AmazonEvent, *, session: AsyncSession, deps: ClassifierDeps, now: datetime
) -> ComplaintClassified | None:
    """Context events update state; a complaint signal yields its classification."""
    if isinstance(event, OrderContextUpdated):
        await repository.upsert_order(session, event=event)
        return None
    if isinstance(event, SellerAccountStatusChanged):
        await repository.set_seller_status(session, seller_id=event.seller_id, status=event.current_status)
        return None
    if not isinstance(event, ComplaintSignalReceived):
        return None
    context = await repository.load_order_context(session, seller_id=event.seller_id, order_id=event.order_id)
    salt = deps.settings.buyer_hash_salt.get_secret_value()
    hashed = buyer_hash(event.buyer_alias, salt) if event.buyer_alias else None
    history = await repository.buyer_history(session, buyer_hash=hashed, now=now) if hashed else None
    verdict = deps.classifier.classify(
        event, context=context, history=history, now=now, settings=deps.settings
    )
    if event.order_id:
        await repository.record_contact(
            session, seller_id=event.seller_id, order_id=event.order_id, at=event.occurred_at
        )
    if hashed:
        await _remember_buyer_event(session, event=event, verdict=verdict, buyer=hashed)
    return build_classified(event, verdict, buyer=hashed)


async def _remember_buyer_event(
    session: AsyncSession, *, event: ComplaintSignalReceived, verdict: Verdict, buyer: str
) -> None:
    if event.kind is SignalKind.A_TO_Z_CLAIM or event.a_to_z_claim:
        kind = "a_to_z"
    elif event.kind in _RETURN_KINDS:
        kind = "return"
    elif verdict.category != "none":
        kind = "complaint"
    else:
        return
    await repository.add_buyer_event(
        session,
        event_id=event.event_id,
        buyer_hash=buyer,
        seller_id=event.seller_id,
        order_id=event.order_id,
        kind=kind,
        reason=event.return_reason or verdict.category,
        long_use=False,
        occurred_at=event.occurred_at,
    )


def build_classified(
    signal: ComplaintSignalReceived, verdict: Verdict, *, buyer: str | None
) -> ComplaintClassified:
    """The output event: same envelope as the signal, deterministic id."""
    dedup_key = f"classified:{signal.dedup_key}"
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
    )
