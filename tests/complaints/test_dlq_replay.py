"""Dead letters on the real broker: a poison record is dead-lettered, the code is fixed, the record is replayed
(twice) and the complaint opens exactly one ticket; ``complaints dlq`` lists and shows it with PII masked."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import func, select
from typer.testing import CliRunner

from complaints.dlq import app as dlq_app
from services.ingest.rejects import reject
from services.responder.handlers import ResponderDeps, handle_complaints
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderSettings
from services.responder.tables import Ticket
from shared.crypto import PiiCipher
from shared.db.idempotency import fresh_events
from shared.db.session import Database, unit_of_work
from shared.decoding import decode_amazon_event, decode_classified
from shared.errors import PermanentError, ValidationError
from shared.events import ComplaintSignalReceived
from shared.kafka.codec import EventCodec
from shared.kafka.consumer import ConsumerLoop, Record
from shared.kafka.dlq_tools import DeadLetter, ReplayFilter, dead_letter, masked, replay, scan, summarize
from shared.kafka.producer import EventProducer
from shared.settings import DatabaseSettings, KafkaSettings
from shared.stack.endpoints import AwsEnvironment
from shared.topics import AMAZON_EVENTS, INGEST_REJECTED, dlq
from tests.ingest.kafka_read import read_all
from tests.ingest.payloads import relay_mail
from tests.responder.support import classified
from tests.shared.kafka.kafka_helpers import drain, fresh_topic

pytestmark = pytest.mark.integration

CIPHER = PiiCipher("test-key")
CODEC = EventCodec(CIPHER)
BUYER_TEXT = "The kettle zorbleflux arrived cracked."


@pytest_asyncio.fixture
async def db(migrated_db: str) -> AsyncIterator[Database]:
    database = Database(DatabaseSettings(url=SecretStr(migrated_db)))
    yield database
    await database.dispose()


class _Responder:
    """A responder consumer whose ticket code can be broken (raises a permanent error) or fixed."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.broken = True
        self.handled = 0
        self.deps = ResponderDeps(cipher=CIPHER, composer=ReplyComposer(responder=ResponderSettings()))

    async def handle(self, records: Sequence[Record]) -> None:
        events = [decode_classified(r.value, codec=CODEC) for r in records]
        if self.broken:
            raise PermanentError("ticket code bug", code="ticket_bug")
        async with unit_of_work(self.db) as session:
            todo = await fresh_events(session, consumer="dlq-test", events=events)
            await handle_complaints(todo, session=session, deps=self.deps, now=datetime.now(UTC))
        self.handled += len(records)

    async def consume(
        self, settings: KafkaSettings, topic: str, *, until: Callable[[], Awaitable[bool]]
    ) -> None:
        producer = EventProducer(settings)
        await producer.start()
        loop = ConsumerLoop(
            settings=settings, group_id=f"g-{topic}", topics=[topic], handler=self.handle, producer=producer
        )
        task = asyncio.create_task(loop.run())
        try:
            async with asyncio.timeout(60):
                while not await until():
                    assert not task.done()
                    await asyncio.sleep(0.1)
        finally:
            loop.stop()
            await task
            await producer.stop()


async def _letters(settings: KafkaSettings, topic: str) -> list[DeadLetter]:
    async with aclosing(scan(kafka=settings, topic=topic)) as records:
        return [dead_letter(r) async for r in records]


async def _tickets(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Ticket))).scalar_one())


async def test_poison_dead_lettered_then_replayed_after_the_fix_opens_one_ticket(
    kafka_bootstrap: str, db: Database
) -> None:
    topic = await fresh_topic(kafka_bootstrap)
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, retry_backoff_s=0.01, retry_attempts=1)
    sealed = EventProducer(settings, codec=CODEC)
    await sealed.start()
    try:
        await sealed.publish(topic, classified(text=BUYER_TEXT))
    finally:
        await sealed.stop()

    responder = _Responder(db)

    async def dead_lettered() -> bool:
        return len(await _letters(settings, dlq(topic))) == 1

    await responder.consume(settings, topic, until=dead_lettered)
    assert await _tickets(db) == 0
    (letter,) = await _letters(settings, dlq(topic))
    assert letter.source_topic == topic
    assert letter.reason == "PermanentError:ticket_bug"
    assert summarize(dlq(topic), [letter]).by_reason == {"PermanentError:ticket_bug": 1}
    assert ReplayFilter(reason="ticket_bug").matches(letter)
    assert not ReplayFilter(reason="db_data").matches(letter)
    assert BUYER_TEXT not in json.dumps(masked(letter))

    dry = await replay([letter], producer=None)
    assert dry.dry_run
    assert dict(dry.sent) == {topic: 1}

    responder.broken = False  # the fix is deployed
    producer = EventProducer(settings)
    await producer.start()
    try:
        for _ in range(2):  # an operator replays twice: still one ticket
            summary = await replay([letter], producer=producer)
            assert dict(summary.sent) == {topic: 1}
    finally:
        await producer.stop()

    async def both_handled() -> bool:
        return responder.handled == 2

    await responder.consume(settings, topic, until=both_handled)
    assert await _tickets(db) == 1
    replayed = await drain(kafka_bootstrap, [topic], expect=3)
    assert [r.offset for r in replayed] == [0, 1, 2]
    for record in replayed[1:]:
        names = [name for name, _ in record.headers]
        assert not [n for n in names if n.startswith("dlq.")]
        assert ("replay.of", f"{dlq(topic)}:0:{letter.offset}".encode()) in record.headers
    assert len(await _letters(settings, dlq(topic))) == 1  # nothing new was dead-lettered


async def test_cli_lists_and_shows_dead_letters_with_pii_masked(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = await fresh_topic(kafka_bootstrap)
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    producer = EventProducer(settings)
    await producer.start()
    try:
        clear = classified(text=BUYER_TEXT).model_dump_json().encode()  # produced before sealing existed
        for value, error in ((clear, "PermanentError:a"), (b"\x00not json", "ValidationError:b")):
            headers = [("dlq.error", error.encode()), ("dlq.reason", b"why"), ("dlq.topic", topic.encode())]
            await producer.send_raw(dlq(topic), key=b"k", value=value, headers=headers)
    finally:
        await producer.stop()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    runner = CliRunner()

    listed = await asyncio.to_thread(runner.invoke, dlq_app, ["list", "--topic", dlq(topic)])
    assert listed.exit_code == 0, listed.output
    (line,) = [json.loads(x) for x in listed.stdout.splitlines()]
    assert line["count"] == 2
    assert line["by_reason"] == {"PermanentError:a": 1, "ValidationError:b": 1}
    assert datetime.fromisoformat(line["oldest"]) > datetime.now(UTC) - timedelta(hours=1)

    shown = await asyncio.to_thread(
        runner.invoke, dlq_app, ["show", "--topic", dlq(topic), "--reason", "ValidationError"]
    )
    assert shown.exit_code == 0, shown.output
    (only,) = [json.loads(x) for x in shown.stdout.splitlines()]
    assert (only["offset"], only["error"], only["source"]) == (1, "ValidationError:b", topic)
    assert only["value"] == "[9 bytes, not JSON]"

    everything = await asyncio.to_thread(runner.invoke, dlq_app, ["show", "--topic", dlq(topic)])
    assert BUYER_TEXT not in everything.stdout
    assert "Jane" not in everything.stdout
    first = json.loads(everything.stdout.splitlines()[0])
    assert first["value"]["signal"]["text"] == "***"


async def test_cli_replays_the_rejected_topic_through_todays_parsers_once(
    kafka_bootstrap: str, migrated_db: str, aws: AwsEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`complaints dlq replay --topic ingest.rejected`: ingest's dependencies come from the environment, a dry
    run sends nothing, the replay publishes the complaint, a second replay publishes nothing new."""
    key = "cli-reingest-" + uuid.uuid4().hex
    codec = EventCodec(PiiCipher(key))
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    marker = uuid.uuid4().hex
    producer = EventProducer(settings, codec=codec)
    await producer.start()
    try:  # what an older parser refused
        await reject(
            producer,
            body=relay_mail(f"The lamp {marker} came without its shade."),
            error=ValidationError("old parser bug"),
            source="email",
        )
    finally:
        await producer.stop()
    offset = max(letter.offset for letter in await _letters(settings, INGEST_REJECTED))
    for name, value in {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": migrated_db,
        "AWS_ENDPOINT_URL": aws.endpoint_url,
        "RESPONDER_PII_ENCRYPTION_KEY": key,
        "INGEST_DEFAULT_SELLER_ID": "A1CLIREPLAY",
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    chosen = ["replay", "--topic", INGEST_REJECTED, "--from-offset", str(offset), "--to-offset", str(offset)]

    async def run(*extra: str) -> dict[str, object]:
        result = await asyncio.to_thread(runner.invoke, dlq_app, [*chosen, *extra])
        assert result.exit_code == 0, result.output
        (line,) = [json.loads(x) for x in result.stdout.splitlines()]
        return dict(line)

    async def published() -> int:
        count = 0
        for record in await read_all(kafka_bootstrap, AMAZON_EVENTS):
            try:
                event = decode_amazon_event(record.value, codec=codec)
            except ValidationError:  # sealed with another test's key
                continue
            count += isinstance(event, ComplaintSignalReceived) and marker in event.text
        return count

    dry = await run("--dry-run")
    assert (dry["dry_run"], dry["verdicts"]) == (True, {"would re-ingest": 1})
    assert await published() == 0
    assert (await run())["verdicts"] == {"done": 1}
    assert (await run())["verdicts"] == {"done": 1}  # replayed twice ...
    assert await published() == 1  # ... published once
