"""``LocalStack``: broker, PostgreSQL, AWS, SMTP and the SP-API stand-in together, on free loopback ports."""

from __future__ import annotations

import asyncio
import importlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self, cast

from shared.stack.aws import DEFAULT_REGION, DEFAULT_SENDER, MotoServer, create_resources, start_moto
from shared.stack.endpoints import StackEndpoints
from shared.stack.kafka import KafkaBroker, start_kafka
from shared.stack.ports import LOOPBACK
from shared.stack.postgres import PostgresServer, create_database, drop_database, start_postgres
from shared.stack.smtp import SmtpServer, start_smtp
from shared.topics import ALL_TOPICS, TopicSpec

__all__ = ["LocalStack", "StackEndpoints", "StandinHandle"]

log = logging.getLogger(__name__)

_STANDIN_MODULE = "shared.stack.spapi_standin"


class StandinHandle(Protocol):
    """What ``shared.stack.spapi_standin.start_standin`` returns."""

    @property
    def base_url(self) -> str: ...
    @property
    def lwa_url(self) -> str: ...
    async def stop(self) -> None: ...


StandinStarter = Callable[..., Awaitable[StandinHandle]]


class _Stoppable(Protocol):
    async def stop(self) -> None: ...


async def _nothing() -> None:
    return None


def standin_starter() -> StandinStarter | None:
    """``start_standin`` if the SP-API stand-in package is present, else None."""
    try:
        module = importlib.import_module(_STANDIN_MODULE)
    except ModuleNotFoundError as exc:
        # Only a missing stand-in package means "run without it"; a broken one must fail loudly.
        if exc.name != _STANDIN_MODULE:
            raise
        return None
    return cast(StandinStarter | None, getattr(module, "start_standin", None))


class LocalStack:
    """Starts every component on enter and stops all of them on exit, also when something fails."""

    def __init__(
        self,
        *,
        topics: Iterable[TopicSpec] = ALL_TOPICS,
        database_name: str | None = "complaints",
        drop_database_on_exit: bool = False,
        pg_data_dir: Path | None = None,
        force_embedded_postgres: bool = False,
        region: str = DEFAULT_REGION,
        aws_prefix: str | None = None,
        ses_sender: str = DEFAULT_SENDER,
        ses_raw_delivery: bool = False,
        smtp_eml_dir: Path | None = None,
        spapi: bool = True,
        environ: Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ):
        self._topics = tuple(topics)
        self._database_name = database_name
        self._drop_database_on_exit = drop_database_on_exit
        self._pg_data_dir = pg_data_dir
        self._force_embedded = force_embedded_postgres
        self._region = region
        # moto keeps state per process, so each stack gets its own names to stay apart from a sibling stack.
        self._aws_prefix = aws_prefix or f"complaints-{secrets.token_hex(3)}"
        self._ses_sender = ses_sender
        self._ses_raw_delivery = ses_raw_delivery
        self._smtp_eml_dir = smtp_eml_dir
        self._spapi = spapi
        self._environ = environ
        self._timeout = timeout
        self._exit_stack: AsyncExitStack | None = None
        self._endpoints: StackEndpoints | None = None
        self.kafka: KafkaBroker | None = None
        self.postgres: PostgresServer | None = None
        self.moto: MotoServer | None = None
        self.smtp: SmtpServer | None = None
        self.standin: StandinHandle | None = None

    @property
    def endpoints(self) -> StackEndpoints:
        """Endpoints of the running stack."""
        if self._endpoints is None:
            raise RuntimeError("the local stack is not running")
        return self._endpoints

    def env(self) -> dict[str, str]:
        """The environment variables the services read."""
        return self.endpoints.env()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start everything; on any failure stop what did start and re-raise."""
        if self._exit_stack is not None:
            raise RuntimeError("the local stack is already running")
        self._exit_stack = AsyncExitStack()
        try:
            await self._start_all(self._exit_stack)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop everything this stack started (idempotent)."""
        stack, self._exit_stack = self._exit_stack, None
        self._endpoints = None
        self.kafka = self.postgres = self.moto = self.smtp = self.standin = None
        if stack is not None:
            await stack.aclose()

    async def _start_all(self, stack: AsyncExitStack) -> None:
        starter = standin_starter() if self._spapi else None
        # gather without cancelling siblings: a start cancelled halfway could leave a thread-started server
        # behind with no handle; instead every finished start is registered for stopping, then errors raise.
        kafka, postgres, moto, smtp, standin = await asyncio.gather(
            start_kafka(topics=self._topics, environ=self._environ, startup_timeout=self._timeout),
            start_postgres(
                environ=self._environ,
                data_dir=self._pg_data_dir,
                force_embedded=self._force_embedded,
                startup_timeout=self._timeout,
            ),
            start_moto(),
            start_smtp(eml_dir=self._smtp_eml_dir),
            starter(host=LOOPBACK, port=0) if starter is not None else _nothing(),
            return_exceptions=True,
        )
        results: tuple[_Stoppable | BaseException | None, ...] = (kafka, postgres, moto, smtp, standin)
        for result in results:
            if result is not None and not isinstance(result, BaseException):
                stack.push_async_callback(result.stop)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        assert not isinstance(kafka, BaseException)
        assert not isinstance(postgres, BaseException)
        assert not isinstance(moto, BaseException)
        assert not isinstance(smtp, BaseException)
        assert not isinstance(standin, BaseException)
        self.kafka, self.postgres, self.moto, self.smtp, self.standin = kafka, postgres, moto, smtp, standin

        admin_url = postgres.admin_url
        database_url = admin_url
        if self._database_name is not None:
            database_url = await create_database(admin_url, self._database_name, exist_ok=True)
            if self._drop_database_on_exit:
                stack.push_async_callback(drop_database, admin_url, self._database_name)
        resources = await create_resources(
            moto.endpoint_url,
            self._region,
            prefix=self._aws_prefix,
            sender=self._ses_sender,
            raw_delivery=self._ses_raw_delivery,
        )
        self._endpoints = StackEndpoints(
            kafka_bootstrap=kafka.bootstrap_servers,
            database_admin_url=admin_url,
            database_url=database_url,
            aws_endpoint_url=moto.endpoint_url,
            aws_region=self._region,
            aws=resources,
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            spapi_endpoint=standin.base_url if standin is not None else None,
            lwa_endpoint=standin.lwa_url if standin is not None else None,
        )
        log.info("local stack ready kafka=%s aws=%s", kafka.bootstrap_servers, moto.endpoint_url)
