"""The services of a fault campaign under a supervisor that restarts a dead process, as Kubernetes would."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from complaints.devrun.processes import SERVICES, ServiceProcess
from shared.stack.ports import free_port

__all__ = ["Exit", "Supervisor"]

log = logging.getLogger(__name__)

_BACKOFF_START_S = 1.0
_BACKOFF_MAX_S = 10.0
_STABLE_AFTER_S = 10.0  # up this long: the next exit starts the backoff again (CrashLoopBackOff resets)


@dataclass(frozen=True, slots=True)
class Exit:
    """One process exit the supervisor saw; ``injected`` when the campaign killed it on purpose."""

    service: str
    instance: str
    returncode: int | None
    at: float
    injected: bool


@dataclass
class _Slot:
    name: str
    instance: str
    process: ServiceProcess
    started_at: float = 0.0
    backoff: float = _BACKOFF_START_S
    expect_exit: bool = False
    restarts: int = 0
    task: asyncio.Task[None] | None = None


@dataclass
class Supervisor:
    """Keeps each service instance running; records every exit."""

    env: Mapping[str, str]
    log_dir: Path
    exits: list[Exit] = field(default_factory=list)
    ready_again: list[tuple[str, float]] = field(default_factory=list)  # instance, epoch it answered /readyz
    _slots: dict[str, _Slot] = field(default_factory=dict)
    _stopping: bool = False

    async def start(self, name: str, instance: str | None = None) -> str:
        """Start one instance of ``name`` (a second one joins the same consumer group) and wait until ready."""
        if name not in SERVICES:
            raise ValueError(f"unknown service {name!r}")
        instance = instance or name
        process = ServiceProcess(name, free_port(), self.log_dir / f"{instance}.log")
        slot = _Slot(name, instance, process)
        self._slots[instance] = slot
        process.start(self.env)
        slot.started_at = time.monotonic()
        # Supervised from the start: an instance that never gets ready is still restarted or retired.
        slot.task = asyncio.create_task(self._watch(slot), name=f"supervise-{instance}")
        await process.wait_ready(within=120)
        return instance

    def kill(self, instance: str) -> bool:
        """SIGKILL an instance (the supervisor restarts it); False when it was not running (backing off)."""
        slot = self._slots[instance]
        process = slot.process.process
        if process is None or process.poll() is not None:
            return False
        slot.expect_exit = True
        slot.process.kill()
        return True

    async def retire(self, instance: str) -> int | None:
        """SIGTERM an instance and stop supervising it (a scaled-down replica)."""
        slot = self._slots.pop(instance)
        if slot.task is not None:
            slot.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await slot.task
        return await slot.process.terminate()

    def restarts(self) -> dict[str, int]:
        """Restarts per instance so far."""
        return {instance: slot.restarts for instance, slot in self._slots.items()}

    def unexpected_exits(self) -> list[Exit]:
        """Exits the campaign did not cause (crashes)."""
        return [e for e in self.exits if not e.injected]

    async def stop(self) -> None:
        """SIGTERM every instance, in parallel."""
        self._stopping = True
        slots = list(self._slots.values())
        for slot in slots:
            if slot.task is not None:
                slot.task.cancel()
        for slot in slots:
            if slot.task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await slot.task
        await asyncio.gather(*(slot.process.terminate() for slot in slots))

    async def _watch(self, slot: _Slot) -> None:
        while not self._stopping:
            process = slot.process.process
            if process is None or process.poll() is None:
                await asyncio.sleep(0.2)
                continue
            up_for = time.monotonic() - slot.started_at
            self.exits.append(
                Exit(slot.name, slot.instance, process.returncode, time.time(), slot.expect_exit)
            )
            if not slot.expect_exit:
                log.warning("chaos.service_exited service=%s code=%s", slot.instance, process.returncode)
            slot.expect_exit = False
            slot.backoff = _BACKOFF_START_S if up_for > _STABLE_AFTER_S else slot.backoff
            await asyncio.sleep(slot.backoff)
            slot.backoff = min(_BACKOFF_MAX_S, slot.backoff * 2)
            slot.process.start(self.env)
            slot.started_at = time.monotonic()
            slot.restarts += 1
            try:
                await slot.process.wait_ready(within=120)
            except (RuntimeError, TimeoutError):
                continue  # exited again or never ready: the next round sees it
            self.ready_again.append((slot.instance, time.time()))
