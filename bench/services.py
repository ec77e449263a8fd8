"""The services under test as real processes, any number of each, with their RSS and CPU time."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from bench.procstat import cpu_seconds, rss_mb
from complaints.devrun.processes import ServiceProcess
from shared.stack.ports import free_port

__all__ = ["Services"]


@dataclass
class Services:
    """``classifier`` and ``responder`` processes of one bench stack (same consumer groups, same topics)."""

    env: dict[str, str]
    log_dir: Path
    running: list[ServiceProcess] = field(default_factory=list)

    async def start(self, *, classifiers: int = 1, responders: int = 1) -> None:
        """Start the processes and wait until each is ready (consumer assigned)."""
        started = []
        for name, count in (("classifier", classifiers), ("responder", responders)):
            for i in range(count):
                svc = ServiceProcess(name=name, port=free_port(), log_path=self.log_dir / f"{name}{i}.log")
                svc.start(self.env)
                started.append(svc)
        self.running += started
        await asyncio.gather(*(s.wait_ready() for s in started))

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
