"""``create_app(settings)``: the FastAPI app, its routes under /v1, health routes and the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp

from services.responder.api.config import ApiSettings
from services.responder.api.console.routes import install as install_console
from services.responder.api.errors import install_error_handlers
from services.responder.api.fastlane import TicketReadsLane
from services.responder.api.keystore import KeyStore
from services.responder.api.metrics import RequestMetrics
from services.responder.api.ratelimit import TokenBuckets
from services.responder.api.routes import buyers, evidence, replies, stats, templates, tickets
from services.responder.api.runtime import ApiRuntime
from services.responder.settings import ResponderApiServiceSettings
from services.responder.workers.runner import background_tasks
from shared.auth_throttle import AuthFailures
from shared.crypto import PiiCipher
from shared.db.readpool import ReadPool
from shared.db.session import Database
from shared.health import HealthState, health_router
from shared.http_limits import BodyLimit
from shared.http_security import SecurityHeaders

__all__ = ["create_app", "served_app"]

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def served_app(app: FastAPI, api: ApiSettings) -> ASGIApp:
    """What `complaints api` serves: the security headers on every answer, the body cap (before any key is
    looked at), then the fast lane, then the FastAPI app."""
    return SecurityHeaders(BodyLimit(TicketReadsLane(app), default=api.max_body_bytes))


def create_app(
    settings: ResponderApiServiceSettings,
    *,
    api: ApiSettings | None = None,
    clock: Callable[[], datetime] = _utcnow,
    health: HealthState | None = None,
) -> FastAPI:
    """The API app; the database and background tasks live in its lifespan (nothing connects at import)."""
    api_settings = api or ApiSettings()
    state = health or HealthState()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database)
        reads = ReadPool(settings.database, application_name="complaints-api")
        await reads.open()
        runtime = ApiRuntime(
            settings=settings,
            api=api_settings,
            db=db,
            cipher=PiiCipher.from_secrets(
                settings.responder.pii_encryption_key, settings.responder.pii_encryption_keys_old
            ),
            keys=KeyStore(
                db=db,
                pepper=settings.responder.api_key_pepper.get_secret_value(),
                ttl=api_settings.key_cache_s,
                failures=AuthFailures(
                    per_client=api_settings.auth_failure_burst,
                    global_burst=api_settings.auth_failure_global_burst,
                ),
            ),
            limiter=TokenBuckets(rate=api_settings.rate_limit_per_s, burst=api_settings.rate_limit_burst),
            clock=clock,
            reads=reads,
            health=state,
        )
        state.add_check("database", db.ping)
        app.state.runtime = runtime
        stop = asyncio.Event()
        tasks = background_tasks(runtime, stop)
        log.info("api.started", extra={"background_tasks": len(tasks)})
        try:
            yield
        finally:
            state.draining = True
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            app.state.runtime = None
            await reads.close()
            await db.dispose()
            log.info("api.stopped")

    # Swagger UI and ReDoc assets are served by this process: internal networks often block public CDNs.
    app = FastAPIOffline(
        title="Complaints API",
        version="1.0.0",
        summary="Tickets, replies and statistics of the complaint-routing system (internal).",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(RequestMetrics)
    for module in (tickets, evidence, replies, stats, buyers, templates):
        app.include_router(module.router)  # each router carries the /v1 prefix in its route paths
    install_console(app)  # /console: server-rendered pages on the same services
    app.include_router(health_router(state))
    return app
