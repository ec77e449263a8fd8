"""Health, readiness and Prometheus metrics, served by every process.

``/healthz`` says the process is alive (the event loop answers); ``/readyz`` runs the registered readiness
checks (broker reachable, database reachable, consumer assigned) and answers 503 with the failing names.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.http_limits import DEFAULT_MAX_BODY_BYTES, BodyLimit
from shared.http_security import SecurityHeaders

__all__ = ["HealthState", "QuietServer", "health_app", "health_router", "serve_health"]

Check = Callable[[], Awaitable[bool]]


class HealthState:
    """Named readiness checks plus a draining flag set on shutdown."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}
        self.draining = False

    def add_check(self, name: str, check: Check) -> None:
        """Register an async check that returns True when ready."""
        self._checks[name] = check

    async def failing(self) -> list[str]:
        """Names of checks that fail (or time out) now."""
        if self.draining:
            return ["draining"]
        bad: list[str] = []
        for name, check in self._checks.items():
            try:
                ok = await asyncio.wait_for(check(), timeout=2.0)
            except Exception:  # noqa: BLE001  # a check that raises is simply not ready
                ok = False
            if not ok:
                bad.append(name)
        return bad


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the service that embeds it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def health_router(state: HealthState) -> APIRouter:
    """Routes for /healthz, /readyz and /metrics."""
    router = APIRouter()

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", include_in_schema=False)
    async def readyz(response: Response) -> dict[str, object]:
        bad = await state.failing()
        if bad:
            response.status_code = 503
            return {"status": "not_ready", "failing": bad}
        return {"status": "ready"}

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def health_app(state: HealthState, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    """A tiny app with only the health routes (for worker processes); request bodies capped."""
    # No API docs here: FastAPI's default pages load Swagger UI from a public CDN (the API process serves its own).
    app = FastAPI(title="complaints service", docs_url=None, redoc_url=None)
    app.include_router(health_router(state))
    app.add_middleware(BodyLimit, default=max_body_bytes)
    app.add_middleware(SecurityHeaders)  # added last, so outermost: a 413 carries the headers too
    return app


async def serve_health(app: FastAPI, *, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve an app until ``stop`` is set."""
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off")
    server = QuietServer(config)
    task = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await task
