"""Publish events whose dedup key is new, wait for Kafka's acks, then make the keys durable.

Delivery contract (at-least-once in, exactly one ledger row per fact):

1. Keys already committed in the ledger (``ingest_seen``) are skipped.
2. The remaining keys are inserted in the *same open transaction* (INSERT ... ON CONFLICT DO NOTHING). A
   concurrent publisher of the same key, in this process or another replica, blocks on that row until this
   transaction ends, then finds it and skips: a duplicate storm yields one Kafka record.
3. The claimed events are produced and every ack (acks=all) is awaited; only then does the transaction
   commit. A Kafka failure rolls the claim back, so the source redelivers and the key is tried again.

A crash after the acks and before the commit loses the claim, and the redelivered input publishes the same
event again. It carries the same deterministic ``event_id`` (``event_id_for(dedup_key)``), and every
consumer dedupes on ``event_id`` (``shared.db.idempotency.claim_events``), so downstream it is one event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.ingest import repository
from services.ingest.repository import SeenRow
from shared.db.session import Database, unit_of_work
from shared.events import EventBase
from shared.kafka.producer import EventProducer
from shared.topics import AMAZON_EVENTS

__all__ = ["PublishResult", "publish_new"]


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What a call sent to Kafka and what it skipped as already published."""

    published: tuple[EventBase, ...]
    skipped: tuple[EventBase, ...]

    @property
    def event_ids(self) -> list[str]:
        """Ids of every input event, published now or before."""
        return [str(event.event_id) for event in (*self.published, *self.skipped)]


def _source(event: EventBase) -> str:
    return str(event.source)[:16]


async def publish_new(
    events: Iterable[EventBase], *, db: Database, producer: EventProducer, topic: str = AMAZON_EVENTS
) -> PublishResult:
    """Publish the events not yet in the ledger, await the acks, then commit their keys (see module doc)."""
    unique: dict[str, EventBase] = {}
    repeated: list[EventBase] = []
    for event in events:
        if event.dedup_key in unique:
            repeated.append(event)
        else:
            unique[event.dedup_key] = event
    if not unique:
        return PublishResult((), tuple(repeated))
    async with unit_of_work(db) as session:
        known = await repository.seen(session, unique.keys())
        fresh = [event for key, event in unique.items() if key not in known]
        claimed = await repository.remember(
            session, (SeenRow(e.dedup_key, e.event_id, _source(e)) for e in fresh)
        )
        to_send = [event for event in fresh if event.dedup_key in claimed]
        # Commit only after every ack: the claim must not outlive a publish that failed.
        await producer.publish_many(topic, to_send)
    sent = {event.dedup_key for event in to_send}
    skipped = [event for key, event in unique.items() if key not in sent]
    return PublishResult(tuple(to_send), (*skipped, *repeated))
