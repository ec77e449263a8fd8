"""Internal API: GET /v1/tickets/{id} and GET /v1/tickets under concurrent clients (one uvicorn worker).

``python -m bench.api_bench [tickets] [requests] [concurrency]`` seeds a scratch database, serves the API in
a subprocess and prints requests/s and latency percentiles next to the targets (2,000 req/s, p99 < 50 ms).
The load generator shares the machine with the server, so the figures are a floor, not a ceiling.
BENCH_POOL overrides the server's DATABASE_POOL_SIZE (default 10) to compare pool sizes.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, text

from bench.wrk import have_wrk, run_wrk
from complaints.db.migrate import upgrade_head_async
from complaints.devrun.processes import ServiceProcess
from services.responder.api.keystore import issue_key
from services.responder.api.security import SCOPES
from services.responder.tables import OutboxMessage, Ticket, TicketEvent
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.runtime import run_main
from shared.settings import DatabaseSettings
from shared.stack.ports import LOOPBACK, free_port
from shared.stack.postgres import create_database, drop_database, postgres_server

__all__ = ["ApiBenchResult", "api_throughput", "main"]

_ROOT = Path(__file__).resolve().parents[1]
_PEPPER = "bench-pepper"
_PII_KEY = "bench-pii-key"
_SELLER = "A2BENCHSELLER1"


@dataclass(frozen=True, slots=True)
class ApiBenchResult:
    """One scenario's figures."""

    name: str
    requests: int
    errors: int
    per_second: float
    p50_ms: float
    p99_ms: float


async def _seed(url: str, tickets: int) -> tuple[list[uuid.UUID], str]:
    from pydantic import SecretStr

    db = Database(DatabaseSettings(url=SecretStr(url)))
    cipher = PiiCipher(_PII_KEY)
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(tickets)]
    alias, subject = cipher.encrypt("buyer@marketplace.amazon.example"), cipher.encrypt("Where is my order?")
    message = cipher.encrypt_json(
        {
            "subject": "Where is my order?",
            "text": "Hello, I ordered this three weeks ago and the tracking has not moved since it left "
            "the warehouse. The delivery date has passed. Can you tell me where the parcel is or send a "
            "replacement? Thank you.",
        }
    )
    reply_subject = cipher.encrypt("Re: Where is my order?")
    reply_body = cipher.encrypt(
        "Hello, thank you for your message and sorry that your order has not arrived yet. We have asked "
        "the carrier to trace the parcel and will write again within two business days with the result. "
        "If it cannot be found we will send a replacement at no cost. Kind regards, Bench Seller"
    )
    try:
        for start in range(0, tickets, 1000):
            chunk = ids[start : start + 1000]
            rows = [
                {
                    "id": tid,
                    "seller_id": _SELLER,
                    "marketplace_id": "ATVPDKIKX0DER",
                    "order_id": f"111-{i:07d}-0000001",
                    "thread_key": f"order:{tid}",
                    "status": random.choice(("new", "awaiting_reply", "replied", "escalated")),
                    "priority": random.choice(("P1", "P2", "P3", "P4")),
                    "category": random.choice(("not_received", "defective", "not_as_described", "none")),
                    "tags": [{"name": "fragile", "confidence": 0.8}],
                    "reasons": [{"rule_id": "text.feature", "detail": "'never arrived' -> not_received"}],
                    "asin": f"B0{i % 50:08d}",
                    "due_at": now + timedelta(hours=random.randint(-24, 48)),
                    "buyer_alias_enc": alias,
                    "subject_enc": subject,
                    "created_at": now - timedelta(minutes=i),
                    "updated_at": now - timedelta(minutes=i),
                }
                for i, tid in enumerate(chunk, start=start)
            ]
            # A typical thread: the buyer's message (encrypted text), its classification and one reply
            # sent by e-mail (encrypted subject and body), all decrypted by GET /v1/tickets/{id}.
            events = [
                {
                    "ticket_id": tid,
                    "kind": kind,
                    "occurred_at": now,
                    "data": {"kind": "buyer_message"},
                    "pii_enc": message if kind == "signal" else None,
                }
                for tid in chunk
                for kind in ("signal", "classification", "reply_queued")
            ]
            replies = [
                {
                    "id": uuid.uuid4(),
                    "idempotency_key": f"bench|{tid}",
                    "ticket_id": tid,
                    "seller_id": _SELLER,
                    "marketplace_id": "ATVPDKIKX0DER",
                    "order_id": f"111-{i:07d}-0000001",
                    "channel": "email",
                    "status": "sent",
                    "template_id": "not_received",
                    "template_version": "1",
                    "language": "en",
                    "subject_enc": reply_subject,
                    "body_enc": reply_body,
                    "sent_at": now,
                }
                for i, tid in enumerate(chunk, start=start)
            ]
            async with unit_of_work(db) as session:
                await session.execute(insert(Ticket), rows)
                await session.execute(insert(TicketEvent), events)
                await session.execute(insert(OutboxMessage), replies)
        async with unit_of_work(db) as session:
            key, _ = await issue_key(
                session,
                name="bench",
                scopes=list(SCOPES),
                sellers=[_SELLER],
                pepper=_PEPPER,
                rate_limit_per_s=1e9,
            )
        async with db.engine.connect() as conn:
            # A live database has planner statistics; right after a bulk load autovacuum has not run yet.
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    finally:
        await db.dispose()
    return ids, key


async def _drive(
    client: httpx.AsyncClient, name: str, path: Callable[[], str], *, requests: int, concurrency: int
) -> ApiBenchResult:
    latencies: list[float] = []
    errors = 0
    queue = iter(range(requests))

    async def worker() -> None:
        nonlocal errors
        for _ in queue:
            start = time.perf_counter()
            response = await client.get(path())
            latencies.append(time.perf_counter() - start)
            errors += response.status_code != 200

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    latencies.sort()
    return ApiBenchResult(
        name=name,
        requests=requests,
        errors=errors,
        per_second=requests / wall,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    )


async def _serve(url: str, log: Path) -> ServiceProcess:
    """`complaints api` as its own process (as deployed), ready to answer."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DATABASE_POOL_SIZE": os.environ.get("BENCH_POOL", "10"),
        "RESPONDER_API_HOST": LOOPBACK,
        "RESPONDER_API_KEY_PEPPER": _PEPPER,
        "RESPONDER_PII_ENCRYPTION_KEY": _PII_KEY,
        "RESPONDER_API_SLA_ALERTS_ENABLED": "false",
        "RESPONDER_API_SPIKE_ALERTS_ENABLED": "false",
        "RESPONDER_API_RETENTION_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }
    api = ServiceProcess(name="api", port=free_port(), log_path=log)
    api.start(env)
    try:
        await api.wait_ready()
    except BaseException:
        await api.terminate()
        raise
    return api


async def _with_wrk(base: str, key: str, ids: list[uuid.UUID]) -> list[ApiBenchResult]:
    """The same three scenarios driven by wrk (the C load generator leaves the CPU to the server)."""
    pages = [
        "/v1/tickets?limit=50",
        "/v1/tickets?status=new&limit=50",
        "/v1/tickets?sort=due_at&order=asc&limit=50",
    ]
    one = [f"/v1/tickets/{i}" for i in random.sample(ids, min(len(ids), 2000))]
    await run_wrk(base, one, token=key, seconds=3)  # warm-up
    out = []
    for name, paths in (
        ("GET /healthz (ceiling)", ["/healthz"]),
        ("GET /v1/tickets/{id}", one),
        ("GET /v1/tickets (50/page)", pages),
    ):
        r = await run_wrk(base, paths, token=key, seconds=10)
        out.append(ApiBenchResult(name + " [wrk]", r.requests, r.errors, r.per_second, r.p50_ms, r.p99_ms))
    return out


async def api_throughput(
    *, tickets: int = 5000, requests: int = 5000, concurrency: int = 32
) -> list[ApiBenchResult]:
    """Seed, serve, drive both endpoints; the server is stopped and the database dropped afterwards."""
    async with postgres_server() as pg:
        name = f"bench_api_{uuid.uuid4().hex[:8]}"
        url = await create_database(pg.admin_url, name)
        try:
            await upgrade_head_async(url)
            ids, key = await _seed(url, tickets)
            with tempfile.TemporaryDirectory() as tmp:
                api = await _serve(url, Path(tmp) / "api.log")
                base = api.base_url
                try:
                    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
                    headers = {"Authorization": f"Bearer {key}"}
                    if have_wrk():
                        return await _with_wrk(base, key, ids)
                    async with httpx.AsyncClient(
                        base_url=base, headers=headers, limits=limits, timeout=30
                    ) as client:
                        one = lambda: f"/v1/tickets/{random.choice(ids)}"  # noqa: E731  # tiny path factories
                        page = lambda: random.choice(  # noqa: E731
                            (
                                "/v1/tickets?limit=50",
                                "/v1/tickets?status=new&limit=50",
                                "/v1/tickets?sort=due_at&order=asc&limit=50",
                            )
                        )
                        await _drive(
                            client, "warm-up", one, requests=min(500, requests), concurrency=concurrency
                        )
                        return [
                            # No auth, no database: the ceiling of this load generator and uvicorn here.
                            await _drive(
                                client,
                                "GET /healthz (ceiling)",
                                lambda: "/healthz",
                                requests=requests,
                                concurrency=concurrency,
                            ),
                            await _drive(
                                client,
                                "GET /v1/tickets/{id}",
                                one,
                                requests=requests,
                                concurrency=concurrency,
                            ),
                            await _drive(
                                client,
                                "GET /v1/tickets (50/page)",
                                page,
                                requests=requests,
                                concurrency=concurrency,
                            ),
                        ]
                finally:
                    await api.terminate()
        finally:
            await drop_database(pg.admin_url, name)


def main() -> None:
    """Print the figures of both scenarios against the targets."""
    args = [int(a) for a in sys.argv[1:4]]
    tickets, requests, concurrency = (args + [5000, 5000, 32][len(args) :])[:3]
    results = run_main(api_throughput(tickets=tickets, requests=requests, concurrency=concurrency))
    print(f"api: {tickets:,} tickets seeded, {concurrency} concurrent clients, 1 uvicorn worker")
    ceiling = results[0].per_second
    for r in results:
        print(
            f"  {r.name:<28} {r.per_second:8,.0f} req/s (target 2,000; ratio {r.per_second / 2000:.2f})  "
            f"p50 {r.p50_ms:6.1f} ms  p99 {r.p99_ms:6.1f} ms (target < 50; ratio {r.p99_ms / 50:.2f})  "
            f"errors {r.errors}; {r.per_second / ceiling:.2f} of the ceiling"
        )


if __name__ == "__main__":
    main()
