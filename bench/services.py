"""The services under test as real processes, any number of each, with their RSS and CPU time.

``start`` returns once every process answers /readyz and its consumer has partitions (the
``consumer_assigned_partitions`` gauge). Readiness alone does not say a consumer has joined: on the local broker
a join takes five seconds or more and each process that joins later rebalances its group (nobody consumes
during one), so bursts used to begin with rebalances still to come, and four processes importing at once on a
busy machine overran the former 60 s readiness wait (a bare ``TimeoutError``). A layout whose consumer never
gets partitions now fails naming it: the local broker (Tansu) can leave a group whose members all left at once
without a leader, and a new lone member then rejoins every eight seconds without an assignment (issue 14).
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.procstat import cpu_seconds, rss_mb
from complaints.devrun.processes import ServiceProcess
from shared.stack.ports import free_port

__all__ = ["Services", "wait_assigned"]

_ASSIGNED = re.compile(r"^consumer_assigned_partitions\{[^}]*\} [1-9]", re.MULTILINE)
READY_WITHIN_S = 180.0
"""Per start: processes importing in parallel on two busy cores take far longer than one alone."""


@dataclass
class Services:
    """``classifier`` and ``responder`` processes of one bench stack (same consumer groups, same topics)."""

    env: dict[str, str]
    log_dir: Path
    running: list[ServiceProcess] = field(default_factory=list)

    async def start(self, *, classifiers: int = 1, responders: int = 1) -> None:
        """Start the processes; wait until each is ready and its consumer group stable with all of them."""
        started = []
        for name, count in (("classifier", classifiers), ("responder", responders)):
            for i in range(count):
                svc = ServiceProcess(name=name, port=free_port(), log_path=self.log_dir / f"{name}{i}.log")
                svc.start(self.env)
                started.append(svc)
        self.running += started
        await asyncio.gather(*(s.wait_ready(within=READY_WITHIN_S) for s in started))
        await wait_assigned(started, within=READY_WITHIN_S)

    async def stop(self) -> None:
        """SIGTERM all, in parallel."""
        await asyncio.gather(*(s.terminate() for s in self.running))
        self.running.clear()

    def labels(self) -> list[str]:
        """``classifier``, ``responder``, or ``classifier#2`` when there are several."""
        seen: dict[str, int] = {}
        out = []
        for s in self.running:
            seen[s.name] = seen.get(s.name, 0) + 1
            out.append(s.name if seen[s.name] == 1 else f"{s.name}#{seen[s.name]}")
        return out

    def pids(self) -> list[int]:
        """Process ids, in ``labels()`` order."""
        return [s.process.pid for s in self.running if s.process is not None]

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far per service name (several processes of a service summed)."""
        out: dict[str, float] = {}
        for s in self.running:
            if s.process is not None:
                out[s.name] = out.get(s.name, 0.0) + cpu_seconds(s.process.pid)
        return out

    def rss(self) -> dict[str, float]:
        """RSS in MiB per process label."""
        return {label: rss_mb(pid) for label, pid in zip(self.labels(), self.pids(), strict=True)}


async def wait_assigned(processes: list[ServiceProcess], *, within: float) -> None:
    """Wait until every process's consumer has partitions (its /metrics gauge): the last one to join got its
    share in the group's final rebalance, so the groups are settled (RuntimeError naming the others)."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=5.0) as client:
        while True:
            waiting = []
            for p in processes:
                try:
                    text = (await client.get(f"{p.base_url}/metrics")).text
                except httpx.HTTPError:
                    text = ""
                if not _ASSIGNED.search(text):
                    waiting.append(f"{p.name}:{p.port}")
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"consumers without partitions after {within:.0f} s: {', '.join(waiting)}")
            await asyncio.sleep(0.2)
