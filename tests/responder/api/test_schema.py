"""Schemathesis against the served OpenAPI schema: valid and invalid requests, never a 5xx."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.responder.api.security import SCOPES
from shared.db.session import Database
from tests.responder.api.helpers import add_key, add_ticket
from tests.responder.api.served import served_api

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency of the API tests")

pytestmark = pytest.mark.integration


def _fuzz(base_url: str, key: str, examples: int) -> list[str]:
    """Run positive and negative cases over every operation; return the 5xx answers seen."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    auth = {"Authorization": f"Bearer {key}"}
    failures: list[str] = []
    strategy = st.one_of(
        schema.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE),
        schema.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:  # schemathesis.Case; the module is optional here
        response = case.call(base_url=base_url, headers=auth, timeout=10)
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

    run()
    return failures


async def test_no_server_errors(migrated_db: str, db: Database, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    for i in range(3):
        await add_ticket(db, created_at=now, order_id=f"111-222333{i}-4445556", buyer_hash="a" * 64)
    key = await add_key(db, sellers=["SELLER-A"], scopes=list(SCOPES))
    async with served_api(migrated_db, tmp_path / "api.log") as api:
        failures = await asyncio.to_thread(_fuzz, api.base_url, key, 100)
    assert failures == [], (tmp_path / "api.log").read_text()[-3000:]
