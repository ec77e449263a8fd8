"""`complaints responder`: tickets from classified complaints, and the outbox sender."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial

from services.responder.handlers import KEPT_AMAZON_EVENTS, ResponderDeps, ResponderInput, handle_batch
from services.responder.outbox.budget import BudgetPolicy
from services.responder.outbox.ownership import SellerOwnership
from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports import Transport
from services.responder.outbox.transports.messaging import MessagingTransport, spapi_http_client
from services.responder.outbox.transports.ses import SesTransport
from services.responder.outbox.transports.smtp import SmtpTransport
from services.responder.outbox.transports.solicitation import SolicitationTransport
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderServiceSettings
from services.responder.solicitations.repository import CHANNEL as SOLICITATION_CHANNEL
from services.responder.workers.stalled import StalledCheck, run_stalled_checks
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.decoding import decode_amazon_event, decode_classified
from shared.health import HealthState
from shared.kafka.codec import EventCodec
from shared.kafka.consumer import BatchHandler, ConsumerLoop
from shared.kafka.producer import EventProducer
from shared.kafka.typed import Consumed, Decoder, decoding
from shared.runtime import service_main, wait_stop_or_crash
from shared.spapi.client import SpApiClient
from shared.topics import AMAZON_EVENTS, CLASSIFIED

__all__ = ["batch_handler", "main", "run"]


async def run(settings: ResponderServiceSettings, stop: asyncio.Event, health: HealthState) -> None:
    """Run the ticket consumer and the outbox sender until ``stop`` is set."""
    db = Database(settings.database)
    producer = EventProducer(settings.kafka)
    health.add_check("database", db.ping)
    health.add_check("kafka", producer.ping)
    if not await producer.start_when_available(stop):
        await db.dispose()
        return
    cipher = PiiCipher.from_secrets(
        settings.responder.pii_encryption_key, settings.responder.pii_encryption_keys_old
    )
    composer = ReplyComposer(responder=settings.responder)
    deps = ResponderDeps(
        cipher=cipher,
        composer=composer,
        identical_cap=settings.responder.identical_message_cap,
        solicitation_day=settings.responder.solicitation_day if settings.responder.solicit_reviews else None,
        solicitation_sellers=frozenset(settings.responder.solicitation_sellers),
        webhooks=tuple(settings.responder.webhooks),
    )
    spapi_http = spapi_http_client(settings.spapi)
    spapi = SpApiClient(settings.spapi, http=spapi_http)
    email: Transport = (
        SesTransport(settings.mail, settings.aws)
        if settings.mail.transport == "ses"
        else SmtpTransport(settings.mail)
    )
    sender = OutboxSender(
        db=db,
        transports={
            "email": email,
            "messaging": MessagingTransport(spapi, composer),
            SOLICITATION_CHANNEL: SolicitationTransport(spapi),
        },
        cipher=cipher,
        config=SenderConfig(
            batch=settings.responder.sender_batch,
            concurrency=settings.responder.sender_concurrency,
            record_delay_s=settings.responder.sender_record_delay_s,
            poll_interval_s=settings.responder.sender_poll_interval_s,
            lease=timedelta(seconds=settings.responder.sender_lease_s),
            budget=BudgetPolicy.from_settings(settings.responder),
            identical_cap=settings.responder.identical_message_cap,
        ),
        # One logical sender per seller across replicas: SP-API pacing and the daily budget hold (ownership.py).
        ownership=SellerOwnership(db, release_after_s=settings.responder.sender_seller_release_s)
        if settings.responder.sender_exclusive_sellers
        else None,
        webhooks=settings.responder.webhooks,
    )

    loop = ConsumerLoop(
        settings=settings.kafka,
        group_id="responder",
        topics=[CLASSIFIED, AMAZON_EVENTS],
        handler=batch_handler(db, deps),
        producer=producer,
    )
    consumer_task = asyncio.create_task(loop.run(), name="consumer")
    sender_stop = asyncio.Event()
    sender_task = asyncio.create_task(sender.run(sender_stop), name="sender")
    tasks = [consumer_task, sender_task]
    if settings.responder.stalled_check_enabled:
        check = StalledCheck(
            db=db, actions=spapi, composer=composer, settings=settings.responder, cipher=cipher
        )
        interval = settings.responder.stalled_check_interval_s
        tasks.append(
            asyncio.create_task(
                run_stalled_checks(
                    check, interval_s=interval, stop=sender_stop, clock=lambda: datetime.now(UTC)
                ),
                name="stalled-shipments",
            )
        )
    try:
        await wait_stop_or_crash(stop, *tasks)
    finally:
        loop.stop()
        sender_stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await spapi.aclose()
        await spapi_http.aclose()
        await producer.stop()
        await db.dispose()


def batch_handler(db: Database, deps: ResponderDeps) -> BatchHandler:
    """The consumer loop's handler: decode the records (PII opened), apply them in one transaction."""

    async def on_batch(records: Sequence[Consumed[ResponderInput]]) -> None:
        async with unit_of_work(db) as session:
            await handle_batch(records, session=session, deps=deps, now=datetime.now(UTC))

    return decoding(_decoders(EventCodec(deps.cipher)), on_batch, only={AMAZON_EVENTS: KEPT_AMAZON_EVENTS})


def _decoders(codec: EventCodec) -> dict[str, Decoder[ResponderInput]]:
    """The responder's topics and their decoders (the PII key ring also opens the PII sealed on Kafka)."""
    return {
        CLASSIFIED: partial(decode_classified, codec=codec),
        AMAZON_EVENTS: partial(decode_amazon_event, codec=codec),
    }


def main() -> None:
    """Entry point."""
    service_main(
        "responder", settings=ResponderServiceSettings, port=lambda s: s.responder.worker_port, run=run
    )


if __name__ == "__main__":
    main()
