"""A classifier or responder started while the broker is away stays alive and not ready, and stops cleanly.

Exiting instead made Kubernetes (and the fault campaign's supervisor) restart it in a loop whenever a pod
started during a broker restart.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from complaints.devrun.processes import ServiceProcess, service_env
from shared.demo.scenario import DEMO_SELLER
from shared.stack import LocalStack
from shared.stack.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


@pytest.mark.parametrize("service", ["classifier", "responder"])
async def test_no_broker_at_start_means_alive_not_ready_and_a_clean_stop(
    service: str, local_stack: LocalStack, migrated_db: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = service_env(
        local_stack.endpoints.env(),
        seller_id=DEMO_SELLER,
        extra={"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}", "DATABASE_URL": migrated_db},
    )
    proc = ServiceProcess(service, free_port(), tmp_path_factory.mktemp(service) / f"{service}.log")
    proc.start(env)
    try:
        ready = None
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client, asyncio.timeout(60):
            while ready is None:
                assert proc.process is not None
                assert proc.process.poll() is None, proc.log_path.read_text()[-2000:]
                with contextlib.suppress(httpx.HTTPError):
                    ready = await client.get(f"{proc.base_url}/readyz")
                await asyncio.sleep(0.2)
        await asyncio.sleep(3)  # several connection attempts later
        assert proc.process is not None
        assert proc.process.poll() is None, proc.log_path.read_text()[-2000:]
        assert ready.status_code == 503
        assert "kafka" in ready.json()["failing"]
        assert "kafka.unavailable" in proc.log_path.read_text()
    finally:
        code = await proc.terminate(grace=20)
    assert code == 0
