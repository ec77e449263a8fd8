"""Issuing bearer keys, and verifying them against the database with a short in-memory cache."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.api.repositories import keys as keys_repo
from services.responder.api.security import Principal, generate_key, hash_key, key_prefix, keys_match
from services.responder.api.tables import ApiKey
from shared.auth_throttle import AuthFailures
from shared.db.session import Database, unit_of_work

__all__ = ["KeyStore", "issue_key"]


async def issue_key(
    session: AsyncSession,
    *,
    name: str,
    scopes: Sequence[str],
    sellers: Sequence[str],
    pepper: str,
    rate_limit_per_s: float | None = None,
) -> tuple[str, ApiKey]:
    """Store a new key (only its peppered hash) and return the plaintext, shown once, with its row."""
    plaintext, prefix = generate_key()
    row = ApiKey(
        name=name,
        prefix=prefix,
        key_hash=hash_key(plaintext, pepper=pepper),
        scopes=list(scopes),
        sellers=list(sellers),
        rate_limit_per_s=rate_limit_per_s,
    )
    return plaintext, await keys_repo.insert_key(session, row)


class KeyStore:
    """``verify(key, client=...)`` -> the key's principal, or None for unknown, malformed or revoked keys.

    Results are cached for ``ttl`` seconds (a revocation takes at most that long to reach a running
    process) in two bounded LRUs: valid keys, and failed ones. A flood of guessed keys only evicts other
    failed ones, never a valid key. A key not known to be valid must first get past ``failures``: after too
    many failed checks from one address (or from everyone) it raises ``AuthThrottled`` before any lookup.
    A key that was valid before is never throttled: guessing cannot make it, and it may have just expired.
    """

    def __init__(
        self,
        *,
        db: Database,
        pepper: str,
        ttl: float,
        failures: AuthFailures | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self._db = db
        self._pepper = pepper
        self._ttl = ttl
        self._failures = failures or AuthFailures()
        self._clock = clock
        self._max = max_entries
        self._good: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._bad: OrderedDict[str, float] = OrderedDict()
        # One lookup per key at a time: when an entry expires under load, every request in flight with
        # that key would otherwise query the database at once (a stall every ``ttl`` seconds).
        self._loading: dict[str, asyncio.Task[Principal | None]] = {}

    async def verify(self, key: str, *, client: str = "unknown") -> Principal | None:
        """The principal of a valid, active key (raises ``AuthThrottled`` for a throttled client)."""
        now = self._clock()
        # Keyed by the presented key itself, so a hit costs one dict lookup: no HMAC, no database.
        good = self._good.get(key)
        if good is not None and good[1] > now:
            return good[0]
        bad_until = self._bad.get(key)
        if bad_until is not None and bad_until > now:
            return None
        if good is None:
            self._failures.check(client)
        prefix = key_prefix(key)
        if prefix is None:
            principal = None
        else:
            task = self._loading.get(key)
            if task is None:
                task = self._loading[key] = asyncio.create_task(self._load_and_cache(key, prefix))
                task.add_done_callback(_retrieve)
            # Shielded: a caller that goes away does not cancel the lookup the others wait for.
            principal = await asyncio.shield(task)
        if principal is None:
            self._failures.failed(client)
            self._remember_bad(key)
        return principal

    async def _load_and_cache(self, key: str, prefix: str) -> Principal | None:
        try:
            principal = await self._load(key, prefix)
        finally:
            del self._loading[key]
        if principal is None:
            self._good.pop(key, None)
        else:
            # Kept even with ttl 0 (expired at once): it marks the key as known valid for the throttle.
            self._good[key] = (principal, self._clock() + self._ttl)
            self._good.move_to_end(key)
            if len(self._good) > self._max:
                self._good.popitem(last=False)
        return principal

    def _remember_bad(self, key: str) -> None:
        if self._ttl <= 0:
            return
        self._bad[key] = self._clock() + self._ttl
        self._bad.move_to_end(key)
        if len(self._bad) > self._max:
            self._bad.popitem(last=False)

    async def _load(self, key: str, prefix: str) -> Principal | None:
        async with unit_of_work(self._db) as session:
            row = await keys_repo.get_key_by_prefix(session, prefix=prefix)
        if row is None or row.revoked_at is not None:
            return None
        if not keys_match(key, row.key_hash, pepper=self._pepper):
            return None
        return Principal.of(
            key_id=row.id,
            name=row.name,
            prefix=row.prefix,
            scopes=row.scopes,
            sellers=row.sellers,
            rate_limit_per_s=row.rate_limit_per_s,
        )


def _retrieve(task: asyncio.Task[Principal | None]) -> None:
    """Mark a failed lookup's error as seen when every caller has gone (each caller re-raises it)."""
    if not task.cancelled():
        task.exception()
