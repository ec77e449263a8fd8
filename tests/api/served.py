"""The API as a real OS process (``python -m services.responder.api``) on a free loopback port."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.stack.ports import LOOPBACK, free_port
from tests.api.helpers import PEPPER, PII_KEY

__all__ = ["ServedApi", "served_api"]

_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class ServedApi:
    """The process and where it listens."""

    base_url: str
    process: subprocess.Popen[bytes]


@asynccontextmanager
async def served_api(
    database_url: str, log: Path, extra: Mapping[str, str] | None = None
) -> AsyncIterator[ServedApi]:
    """Start the API, wait for /healthz, stop it (SIGTERM, then kill) at the end."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "RESPONDER_API_PORT": str(port),
        "RESPONDER_API_HOST": LOOPBACK,
        "RESPONDER_API_KEY_PEPPER": PEPPER,
        "RESPONDER_PII_ENCRYPTION_KEY": PII_KEY,
        "RESPONDER_API_SLA_ALERTS_ENABLED": "false",
        "RESPONDER_API_RATE_LIMIT_PER_S": "100000",
        "RESPONDER_API_RATE_LIMIT_BURST": "100000",
        "LOG_LEVEL": "WARNING",
        **(extra or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: ASYNC220  # started once; the test then talks to it over HTTP
            [sys.executable, "-m", "services.responder.api"],
            cwd=_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://{LOOPBACK}:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=2) as client, asyncio.timeout(30):
            while True:
                if process.poll() is not None:
                    output = await asyncio.to_thread(log.read_text)
                    raise RuntimeError(f"api exited early: {output[-2000:]}")
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        yield ServedApi(base, process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 15)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)
