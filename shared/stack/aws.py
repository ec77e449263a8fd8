"""Local AWS (SQS, SNS, SES, S3) via moto in server mode, plus the resources the system reads and writes."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session

from shared.stack.endpoints import LOCAL_ACCESS_KEY, AwsEnvironment, AwsResources
from shared.stack.ports import LOOPBACK, free_port

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer
    from types_aiobotocore_s3.client import S3Client
    from types_aiobotocore_ses.client import SESClient
    from types_aiobotocore_sns.client import SNSClient
    from types_aiobotocore_sqs.client import SQSClient

__all__ = [
    "DEFAULT_REGION",
    "DEFAULT_SENDER",
    "LOCAL_ACCESS_KEY",
    "AwsEnvironment",
    "AwsResources",
    "MotoProcess",
    "MotoServer",
    "aws_client",
    "create_resources",
    "moto_server",
    "start_moto",
    "start_moto_process",
]

log = logging.getLogger(__name__)

DEFAULT_REGION = "us-east-1"
DEFAULT_SENDER = "support@seller.example"


@functools.cache
def _session() -> AioSession:
    # One session for all clients: it caches the parsed service models, which are slow to load.
    return get_session()


@overload
def aws_client(
    service: Literal["sqs"], endpoint_url: str | None, region: str
) -> AbstractAsyncContextManager[SQSClient]: ...
@overload
def aws_client(
    service: Literal["sns"], endpoint_url: str | None, region: str
) -> AbstractAsyncContextManager[SNSClient]: ...
@overload
def aws_client(
    service: Literal["ses"], endpoint_url: str | None, region: str
) -> AbstractAsyncContextManager[SESClient]: ...
@overload
def aws_client(
    service: Literal["s3"], endpoint_url: str | None, region: str
) -> AbstractAsyncContextManager[S3Client]: ...
def aws_client(service: str, endpoint_url: str | None, region: str) -> AbstractAsyncContextManager[Any]:
    """An aiobotocore client for ``service`` against ``endpoint_url`` with the local credentials."""
    # Path-style S3 addressing: virtual hosts cannot resolve against a loopback IP endpoint.
    config = AioConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 2, "mode": "standard"})
    session: Any = _session()
    client = session.create_client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_ACCESS_KEY,
        config=config,
    )
    return cast(AbstractAsyncContextManager[Any], client)


class MotoServer:
    """moto's threaded server on a loopback port."""

    def __init__(self, server: ThreadedMotoServer, host: str, port: int):
        self._server: ThreadedMotoServer | None = server
        self.host = host
        self.port = port

    @property
    def endpoint_url(self) -> str:
        """Base URL every AWS client should use as ``endpoint_url``."""
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Shut the server down and join its thread."""
        server, self._server = self._server, None
        if server is not None:
            await asyncio.to_thread(server.stop)
            log.info("moto stopped endpoint=%s", self.endpoint_url)


def _start_moto_blocking(host: str, port: int) -> MotoServer:
    # moto is slow to import (~1 s); load it only when a server is started.
    from moto.server import ThreadedMotoServer

    werkzeug_log = logging.getLogger("werkzeug")
    if werkzeug_log.level == logging.NOTSET:
        # werkzeug prints every request to stderr unless its logger was configured; keep the stack quiet.
        werkzeug_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    return MotoServer(server, bound_host, bound_port)


async def start_moto(*, host: str = LOOPBACK, port: int = 0) -> MotoServer:
    """Start moto on ``port`` (0 = the kernel picks a free one, so two servers never collide)."""
    server = await asyncio.to_thread(_start_moto_blocking, host, port)
    log.info("moto started endpoint=%s", server.endpoint_url)
    return server


class MotoProcess:
    """moto's server in a child process: its own interpreter, so a busy client (a broker storing every
    record in S3) does not compete with the caller's event loop for one GIL."""

    def __init__(self, process: subprocess.Popen[bytes], host: str, port: int):
        self._process: subprocess.Popen[bytes] | None = process
        self.host = host
        self.port = port

    @property
    def endpoint_url(self) -> str:
        """Base URL every AWS client should use as ``endpoint_url``."""
        return f"http://{self.host}:{self.port}"

    async def stop(self, grace_s: float = 5.0) -> None:
        """Terminate the child (then kill it)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)


async def start_moto_process(*, host: str = LOOPBACK, startup_timeout: float = 30.0) -> MotoProcess:
    """Start ``python -m moto.server`` on a free port and wait until it answers."""
    port = free_port(host)
    process = await asyncio.to_thread(
        subprocess.Popen,
        [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    server = MotoProcess(process, host, port)
    deadline = time.monotonic() + startup_timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode} (port {port} taken?)")
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            if time.monotonic() > deadline:
                await server.stop()
                raise RuntimeError(
                    f"moto server on port {port} did not answer within {startup_timeout}s"
                ) from None
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        log.info("moto process started endpoint=%s pid=%s", server.endpoint_url, process.pid)
        return server


@asynccontextmanager
async def moto_server(*, host: str = LOOPBACK, port: int = 0) -> AsyncIterator[MotoServer]:
    """``start_moto`` as a context manager."""
    server = await start_moto(host=host, port=port)
    try:
        yield server
    finally:
        await server.stop()


def _sns_may_send(queue_arn: str, topic_arn: str) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


async def _queue(sqs: SQSClient, name: str) -> tuple[str, str]:
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    attrs = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, attrs["Attributes"]["QueueArn"]


async def create_resources(
    endpoint_url: str | None,
    region: str = DEFAULT_REGION,
    *,
    prefix: str = "complaints",
    sender: str = DEFAULT_SENDER,
    raw_delivery: bool = False,
) -> AwsResources:
    """Create (idempotently) the SP-API queue, the SES inbound topic+queue, the mail bucket and the sender."""
    async with aws_client("sqs", endpoint_url, region) as sqs:
        spapi_url, spapi_arn = await _queue(sqs, f"{prefix}-spapi-notifications")
        ses_url, ses_arn = await _queue(sqs, f"{prefix}-ses-inbound")
        async with aws_client("sns", endpoint_url, region) as sns:
            topic_arn = (await sns.create_topic(Name=f"{prefix}-ses-inbound"))["TopicArn"]
            await sqs.set_queue_attributes(
                QueueUrl=ses_url, Attributes={"Policy": _sns_may_send(ses_arn, topic_arn)}
            )
            subscription = await sns.subscribe(
                TopicArn=topic_arn,
                Protocol="sqs",
                Endpoint=ses_arn,
                Attributes={"RawMessageDelivery": "true" if raw_delivery else "false"},
                ReturnSubscriptionArn=True,
            )
    bucket = f"{prefix}-ses-mail"
    async with aws_client("s3", endpoint_url, region) as s3:
        if region == "us-east-1":
            await s3.create_bucket(Bucket=bucket)
        else:
            await s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})  # type: ignore[typeddict-item] # any region string is valid here
    async with aws_client("ses", endpoint_url, region) as ses:
        await ses.verify_email_identity(EmailAddress=sender)
    return AwsResources(
        spapi_queue_url=spapi_url,
        spapi_queue_arn=spapi_arn,
        ses_topic_arn=topic_arn,
        ses_queue_url=ses_url,
        ses_queue_arn=ses_arn,
        ses_subscription_arn=subscription["SubscriptionArn"],
        ses_raw_delivery=raw_delivery,
        ses_mail_bucket=bucket,
        ses_sender=sender,
    )
