"""Real-stack fixtures for the ingest runtime: a migrated database, the broker, fresh topics and queues."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from pydantic import SecretStr

from complaints.db.migrate import upgrade_head_async
from services.ingest.aws import S3MailStore, create_client
from services.ingest.deps import IngestDeps, ReportsApi
from services.ingest.intake import Intake
from services.ingest.settings import IngestSettings
from shared.db.session import Database
from shared.kafka.producer import EventProducer
from shared.settings import AwsSettings, DatabaseSettings, KafkaSettings, SpApiSettings
from shared.spapi import SpApiClient
from shared.stack.aws import AwsEnvironment, aws_client
from shared.stack.postgres import create_database, drop_database
from shared.stack.spapi_standin import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, StandinHandle, start_standin
from shared.topics import dlq
from tests.ingest.payloads import SELLER
from tests.ingest.support import CODEC, DepsFactory, Topics, ingest_settings
from tests.shared.kafka.kafka_helpers import fresh_topic

REFRESH_TOKEN = "Atzr|ingest-runtime-test"

if TYPE_CHECKING:
    from types_aiobotocore_s3.client import S3Client
    from types_aiobotocore_sqs.client import SQSClient


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_ingest_db_url(database_admin_url: str) -> AsyncIterator[str]:
    """One migrated database for the tests whose keys are unique per test (migrating costs ~2 s a time)."""
    name = f"ingest_rt_{uuid.uuid4().hex[:10]}"
    url = await create_database(database_admin_url, name)
    await upgrade_head_async(url)
    yield url
    await drop_database(database_admin_url, name)


@pytest_asyncio.fixture
async def ingest_db(shared_ingest_db_url: str) -> AsyncIterator[Database]:
    """The ingest tables (shared by the tests of this folder; every test uses its own dedup keys)."""
    db = Database(DatabaseSettings(url=SecretStr(shared_ingest_db_url), pool_size=5))
    yield db
    await db.dispose()


@pytest_asyncio.fixture
async def fresh_ingest_db(migrated_db: str) -> AsyncIterator[Database]:
    """The ingest tables on a database of this test alone (report ids repeat across stand-ins)."""
    db = Database(DatabaseSettings(url=SecretStr(migrated_db), pool_size=5))
    yield db
    await db.dispose()


@pytest_asyncio.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[EventProducer]:
    """A started producer on the session broker, sealing PII as the service's does."""
    events = EventProducer(KafkaSettings(bootstrap_servers=kafka_bootstrap), codec=CODEC)
    await events.start()
    yield events
    await events.stop()


@pytest_asyncio.fixture
async def topics(kafka_bootstrap: str) -> Topics:
    """Per-test output and rejected topics, so assertions see this test's records only."""
    name = await fresh_topic(kafka_bootstrap, partitions=3)
    return Topics(name, dlq(name))


@pytest.fixture
def aws_settings(aws: AwsEnvironment) -> AwsSettings:
    """Settings pointing the service's AWS clients at moto."""
    return AwsSettings(endpoint_url=aws.endpoint_url)


@pytest_asyncio.fixture
async def sqs(aws_settings: AwsSettings) -> AsyncIterator[SQSClient]:
    """An SQS client built the way the service builds it."""
    async with create_client("sqs", aws_settings, read_timeout=30) as client:
        yield client


@pytest_asyncio.fixture
async def s3(aws_settings: AwsSettings) -> AsyncIterator[S3Client]:
    """An S3 client built the way the service builds it."""
    async with create_client("s3", aws_settings) as client:
        yield client


@pytest_asyncio.fixture
async def queue_url(aws: AwsEnvironment) -> AsyncIterator[str]:
    """A fresh, empty queue (moto slows down as a queue grows); deleted after the test."""
    async with aws_client("sqs", aws.endpoint_url, aws.region) as client:
        url = (await client.create_queue(QueueName=f"ingest-{uuid.uuid4().hex[:12]}"))["QueueUrl"]
    yield url
    async with aws_client("sqs", aws.endpoint_url, aws.region) as client:
        await client.delete_queue(QueueUrl=url)


@pytest.fixture
def make_deps(ingest_db: Database, producer: EventProducer, topics: Topics, s3: S3Client) -> DepsFactory:
    """Build ``IngestDeps`` on the test's database, producer and topics."""

    def make(
        *,
        db: Database | None = None,
        settings: IngestSettings | None = None,
        reports_api: ReportsApi | None = None,
        events_producer: EventProducer | None = None,
    ) -> IngestDeps:
        return IngestDeps(
            db=db or ingest_db,
            producer=events_producer or producer,
            intake=Intake(default_seller_id=SELLER, mail_store=S3MailStore(s3)),
            settings=settings or ingest_settings(),
            reports_api=reports_api,
            events_topic=topics.events,
            rejected_topic=topics.rejected,
        )

    return make


@pytest_asyncio.fixture
async def standin() -> AsyncIterator[StandinHandle]:
    """A fresh SP-API stand-in on loopback that knows the test seller."""
    handle = await start_standin()
    handle.state.add_seller(SELLER, REFRESH_TOKEN)
    yield handle
    await handle.stop()


@pytest_asyncio.fixture
async def spapi(standin: StandinHandle) -> AsyncIterator[SpApiClient]:
    """The project's SP-API client pointed at the stand-in."""
    settings = SpApiSettings(
        endpoint=standin.base_url,
        lwa_endpoint=standin.lwa_url,
        lwa_client_id=DEFAULT_CLIENT_ID,
        lwa_client_secret=SecretStr(DEFAULT_CLIENT_SECRET),
        refresh_tokens={SELLER: SecretStr(REFRESH_TOKEN)},
    )
    async with SpApiClient(settings) as client:
        yield client
