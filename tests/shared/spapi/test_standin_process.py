"""``python -m shared.stack.spapi_standin`` in its own process, driven only over HTTP like an e2e test would."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from shared.settings import SpApiSettings
from shared.spapi import OutcomeUnknownError, SpApiClient
from shared.stack.paths import repo_root
from shared.stack.ports import free_port
from shared.stack.spapi_standin import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

ORDER = "111-0000000-0000001"


@pytest_asyncio.fixture
async def standin_process() -> AsyncIterator[str]:
    """The stand-in as a subprocess with seller S1 authorised; yields its base URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.stack.spapi_standin",
        "--port",
        str(free_port()),
        "--seller",
        "S1=Atzr|s1",
        cwd=repo_root(),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=30)).decode()
        match = re.search(r"on (http://\S+)", line)
        assert match, line
        yield match[1]
    finally:
        proc.terminate()
        await proc.wait()


async def test_out_of_process_stand_in_is_seeded_faulted_and_read_over_http(standin_process: str) -> None:
    base = standin_process
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=5.0) as admin:
        order = {"order_id": ORDER, "seller_id": "S1", "actions": ["unexpectedProblem"]}
        assert (await admin.post("/_standin/orders", json=order)).status_code == 204
        drop = {"kind": "drop", "operation": "createUnexpectedProblem"}
        assert (await admin.post("/_standin/faults", json=drop)).status_code == 204
        settings = SpApiSettings(
            endpoint=base,
            lwa_endpoint=f"{base}/auth/o2/token",
            lwa_client_id=DEFAULT_CLIENT_ID,
            lwa_client_secret=SecretStr(DEFAULT_CLIENT_SECRET),
            refresh_tokens={"S1": SecretStr("Atzr|s1")},
        )
        async with SpApiClient(settings) as client:
            assert await client.get_messaging_actions("S1", ORDER, "ATVPDKIKX0DER") == ["unexpectedProblem"]
            with pytest.raises(OutcomeUnknownError):
                await client.send_message("S1", ORDER, "ATVPDKIKX0DER", "unexpectedProblem", {"text": "hi"})
        recorded = (await admin.get("/_standin/messages")).json()
    assert [(m["order_id"], m["body"]) for m in recorded] == [(ORDER, {"text": "hi"})]
