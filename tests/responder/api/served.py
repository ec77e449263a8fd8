"""The API as a real OS process (``python -m services.responder.api``) on a free loopback port."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from complaints.devrun.processes import ServiceProcess
from shared.stack.ports import LOOPBACK, free_port
from tests.responder.api.helpers import PEPPER, PII_KEY

__all__ = ["ServedApi", "served_api"]


@dataclass(frozen=True, slots=True)
class ServedApi:
    """The process and where it listens."""

    base_url: str
    process: subprocess.Popen[bytes]


@asynccontextmanager
async def served_api(
    database_url: str, log: Path, extra: Mapping[str, str] | None = None
) -> AsyncIterator[ServedApi]:
    """Start the API, wait until it is ready, stop it (SIGTERM, then kill) at the end."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "RESPONDER_API_HOST": LOOPBACK,
        "RESPONDER_API_KEY_PEPPER": PEPPER,
        "RESPONDER_PII_ENCRYPTION_KEY": PII_KEY,
        "RESPONDER_API_SLA_ALERTS_ENABLED": "false",
        "RESPONDER_API_SPIKE_ALERTS_ENABLED": "false",
        "RESPONDER_API_RATE_LIMIT_PER_S": "100000",
        "RESPONDER_API_RATE_LIMIT_BURST": "100000",
        "LOG_LEVEL": "WARNING",
        **(extra or {}),
    }
    api = ServiceProcess(name="api", port=free_port(), log_path=log)
    api.start(env)
    try:
        await api.wait_ready(within=30)
        assert api.process is not None
        yield ServedApi(api.base_url, api.process)
    finally:
        await api.terminate(grace=15)
