"""Fixtures: a migrated database, the session's SP-API stand-in, and the services as OS processes."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import SecretStr

from complaints.db.migrate import upgrade_head_async
from complaints.devrun.processes import ServiceProcess, SystemProcesses, service_env
from shared.db.session import Database
from shared.settings import DatabaseSettings
from shared.stack import LocalStack
from shared.stack.aws import AwsEnvironment, create_resources
from shared.stack.kafka import kafka_broker
from shared.stack.ports import free_port
from shared.stack.postgres import create_database, drop_database
from shared.stack.spapi_standin import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, StandinHandle
from shared.topics import ALL_TOPICS
from tests.responder.exactly_once_support import new_sellers, standin_of

__all__ = ["ResponderSystem"]


@pytest_asyncio.fixture
async def db(migrated_db: str) -> AsyncIterator[Database]:
    """The responder's tables in a fresh database."""
    database = Database(DatabaseSettings(url=SecretStr(migrated_db)))
    yield database
    await database.dispose()


@pytest.fixture
def standin(local_stack: LocalStack) -> Iterator[StandinHandle]:
    """The session's SP-API stand-in; faults a test left behind are cleared afterwards."""
    handle = standin_of(local_stack)
    yield handle
    handle.state.faults.clear()


@dataclass
class ResponderSystem:
    """Ingest, classifier and responder as processes on their own broker and database."""

    processes: SystemProcesses
    env: dict[str, str]
    database_url: str
    kafka_bootstrap: str
    aws: AwsEnvironment
    seller_id: str
    standin: StandinHandle
    log_dir: Path

    async def restart_responder(self, extra: Mapping[str, str] | None = None) -> None:
        """SIGTERM the responder if it still runs, then start a new one with ``extra`` environment."""
        old = self.processes.services["responder"]
        await old.terminate()
        n = sum(1 for _ in self.log_dir.glob("responder*.log"))
        new = ServiceProcess("responder", free_port(), self.log_dir / f"responder-{n + 1}.log")
        new.start({**self.env, **(extra or {})})
        self.processes.services["responder"] = new
        await new.wait_ready()


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def responder_system(
    local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ResponderSystem]:
    """The services as processes; SP-API calls go to the session stand-in, mail to the session SMTP server."""
    ep = local_stack.endpoints
    standin = standin_of(local_stack)
    ((seller_id, refresh_token),) = new_sellers(standin.state, 1).items()
    name = f"once_{uuid.uuid4().hex[:10]}"
    database_url = await create_database(ep.database_admin_url, name)
    await upgrade_head_async(database_url)
    resources = await create_resources(ep.aws_endpoint_url, ep.aws_region, prefix=name.replace("_", "-"))
    aws = AwsEnvironment(ep.aws_endpoint_url, ep.aws_region, resources)
    log_dir = tmp_path_factory.mktemp("exactly-once-logs")
    try:
        async with kafka_broker(topics=ALL_TOPICS, environ={}) as broker:
            stack_env = {
                **ep.env(),
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                "DATABASE_URL": database_url,
                "INGEST_SQS_QUEUE_URLS": json.dumps(resources.ingest_queue_urls),
            }
            extra = {
                "SPAPI_LWA_CLIENT_ID": DEFAULT_CLIENT_ID,
                "SPAPI_LWA_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
                "SPAPI_REFRESH_TOKENS": json.dumps({seller_id: refresh_token}),
                # Longer than any delay the tests inject, so only the kill -9 ends an in-flight send.
                "SPAPI_TIMEOUT_S": "60",
            }
            env = service_env(stack_env, seller_id=seller_id, extra=extra)
            processes = SystemProcesses(env=env, log_dir=log_dir)
            try:
                await processes.start(("ingest", "classifier", "responder"))
                yield ResponderSystem(
                    processes, env, database_url, broker.bootstrap_servers, aws, seller_id, standin, log_dir
                )
            finally:
                await processes.stop()
    finally:
        await drop_database(ep.database_admin_url, name)
