"""Run the services as real OS processes against a local stack (``make run``, e2e tests, bench)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.stack.ports import free_port
from shared.stack.spapi_standin.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

__all__ = ["LOCAL_REFRESH_TOKEN", "SERVICES", "ServiceProcess", "SystemProcesses", "service_env"]

LOCAL_REFRESH_TOKEN = "Atzr|local-refresh-token"

_ROOT = Path(__file__).resolve().parents[2]

# service name -> (module, env var of its HTTP port)
SERVICES: dict[str, tuple[str, str]] = {
    "ingest": ("services.ingest", "INGEST_HTTP_PORT"),
    "classifier": ("services.classifier", "CLASSIFIER_HTTP_PORT"),
    "responder": ("services.responder", "RESPONDER_WORKER_PORT"),
    "api": ("services.responder.api", "RESPONDER_API_PORT"),
}


def service_env(
    stack_env: Mapping[str, str], *, seller_id: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment for the services of a local run: the stack's endpoints plus local secrets."""
    env = dict(os.environ)
    env.update(stack_env)
    env.update(
        {
            "ENVIRONMENT": "local",
            "LOG_JOURNEY": "true",  # one line per complaint and step: what `complaints trace` follows
            "PYTHONUNBUFFERED": "1",
            "INGEST_DEFAULT_SELLER_ID": seller_id,
            "INGEST_SQS_WAIT_SECONDS": "1",
            # Tansu waits out a departed member's session before rebalancing; real Kafka needs >= 6 s.
            "KAFKA_SESSION_TIMEOUT_MS": "2000",
            "KAFKA_HEARTBEAT_INTERVAL_MS": "300",
            "CLASSIFIER_BUYER_HASH_SALT": "local-demo-salt",
            "RESPONDER_PII_ENCRYPTION_KEY": "local-demo-pii-key",
            "RESPONDER_API_KEY_PEPPER": "local-demo-pepper",
            "SPAPI_LWA_CLIENT_ID": DEFAULT_CLIENT_ID,
            "SPAPI_LWA_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            "SPAPI_REFRESH_TOKENS": json.dumps({seller_id: LOCAL_REFRESH_TOKEN}),
            "MAIL_SENDER_ADDRESSES": json.dumps({seller_id: "support@seller.example"}),
        }
    )
    env.update(extra or {})
    return env


@dataclass
class ServiceProcess:
    """One service as a child process with its health port."""

    name: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """Where its HTTP port answers."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: Mapping[str, str]) -> None:
        """Spawn ``python -m <module>`` with the given environment."""
        module, port_var = SERVICES[self.name]
        child_env = {**env, port_var: str(self.port)}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # spawning is instant; we never wait on it here
            [sys.executable, "-m", module],
            cwd=_ROOT,
            env=child_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    async def wait_ready(self, within: float = 60.0) -> None:
        """Poll /readyz until it answers 200 (fails early if the process died)."""
        async with httpx.AsyncClient(timeout=2.0) as client, asyncio.timeout(within):
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited with {self.process.returncode}; see {self.log_path}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.base_url}/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no chance to clean up (crash tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    async def terminate(self, grace: float = 30.0) -> int | None:
        """SIGTERM, wait for a graceful exit, then SIGKILL."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else None
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(proc.wait, grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return proc.returncode


@dataclass
class SystemProcesses:
    """All services of a local run."""

    env: dict[str, str]
    log_dir: Path
    api_port: int = 0
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    async def start(self, names: tuple[str, ...] = tuple(SERVICES)) -> None:
        """Start the named services and wait until each is ready."""
        for name in names:
            port = self.api_port if (name == "api" and self.api_port) else free_port()
            svc = ServiceProcess(name=name, port=port, log_path=self.log_dir / f"{name}.log")
            svc.start(self.env)
            self.services[name] = svc
        await asyncio.gather(*(self.services[n].wait_ready() for n in names))

    async def stop(self) -> None:
        """SIGTERM everything, in parallel."""
        await asyncio.gather(*(s.terminate() for s in self.services.values()))
