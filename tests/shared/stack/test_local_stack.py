"""LocalStack: the environment the services read, isolation of parallel stacks, cleanup on errors."""

from __future__ import annotations

import subprocess
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.ingest.settings import IngestSettings
from services.responder.settings import MailSettings
from shared.settings import AwsSettings, DatabaseSettings, KafkaSettings
from shared.stack import LocalStack, StackEndpoints
from shared.stack.aws import aws_client
from shared.stack.kafka import KafkaStartError, wait_for_kafka
from shared.stack.local import standin_starter
from shared.topics import TopicSpec
from tests.shared.stack._net import accepts

_SMALL = [TopicSpec("stack.small.v1", 1, 1)]


def _component_threads() -> set[threading.Thread]:
    # moto's server thread runs `_server_entry`, aiosmtpd's controller thread runs `_run`.
    return {t for t in threading.enumerate() if "_server_entry" in t.name or "(_run)" in t.name}


async def test_env_is_what_the_settings_read(
    stack_endpoints: StackEndpoints, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in stack_endpoints.env().items():
        monkeypatch.setenv(key, value)
    assert KafkaSettings().bootstrap_servers == stack_endpoints.kafka_bootstrap
    aws = AwsSettings()
    assert (aws.endpoint_url, aws.region) == (stack_endpoints.aws_endpoint_url, stack_endpoints.aws_region)
    mail = MailSettings()
    assert (mail.smtp_host, mail.smtp_port) == (stack_endpoints.smtp_host, stack_endpoints.smtp_port)
    queue_urls = IngestSettings().sqs_queue_urls
    assert queue_urls == [stack_endpoints.aws.spapi_queue_url, stack_endpoints.aws.ses_queue_url]

    engine = create_async_engine(DatabaseSettings().url.get_secret_value())
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT current_database()"))).scalar_one() != "postgres"
    finally:
        await engine.dispose()
    async with aws_client("sqs", aws.endpoint_url, aws.region) as sqs:
        for url in queue_urls:
            await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])


async def test_standin_endpoints_follow_the_standin_package(stack_endpoints: StackEndpoints) -> None:
    env = stack_endpoints.env()
    if standin_starter() is None:
        assert stack_endpoints.spapi_endpoint is None
        assert "SPAPI_ENDPOINT" not in env
        return
    assert stack_endpoints.spapi_endpoint is not None
    assert env["SPAPI_ENDPOINT"] == stack_endpoints.spapi_endpoint
    assert env["SPAPI_LWA_ENDPOINT"] == stack_endpoints.lwa_endpoint


async def test_two_stacks_run_side_by_side_and_both_stop() -> None:
    async with (
        LocalStack(environ={}, topics=_SMALL, database_name=None, spapi=False) as one,
        LocalStack(environ={}, topics=_SMALL, database_name=None, spapi=False) as two,
    ):
        a, b = one.endpoints, two.endpoints
        assert a.kafka_bootstrap != b.kafka_bootstrap
        assert a.smtp_port != b.smtp_port
        assert a.aws_endpoint_url != b.aws_endpoint_url
        assert a.aws.spapi_queue_url != b.aws.spapi_queue_url
        for bootstrap in (a.kafka_bootstrap, b.kafka_bootstrap):
            await wait_for_kafka(bootstrap, startup_timeout=5)
        processes = [one.kafka.process if one.kafka else None, two.kafka.process if two.kafka else None]
    for process in processes:
        assert process is not None
        assert process.poll() is not None
    for endpoints in (a, b):
        assert not await accepts(endpoints.smtp_host, endpoints.smtp_port)


async def _enter_and_fail(stack: LocalStack, seen: list[object]) -> None:
    async with stack:
        seen += [stack.endpoints, stack.kafka.process if stack.kafka else None]
        raise RuntimeError("boom")


async def test_everything_stops_when_the_body_raises() -> None:
    before = _component_threads()
    stack = LocalStack(environ={}, topics=_SMALL, database_name=None, spapi=False)
    seen: list[object] = []
    with pytest.raises(RuntimeError, match="boom"):
        await _enter_and_fail(stack, seen)
    endpoints, process = seen
    assert isinstance(endpoints, StackEndpoints)
    assert isinstance(process, subprocess.Popen)
    assert process.poll() is not None
    host, _, port = endpoints.kafka_bootstrap.rpartition(":")
    assert not await accepts(host, int(port))
    assert not await accepts(endpoints.smtp_host, endpoints.smtp_port)
    assert _component_threads() == before
    with pytest.raises(RuntimeError, match="not running"):
        stack.env()


async def test_a_failed_start_stops_the_parts_that_did_start(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _component_threads()
    monkeypatch.setenv("CALF_TANSU_BIN", "/bin/false")
    with pytest.raises(KafkaStartError):
        async with LocalStack(environ={}, topics=_SMALL, database_name=None, spapi=False):
            pytest.fail("the stack must not start without its broker")
    assert _component_threads() == before
