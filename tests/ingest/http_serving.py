"""The ingest app served by uvicorn on a loopback port, for the HTTP endpoint tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn

from services.ingest.deps import IngestDeps
from services.ingest.http import create_app
from shared.health import HealthState, QuietServer
from shared.stack.ports import LOOPBACK

__all__ = ["serving"]


@asynccontextmanager
async def serving(deps: IngestDeps) -> AsyncIterator[httpx.AsyncClient]:
    """The ingest app on a loopback port, and a client for it."""
    config = uvicorn.Config(
        create_app(deps=deps, health=HealthState()),
        host=LOOPBACK,
        port=0,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    server = QuietServer(config)
    task = asyncio.create_task(server.serve())
    while True:
        if server.started:
            break
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://{LOOPBACK}:{port}", trust_env=False) as client:
            yield client
    finally:
        server.should_exit = True
        await task
