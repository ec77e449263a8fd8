"""API keys and principals (pure): key format, peppered HMAC-SHA256 hashing, scopes and seller binding.

Scopes: every route needs one. ``tickets:read`` reads tickets (with buyer PII) and buyers; ``tickets:write``
changes tickets and reads them without PII (a change needs the ETag it read); ``replies:send`` queues
replies; ``stats:read`` reads /v1/stats; ``templates:read`` lists and previews templates; ``admin`` holds all.

A key reads ``cpk_<prefix>_<secret>``; the prefix (``cpk_<8 hex>``) is stored and shown, the whole key only as
HMAC-SHA256 with the server-side pepper, so a leaked table does not yield usable keys.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ADMIN",
    "REPLIES_SEND",
    "RESERVED_NAMES",
    "SCOPES",
    "STATS_READ",
    "TEMPLATES_READ",
    "TICKETS_READ",
    "TICKETS_WRITE",
    "Principal",
    "generate_key",
    "hash_key",
    "key_prefix",
    "keys_match",
]

TICKETS_READ = "tickets:read"
TICKETS_WRITE = "tickets:write"
REPLIES_SEND = "replies:send"
STATS_READ = "stats:read"
TEMPLATES_READ = "templates:read"
ADMIN = "admin"
SCOPES = (TICKETS_READ, TICKETS_WRITE, REPLIES_SEND, STATS_READ, TEMPLATES_READ, ADMIN)
RESERVED_NAMES = frozenset({"auto", "system"})
"""Actors the services write themselves (statistics tell automatic from human replies by them)."""

_KEY = re.compile(r"^(cpk_[0-9a-f]{8})_[A-Za-z0-9_-]{32,64}$")


def generate_key() -> tuple[str, str]:
    """A new random key and its visible prefix."""
    prefix = f"cpk_{secrets.token_hex(4)}"
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def key_prefix(key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    match = _KEY.match(key)
    return match.group(1) if match else None


def hash_key(key: str, *, pepper: str) -> str:
    """HMAC-SHA256 of the whole key under the pepper, hex."""
    return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).hexdigest()


def keys_match(key: str, stored_hash: str, *, pepper: str) -> bool:
    """Constant-time comparison of a presented key with a stored hash."""
    return hmac.compare_digest(hash_key(key, pepper=pepper), stored_hash)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's name (the actor on the timeline), scopes and sellers."""

    key_id: uuid.UUID
    name: str
    prefix: str
    scopes: frozenset[str]
    sellers: tuple[str, ...]
    rate_limit_per_s: float | None = None

    @classmethod
    def of(
        cls,
        *,
        key_id: uuid.UUID,
        name: str,
        prefix: str,
        scopes: Iterable[str],
        sellers: Iterable[str],
        rate_limit_per_s: float | None = None,
    ) -> Principal:
        """Build from stored values (unknown scopes are dropped)."""
        return cls(
            key_id=key_id,
            name=name,
            prefix=prefix,
            scopes=frozenset(s for s in scopes if s in SCOPES),
            sellers=tuple(sorted(set(sellers))),
            rate_limit_per_s=rate_limit_per_s,
        )

    def has(self, scope: str) -> bool:
        """True when the key holds the scope (admin holds every scope)."""
        return ADMIN in self.scopes or scope in self.scopes

    def has_any(self, scopes: Iterable[str]) -> bool:
        """True when the key holds one of the scopes."""
        return any(self.has(scope) for scope in scopes)

    @property
    def actor(self) -> str:
        """How the key appears on a ticket's timeline and as ``created_by`` of its replies."""
        return self.name
