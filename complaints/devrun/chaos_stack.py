"""The parts a fault campaign owns: a broker on S3 storage, a dedicated embedded PostgreSQL, moto, SMTP and
the SP-API stand-in, plus the environment the services get."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

from complaints.db.migrate import upgrade_head_async
from complaints.devrun.processes import LOCAL_REFRESH_TOKEN, service_env
from shared.demo.scenario import DEMO_SELLER
from shared.stack.aws import (
    DEFAULT_REGION,
    AwsEnvironment,
    aws_client,
    create_resources,
    start_moto,
    start_moto_process,
)
from shared.stack.endpoints import StackEndpoints
from shared.stack.kafka import BrokerStorage, KafkaBroker, start_kafka
from shared.stack.postgres import PostgresServer, create_database, drop_database, start_postgres
from shared.stack.smtp import SmtpServer, start_smtp
from shared.stack.spapi_standin import StandinHandle, start_standin
from shared.topics import ALL_TOPICS

__all__ = ["DATABASE", "Parts", "service_environment", "start_parts"]

DATABASE = "chaos"


@dataclass
class Parts:
    """Handles on the running parts."""

    aws: AwsEnvironment
    broker: KafkaBroker
    postgres: PostgresServer
    database_url: str
    smtp: SmtpServer
    standin: StandinHandle


async def start_parts(stack: AsyncExitStack, work_dir: Path, tag: str) -> Parts:
    """Start every part; each is registered on ``stack`` for stopping."""
    moto = await start_moto()
    stack.push_async_callback(moto.stop)
    resources = await create_resources(moto.endpoint_url, DEFAULT_REGION, prefix=f"chaos-{tag}")
    aws = AwsEnvironment(moto.endpoint_url, DEFAULT_REGION, resources)
    # The broker's storage: its own moto process, so the broker's S3 traffic does not slow this loop down.
    s3_server = await start_moto_process()
    stack.push_async_callback(s3_server.stop)
    bucket = f"chaos-{tag}-tansu"
    async with aws_client("s3", s3_server.endpoint_url, aws.region) as s3:
        await s3.create_bucket(Bucket=bucket)
    storage = BrokerStorage.s3(
        bucket,
        endpoint_url=s3_server.endpoint_url,
        region=aws.region,
        access_key=aws.access_key_id,
        secret_key=aws.secret_access_key,
    )
    broker = await start_kafka(topics=ALL_TOPICS, environ={}, storage=storage)
    stack.push_async_callback(broker.stop)
    postgres = await start_postgres(force_embedded=True, data_dir=work_dir / "pgdata")
    stack.push_async_callback(postgres.stop)
    # The data folder outlives a campaign; its data must not.
    await drop_database(postgres.admin_url, DATABASE)
    database_url = await create_database(postgres.admin_url, DATABASE)
    await upgrade_head_async(database_url)
    smtp = await start_smtp()
    stack.push_async_callback(smtp.stop)
    standin = await start_standin()
    stack.push_async_callback(standin.stop)
    standin.state.add_seller(DEMO_SELLER, LOCAL_REFRESH_TOKEN)
    return Parts(aws, broker, postgres, database_url, smtp, standin)


def service_environment(parts: Parts) -> dict[str, str]:
    """The environment of the service processes."""
    endpoints = StackEndpoints(
        kafka_bootstrap=parts.broker.bootstrap_servers,
        database_admin_url=parts.postgres.admin_url,
        database_url=parts.database_url,
        aws_endpoint_url=parts.aws.endpoint_url,
        aws_region=parts.aws.region,
        aws=parts.aws.resources,
        smtp_host=parts.smtp.host,
        smtp_port=parts.smtp.port,
        spapi_endpoint=parts.standin.base_url,
        lwa_endpoint=parts.standin.lwa_url,
    )
    # Short leases and visibility: a killed sender's claim and an unsettled SQS message come back quickly.
    extra = {"RESPONDER_SENDER_LEASE_S": "5", "INGEST_SQS_VISIBILITY_TIMEOUT": "15"}
    return service_env(endpoints.env(), seller_id=DEMO_SELLER, extra=extra)
