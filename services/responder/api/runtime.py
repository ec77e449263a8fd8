"""What a request needs from the process: database, cipher, key store, limiter, clock and settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.responder.api.config import ApiSettings
from services.responder.api.keystore import KeyStore
from services.responder.api.ratelimit import TokenBuckets
from shared.crypto import PiiCipher
from shared.db.session import Database
from shared.health import HealthState
from shared.settings import Settings

__all__ = ["ApiRuntime"]


@dataclass(slots=True)
class ApiRuntime:
    """Created in the app's lifespan; routes reach it through ``deps``."""

    settings: Settings
    api: ApiSettings
    db: Database
    cipher: PiiCipher
    keys: KeyStore
    limiter: TokenBuckets
    clock: Callable[[], datetime]
    health: HealthState = field(default_factory=HealthState)

    @property
    def sla_window(self) -> timedelta:
        """How far ahead 'due soon' reaches."""
        return timedelta(hours=self.api.sla_window_hours)
