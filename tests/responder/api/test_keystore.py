"""The key store: one database lookup per key however many requests wait for it, and a bounded cache."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from services.responder.api.keystore import KeyStore
from services.responder.api.security import TICKETS_READ, Principal
from shared.auth_throttle import AuthFailures, AuthThrottled
from shared.db.session import Database
from tests.responder.api.helpers import PEPPER, add_key


class _CountingStore(KeyStore):
    def __init__(self, db: Database, clock: list[float]) -> None:
        super().__init__(db=db, pepper=PEPPER, ttl=5.0, clock=lambda: clock[0])
        self.lookups = 0

    async def _load(self, key: str, prefix: str) -> Principal | None:
        self.lookups += 1
        await asyncio.sleep(0.05)  # long enough for every caller to arrive while it runs
        return await super()._load(key, prefix)


async def test_concurrent_requests_share_one_lookup_per_expiry(db: Database) -> None:
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    clock = [100.0]
    store = _CountingStore(db, clock)

    first = await asyncio.gather(*(store.verify(key) for _ in range(20)))
    clock[0] += 1
    cached = await store.verify(key)
    clock[0] += 10  # expired: the next wave looks the key up again, once
    second = await asyncio.gather(*(store.verify(key) for _ in range(20)))

    assert store.lookups == 2
    assert {p.prefix for p in first + second if p is not None} == {key[:12]}
    assert None not in first + second
    assert cached == first[0]


async def test_a_caller_that_goes_away_does_not_cancel_the_lookup(db: Database) -> None:
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    store = _CountingStore(db, [100.0])

    leaving = asyncio.create_task(store.verify(key))
    await asyncio.sleep(0.01)
    staying = asyncio.create_task(store.verify(key))
    leaving.cancel()

    assert (await staying) is not None
    assert leaving.cancelled()
    assert store.lookups == 1


async def test_a_flood_of_failed_keys_never_evicts_a_valid_one(db: Database) -> None:
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    clock = [100.0]
    store = KeyStore(
        db=db,
        pepper=PEPPER,
        ttl=60.0,
        clock=lambda: clock[0],
        max_entries=8,
        failures=AuthFailures(per_client=1000, global_burst=1000, clock=lambda: clock[0]),
    )
    counted = _CountingStore(db, clock)
    store._load = counted._load  # type: ignore[method-assign]  # count this store's lookups
    assert await store.verify(key) is not None
    for i in range(100):
        assert await store.verify(f"cpk_{i:08x}_{'A' * 40}", client=f"10.0.0.{i}") is None
    before = counted.lookups
    assert await store.verify(key) is not None
    assert counted.lookups == before  # still cached: no lookup
    assert len(store._bad) <= 8


async def test_a_known_valid_key_is_not_throttled_when_its_entry_expires(db: Database) -> None:
    key = await add_key(db, sellers=["SELLER-A"], scopes=[TICKETS_READ])
    clock = [100.0]
    failures = AuthFailures(per_client=2, global_burst=2, client_rate=0.001, global_rate=0.001)
    store = KeyStore(db=db, pepper=PEPPER, ttl=1.0, clock=lambda: clock[0], failures=failures)
    assert await store.verify(key) is not None
    for _ in range(2):
        assert await store.verify(f"cpk_{secrets.token_hex(4)}_{'B' * 40}") is None
    with pytest.raises(AuthThrottled):
        await store.verify(f"cpk_{secrets.token_hex(4)}_{'C' * 40}")
    clock[0] += 5  # the valid key's entry expired: it is looked up again, not throttled
    assert await store.verify(key) is not None
