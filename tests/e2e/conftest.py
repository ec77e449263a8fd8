"""The whole system as OS processes on a dedicated broker and database (shared moto, SMTP, SP-API stand-in)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from complaints.db.migrate import upgrade_head_async
from complaints.devrun.processes import SystemProcesses, service_env
from shared.demo.scenario import DEMO_SELLER
from shared.stack import LocalStack
from shared.stack.aws import AwsEnvironment, AwsResources, create_resources
from shared.stack.kafka import kafka_broker
from shared.stack.postgres import create_database, drop_database
from shared.topics import ALL_TOPICS
from tests.plugins.otlp import OtlpReceiver

__all__ = ["RunningSystem", "system_running"]


@dataclass
class RunningSystem:
    """Handles a test needs to drive and inspect the running system."""

    processes: SystemProcesses
    database_url: str
    kafka_bootstrap: str
    aws: AwsEnvironment
    seller_id: str

    @property
    def resources(self) -> AwsResources:
        """This system's queues and topic."""
        return self.aws.resources


@contextlib.asynccontextmanager
async def system_running(
    local_stack: LocalStack, log_dir: Path, *, extra_env: Mapping[str, str] | None = None
) -> AsyncIterator[RunningSystem]:
    """Ingest, classifier and responder as processes on their own broker and database; torn down (SIGTERM)
    on exit. ``extra_env`` adds to the services' environment."""
    ep = local_stack.endpoints
    name = f"e2e_{uuid.uuid4().hex[:10]}"
    database_url = await create_database(ep.database_admin_url, name)
    await upgrade_head_async(database_url)
    resources = await create_resources(ep.aws_endpoint_url, ep.aws_region, prefix=name.replace("_", "-"))
    aws = AwsEnvironment(ep.aws_endpoint_url, ep.aws_region, resources)
    async with kafka_broker(topics=ALL_TOPICS, environ={}) as broker:
        stack_env = {
            **ep.env(),
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "DATABASE_URL": database_url,
            "INGEST_SQS_QUEUE_URLS": f'["{resources.spapi_queue_url}", "{resources.ses_queue_url}"]',
        }
        env = service_env(
            stack_env, seller_id=DEMO_SELLER, extra={"RESPONDER_SENDER_LEASE_S": "5", **(extra_env or {})}
        )
        processes = SystemProcesses(env=env, log_dir=log_dir)
        try:
            await processes.start(("ingest", "classifier", "responder"))
            yield RunningSystem(processes, database_url, broker.bootstrap_servers, aws, DEMO_SELLER)
        finally:
            await processes.stop()
    await drop_database(ep.database_admin_url, name)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def running_system(
    local_stack: LocalStack,
    otlp_receiver: OtlpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> AsyncIterator[RunningSystem]:
    """Ingest, classifier and responder as processes; torn down (SIGTERM) after the module. In a module
    marked ``traced`` they export their spans to ``otlp_receiver`` (every 100 ms)."""
    env: dict[str, str] = {}
    if request.node.get_closest_marker("traced") is not None:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    async with system_running(local_stack, tmp_path_factory.mktemp("e2e-logs"), extra_env=env) as system:
        yield system
