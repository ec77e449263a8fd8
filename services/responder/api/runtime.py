"""What a request needs from the process: database and read pool, cipher, key store, limiter, clock, settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from services.responder.api.config import ApiSettings
from services.responder.api.keystore import KeyStore
from services.responder.api.ratelimit import TokenBuckets
from services.responder.settings import ResponderApiServiceSettings
from shared.crypto import PiiCipher
from shared.db.readpool import ReadPool
from shared.db.session import Database
from shared.health import HealthState

__all__ = ["ApiRuntime"]


@dataclass(slots=True)
class ApiRuntime:
    """Created in the app's lifespan; routes reach it through ``deps``."""

    settings: ResponderApiServiceSettings
    api: ApiSettings
    db: Database
    cipher: PiiCipher
    keys: KeyStore
    limiter: TokenBuckets
    clock: Callable[[], datetime]
    reads: ReadPool
    read_engine: AsyncEngine = field(init=False)
    health: HealthState = field(default_factory=HealthState)

    def __post_init__(self) -> None:
        # The pool's engine in autocommit mode: the same connections, without BEGIN/COMMIT.
        self.read_engine = self.db.engine.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def sla_window(self) -> timedelta:
        """How far ahead 'due soon' reaches."""
        return timedelta(hours=self.api.sla_window_hours)
