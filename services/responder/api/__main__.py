"""`complaints api`: serve the internal HTTP API with uvicorn on RESPONDER_API_PORT.

On SIGTERM/SIGINT readiness turns 503 first (the load balancer drains), then uvicorn stops accepting,
finishes the requests in flight and the lifespan stops the background jobs and closes the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal

import uvicorn

from services.responder.api.app import create_app, served_app
from services.responder.api.config import ApiSettings
from services.responder.settings import ResponderApiServiceSettings
from shared.health import HealthState, QuietServer
from shared.logging import configure_logging
from shared.runtime import run_main
from shared.tracing import configure_tracing, instrument_app

__all__ = ["create_app", "main", "serve"]

log = logging.getLogger(__name__)


async def serve(settings: ResponderApiServiceSettings, api: ApiSettings, *, port: int | None = None) -> None:
    """Serve until SIGTERM or SIGINT, then drain."""
    health = HealthState()
    app = create_app(settings, api=api, health=health)
    instrument_app(app)
    config = uvicorn.Config(
        served_app(app, api),
        host=api.host,
        port=settings.responder.api_port if port is None else port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=int(api.graceful_shutdown_s),
    )
    server = QuietServer(config)
    loop = asyncio.get_running_loop()
    draining: list[asyncio.Task[None]] = []

    async def drain() -> None:
        await asyncio.sleep(api.drain_s)
        server.should_exit = True

    def on_signal(sig: signal.Signals) -> None:
        log.info("api.signal", extra={"signal": sig.name})
        if health.draining:
            server.force_exit = True  # a second signal: stop now
            return
        health.draining = True
        draining.append(asyncio.create_task(drain()))

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, sig)
    # Everything imported so far lives as long as the process: freezing it keeps the collector from
    # re-scanning that heap on every full collection, which showed as latency spikes under load.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)  # a list page allocates thousands of objects: collect less often
    await server.serve()


def main() -> None:
    """Entry point of `complaints api`."""
    settings = ResponderApiServiceSettings()
    configure_logging(settings.log_level, journey=settings.log_journey)
    configure_tracing("api", settings.tracing)
    run_main(serve(settings, ApiSettings()))


if __name__ == "__main__":
    main()
