"""A real HTTP receiver on loopback for webhook tests: records requests, answers a scripted status list."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.health import QuietServer
from shared.stack.ports import LOOPBACK, free_port

__all__ = ["Received", "Receiver", "webhook_receiver"]


@dataclass(frozen=True, slots=True)
class Received:
    """One request as the receiver saw it."""

    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers ``statuses`` in order (then 200) and keeps every request."""

    url: str
    statuses: list[int]
    requests: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for(self, n: int, within: float = 10.0) -> None:
        """Until ``n`` requests arrived."""
        async with asyncio.timeout(within):
            while len(self.requests) < n:
                self.arrived.clear()
                await self.arrived.wait()


@asynccontextmanager
async def webhook_receiver(statuses: list[int]) -> AsyncIterator[Receiver]:
    """Serve on a free loopback port until the block ends."""
    port = free_port()
    receiver = Receiver(url=f"http://{LOOPBACK}:{port}/hook", statuses=list(statuses))

    async def hook(request: Request) -> Response:
        receiver.requests.append(Received(dict(request.headers), await request.body()))
        receiver.arrived.set()
        status = receiver.statuses.pop(0) if receiver.statuses else 200
        return Response(status_code=status)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    server = QuietServer(uvicorn.Config(app, host=LOOPBACK, port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  # uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
