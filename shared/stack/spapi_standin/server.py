"""The stand-in ASGI app and an in-process uvicorn server for it on a loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response

from shared.stack.spapi_standin.admin import ADMIN_PREFIX, admin_router
from shared.stack.spapi_standin.connections import Connections, protocol_class
from shared.stack.spapi_standin.gateway import JSON, Gateway, error_response
from shared.stack.spapi_standin.lwa import LWA_PATH, add_lwa_route
from shared.stack.spapi_standin.messaging import add_messaging_routes
from shared.stack.spapi_standin.reports import add_report_routes
from shared.stack.spapi_standin.state import StandinState

__all__ = ["StandinHandle", "create_app", "start_standin"]

log = logging.getLogger(__name__)


def create_app(state: StandinState, connections: Connections | None = None) -> FastAPI:
    """The stand-in: LWA, Messaging, Solicitations, Reports and the admin API over ``state``."""
    app = FastAPI(title="SP-API stand-in", openapi_url=None, docs_url=None, redoc_url=None)
    gateway = Gateway(state, connections or Connections())
    add_lwa_route(app, gateway)
    add_messaging_routes(app, gateway)
    add_report_routes(app, gateway)
    app.include_router(admin_router(state))

    async def not_found(request: Request) -> Response:
        return error_response(404, "NotFound", "The resource specified does not exist.", media_type=JSON)

    app.add_api_route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    return app


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # In-process: leave the host's (pytest's, the CLI's) signal handling alone.
        yield


class StandinHandle:
    """A running stand-in: where it listens, its state, and how to stop it."""

    def __init__(
        self, server: uvicorn.Server, task: asyncio.Task[None], state: StandinState, base_url: str
    ) -> None:
        self._server = server
        self._task = task
        self.state = state
        self.base_url = base_url
        self.lwa_url = base_url + LWA_PATH
        self.admin_url = base_url + ADMIN_PREFIX

    async def stop(self) -> None:
        """Stop serving and wait for the server task to end."""
        self._server.should_exit = True
        await self._task


async def start_standin(
    host: str = "127.0.0.1", port: int = 0, *, state: StandinState | None = None
) -> StandinHandle:
    """Serve a stand-in on ``host:port`` (0: a free port) in this event loop; return once it answers."""
    state = state or StandinState()
    connections = Connections()
    config = uvicorn.Config(
        create_app(state, connections),
        host=host,
        port=port,
        http=protocol_class(connections),
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # surfaces the bind error
            raise RuntimeError("the SP-API stand-in exited during start-up")
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()
    handle = StandinHandle(server, task, state, f"http://{bound[0]}:{bound[1]}")
    async with httpx.AsyncClient(trust_env=False) as probe:
        (await probe.get(handle.admin_url + "/health")).raise_for_status()
    log.info("spapi_standin.started", extra={"base_url": handle.base_url})
    return handle
