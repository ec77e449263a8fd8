"""``complaints doctor``: is every dependency configured and reachable, and if not, what to do about it.

Each check returns a ``Check``: its verdict, what it saw and, on failure, how to fix it. Checks never print
secrets (tokens, passwords, URLs with credentials) and each is bounded by a timeout, so an unreachable host is
a failure line, not a hang.
"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from sqlalchemy.engine import make_url

from complaints.settings import Settings
from shared.topics import ALL_TOPICS

__all__ = ["Check", "render", "run_checks"]

TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Check:
    """One verdict: ``ok`` False is a failure; ``fix`` says what to do."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


async def check_kafka(settings: Settings) -> Check:
    """The broker answers and every topic of ``shared.topics`` exists."""
    servers = settings.kafka.bootstrap_servers
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, request_timeout_ms=int(TIMEOUT_S * 1000))
    try:
        await consumer.start()
        present = await consumer.topics()
    except Exception as exc:  # noqa: BLE001  # any failure to connect is the verdict itself
        return Check(
            "kafka",
            False,
            f"{servers}: {type(exc).__name__}",
            "start the broker or fix KAFKA_BOOTSTRAP_SERVERS",
        )
    finally:
        await consumer.stop()
    missing = [spec.name for spec in ALL_TOPICS if spec.name not in present]
    if missing:
        return Check(
            "kafka",
            False,
            f"{servers}: missing topics {', '.join(missing)}",
            "create them (deploy/base/topics in Kubernetes; the local stack creates them at start)",
        )
    return Check("kafka", True, f"{servers}: {len(ALL_TOPICS)} topics present")


async def check_database(settings: Settings) -> Check:
    """PostgreSQL answers and is at the newest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.ext.asyncio import create_async_engine

    from complaints.db.migrate import alembic_config

    url = settings.database.url.get_secret_value()
    where = make_url(url).render_as_string(hide_password=True)
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    engine = create_async_engine(url, hide_parameters=True, connect_args={"timeout": TIMEOUT_S})
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(lambda c: set(MigrationContext.configure(c).get_current_heads()))
    except Exception as exc:  # noqa: BLE001  # any failure to connect is the verdict itself
        return Check(
            "postgres", False, f"{where}: {type(exc).__name__}", "start PostgreSQL or fix DATABASE_URL"
        )
    finally:
        await engine.dispose()
    if current != heads:
        seen = ", ".join(sorted(current)) or "no migrations"
        return Check(
            "postgres",
            False,
            f"{where}: at {seen}, newest is {', '.join(sorted(heads))}",
            "complaints migrate",
        )
    return Check("postgres", True, f"{where}: at the newest migration {', '.join(sorted(heads))}")


async def check_sqs(settings: Settings) -> list[Check]:
    """Every configured ingest queue answers."""
    from services.ingest.aws import create_client

    urls = settings.ingest.sqs_queue_urls
    if not urls:
        return [Check("sqs", True, "no queues configured (INGEST_SQS_QUEUE_URLS): ingest polls nothing")]
    out: list[Check] = []
    async with create_client("sqs", settings.aws, read_timeout=TIMEOUT_S) as sqs:
        for url in urls:
            try:
                await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
                out.append(Check("sqs", True, f"{url}: reachable"))
            except Exception as exc:  # noqa: BLE001  # the verdict names the error class
                fix = "check the queue URL, AWS credentials (AWS_*) and the queue policy"
                out.append(Check("sqs", False, f"{url}: {type(exc).__name__}", fix))
    return out


def _smtp(settings: Settings) -> None:
    mail = settings.mail
    with smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=TIMEOUT_S) as client:
        client.ehlo()
        if mail.smtp_starttls:
            client.starttls()
            client.ehlo()
        if mail.smtp_username and mail.smtp_password is not None:
            client.login(mail.smtp_username, mail.smtp_password.get_secret_value())


async def check_mail(settings: Settings) -> Check:
    """The reply transport answers: SMTP (connect, EHLO, STARTTLS and login if configured) or SES quota."""
    mail = settings.mail
    if mail.transport == "ses":
        from aiobotocore.session import get_session

        aws = settings.aws
        kwargs: dict[str, Any] = {
            "region_name": aws.region,
            "aws_access_key_id": aws.access_key_id.get_secret_value(),
            "aws_secret_access_key": aws.secret_access_key.get_secret_value(),
            **({"endpoint_url": aws.endpoint_url} if aws.endpoint_url else {}),
        }
        try:
            async with get_session().create_client("ses", **kwargs) as ses:
                quota = await ses.get_send_quota()
        except Exception as exc:  # noqa: BLE001  # the verdict names the error class
            return Check(
                "mail", False, f"ses {aws.region}: {type(exc).__name__}", "check AWS_* and ses:GetSendQuota"
            )
        return Check("mail", True, f"ses {aws.region}: quota {quota.get('Max24HourSend', '?')} a day")
    where = f"smtp {mail.smtp_host}:{mail.smtp_port}"
    try:
        await asyncio.to_thread(_smtp, settings)
    except (OSError, smtplib.SMTPException) as exc:
        return Check("mail", False, f"{where}: {type(exc).__name__}", "fix MAIL_SMTP_* or start the relay")
    return Check("mail", True, f"{where}: answers")


async def check_spapi(settings: Settings) -> list[Check]:
    """Every seller's refresh token is exchanged for an access token at LWA."""
    from shared.spapi.lwa import LwaClient

    sellers = sorted(settings.spapi.refresh_tokens)
    if not sellers:
        return [Check("sp-api", True, "no sellers configured (SPAPI_REFRESH_TOKENS): no SP-API calls")]
    out: list[Check] = []
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
        lwa = LwaClient(settings.spapi, http, max_attempts=1)
        for seller in sellers:
            try:
                await lwa.access_token(seller)
                out.append(Check("sp-api", True, f"seller {seller}: LWA token exchanged"))
            except Exception as exc:  # noqa: BLE001  # the verdict names the error class, never the token
                fix = "check SPAPI_LWA_CLIENT_ID/SECRET and the seller's refresh token (re-authorise the app)"
                out.append(Check("sp-api", False, f"seller {seller}: {type(exc).__name__}", fix))
    return out


async def _bounded(name: str, work: Callable[[], Awaitable[Check | list[Check]]]) -> list[Check]:
    try:
        async with asyncio.timeout(TIMEOUT_S * 3):
            result = await work()
    except TimeoutError:
        return [Check(name, False, "no answer in time", "check the host, port and network path")]
    return result if isinstance(result, list) else [result]


async def run_checks(settings: Settings) -> list[Check]:
    """Every check, concurrently, in a stable order."""
    checks: list[tuple[str, Callable[[], Awaitable[Check | list[Check]]]]] = [
        ("kafka", lambda: check_kafka(settings)),
        ("postgres", lambda: check_database(settings)),
        ("sqs", lambda: check_sqs(settings)),
        ("mail", lambda: check_mail(settings)),
        ("sp-api", lambda: check_spapi(settings)),
    ]
    results = await asyncio.gather(*(_bounded(name, work) for name, work in checks))
    return [check for group in results for check in group]


def render(check: Check) -> str:
    """One line, plus a ``fix:`` line for a failure."""
    line = f"{'ok  ' if check.ok else 'FAIL'}  {check.name:<9} {check.detail}"
    return line if check.ok else f"{line}\n      fix: {check.fix}"
