"""`complaints classifier`: consume amazon.events.v1, publish complaints.classified.v1."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial

from services.classifier.engine import Classifier
from services.classifier.handlers import ClassifierDeps, handle_batch
from services.classifier.http import classify_router
from services.classifier.settings import ClassifierServiceSettings
from shared.db.session import Database, unit_of_work
from shared.decoding import decode_amazon_event
from shared.events import AmazonEvent
from shared.health import HealthState
from shared.kafka.codec import EventCodec
from shared.kafka.consumer import ConsumerLoop
from shared.kafka.producer import EventProducer
from shared.kafka.typed import Consumed, decoding
from shared.runtime import service_main, wait_stop_or_crash
from shared.topics import AMAZON_EVENTS

__all__ = ["main", "run"]


async def run(settings: ClassifierServiceSettings, stop: asyncio.Event, health: HealthState) -> None:
    """Run the classifier until ``stop`` is set."""
    db = Database(settings.database)
    codec = EventCodec.from_settings(settings.pii)
    producer = EventProducer(settings.kafka, codec=codec)
    health.add_check("database", db.ping)
    health.add_check("kafka", producer.ping)
    if not await producer.start_when_available(stop):
        await db.dispose()
        return
    deps = ClassifierDeps(
        classifier=Classifier.load(second_opinion=settings.classifier.second_opinion),
        producer=producer,
        settings=settings.classifier,
    )

    async def on_batch(records: Sequence[Consumed[AmazonEvent]]) -> None:
        async with unit_of_work(db) as session:
            await handle_batch(records, session=session, deps=deps, now=datetime.now(UTC))

    loop = ConsumerLoop(
        settings=settings.kafka,
        group_id="classifier",
        topics=[AMAZON_EVENTS],
        handler=decoding({AMAZON_EVENTS: partial(decode_amazon_event, codec=codec)}, on_batch),
        producer=producer,
    )
    task = asyncio.create_task(loop.run())
    try:
        await wait_stop_or_crash(stop, task)
    finally:
        loop.stop()
        await task
        await producer.stop()
        await db.dispose()


def main() -> None:
    """Entry point."""
    service_main(
        "classifier",
        settings=ClassifierServiceSettings,
        port=lambda s: s.classifier.http_port,
        run=run,
        routers=lambda s: [
            classify_router(Classifier.load(second_opinion=s.classifier.second_opinion), s.classifier)
        ],
        max_body_bytes=lambda s: s.classifier.http_max_body_bytes,
    )


if __name__ == "__main__":
    main()
