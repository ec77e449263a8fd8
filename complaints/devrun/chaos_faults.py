"""Faults of the campaign: a seeded schedule and one injector per kind, each against the real part."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from complaints.devrun.chaos_procs import Supervisor
from shared.stack.kafka import KafkaBroker
from shared.stack.postgres import PostgresServer, terminate_backends
from shared.stack.smtp import SmtpServer

__all__ = ["FAULT_KINDS", "Fault", "Injected", "Injectors", "schedule"]

log = logging.getLogger(__name__)

FAULT_KINDS: tuple[str, ...] = (
    "kill_ingest",
    "kill_classifier",
    "kill_responder",
    "kill_api",
    "broker_restart",
    "pg_restart",
    "pg_terminate_backends",
    "smtp_hang",
    "smtp_drop",
    "spapi_429",
    "spapi_5xx",
    "spapi_timeout",
    "rebalance_classifier",
    "rebalance_responder",
)

_BROKER_DOWN_S = 2.0
_REPLICA_LIFETIME_S = 15.0
_SPAPI_TIMEOUT_S = 10.0  # SpApiSettings.timeout_s; a delay beyond it is a timeout after the request was sent
_SMTP_TIMEOUT_S = 15.0  # the responder's SMTP client timeout


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault to inject ``at`` seconds after the load started."""

    kind: str
    at: float


@dataclass(frozen=True, slots=True)
class Injected:
    """A fault as it happened (epoch times): injection started, and the injector returned."""

    kind: str
    started: float
    finished: float
    detail: str


def schedule(
    rng: random.Random, *, duration: float, repeats: int, kinds: Sequence[str] = FAULT_KINDS
) -> list[Fault]:
    """Each kind ``repeats`` times at random moments of the load (not in its first and last tenth)."""
    start, end = duration * 0.1, duration * 0.85
    faults = [Fault(kind, rng.uniform(start, end)) for kind in kinds for _ in range(repeats)]
    return sorted(faults, key=lambda f: f.at)


class Injectors:
    """Applies a fault kind to the running campaign."""

    def __init__(
        self,
        *,
        supervisor: Supervisor,
        broker: KafkaBroker,
        postgres: PostgresServer,
        database: str,
        smtp: SmtpServer,
        standin_state: Any | None,
    ) -> None:
        self._supervisor = supervisor
        self._broker = broker
        self._postgres = postgres
        self._database = database
        self._smtp = smtp
        self._standin = standin_state
        self._replicas = 0
        self._background: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()  # one broker or database restart at a time
        self.table: dict[str, Callable[[], Awaitable[str]]] = {
            "kill_ingest": lambda: self._kill("ingest"),
            "kill_classifier": lambda: self._kill("classifier"),
            "kill_responder": lambda: self._kill("responder"),
            "kill_api": lambda: self._kill("api"),
            "broker_restart": self._broker_restart,
            "pg_restart": self._pg_restart,
            "pg_terminate_backends": self._pg_terminate,
            "smtp_hang": self._smtp_hang,
            "smtp_drop": self._smtp_drop,
            "spapi_429": lambda: self._spapi("status", status=429, count=3),
            "spapi_5xx": lambda: self._spapi("status", status=503, count=3),
            "spapi_timeout": lambda: self._spapi("delay", delay_s=_SPAPI_TIMEOUT_S + 2, count=1),
            "rebalance_classifier": lambda: self._replica("classifier"),
            "rebalance_responder": lambda: self._replica("responder"),
        }

    async def inject(self, kind: str) -> Injected:
        """Apply one fault; returns when the part is back (restarts) or the fault is armed."""
        started = time.time()
        try:
            detail = await self.table[kind]()
        except Exception as exc:  # noqa: BLE001  # a failed injection is reported, the campaign goes on
            detail = f"injection failed: {type(exc).__name__}: {exc}"
            log.warning("chaos.injection_failed kind=%s error=%s", kind, exc)
        return Injected(kind, started, time.time(), detail)

    async def settle(self) -> None:
        """Wait for background parts of faults (extra replicas leaving)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def _kill(self, name: str) -> str:
        if not self._supervisor.kill(name):
            return "not running (the supervisor is backing off a crash); nothing killed"
        return "SIGKILL; the supervisor restarts it"

    async def _broker_restart(self) -> str:
        async with self._lock:
            self._broker.kill()
            await asyncio.sleep(_BROKER_DOWN_S)
            await self._broker.restart()
        return f"SIGKILL, down {_BROKER_DOWN_S:.0f}s, restarted on the same port and S3 data"

    async def _pg_restart(self) -> str:
        async with self._lock:
            await self._postgres.restart(mode="immediate")
        return "immediate shutdown (crash recovery) and start on the same port"

    async def _pg_terminate(self) -> str:
        ended = await terminate_backends(self._postgres.admin_url, self._database)
        return f"{ended} sessions terminated"

    async def _smtp_hang(self) -> str:
        self._smtp.inject("hang", hang_s=_SMTP_TIMEOUT_S + 5)
        return "the next message's DATA hangs past the client timeout (then delivered)"

    async def _smtp_drop(self) -> str:
        self._smtp.inject("drop")
        return "the next message's connection drops during DATA (delivered)"

    async def _spapi(self, kind: str, **params: Any) -> str:
        if self._standin is None:
            return "skipped: no SP-API stand-in"
        self._standin.inject(kind, **params)
        return f"{kind} {params} on the next SP-API requests"

    async def _replica(self, name: str) -> str:
        self._replicas += 1
        instance = f"{name}-extra-{self._replicas}"
        try:
            await self._supervisor.start(name, instance)
        except (RuntimeError, TimeoutError) as exc:
            await self._supervisor.retire(instance)
            return f"{instance} never got partitions ({type(exc).__name__}); retired"

        async def leave_later() -> None:
            await asyncio.sleep(_REPLICA_LIFETIME_S)
            await self._supervisor.retire(instance)

        task = asyncio.create_task(leave_later())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return f"{instance} joined the group (leaves after {_REPLICA_LIFETIME_S:.0f}s: a second rebalance)"
