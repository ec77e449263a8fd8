"""Outbound sends per second against the SP-API stand-in's allowed rate, across many sellers.

Each seller may send ``rate`` messages per second with a bucket of ``burst`` (Messaging: 1 / 5 per seller,
and the same for getMessagingActionsForOrder and GetAttributes, which every message also needs). Over a span
of ``T`` seconds Amazon therefore allows ``sellers x (burst + rate x T)`` messages; the bench queues more than
that many messaging outbox rows, runs the real ``OutboxSender`` with the real ``SpApiClient`` against the
stand-in (its own process, so it does not share this process's CPU), and prints achieved / allowed
(target >= 0.96) and the number of 429s the stand-in answered (target 0). Exactly-once is checked too: every
order got one message.

``python -m bench.outbound_bench [sellers] [messages_per_seller]``
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import func, insert, select

from complaints.db.migrate import upgrade_head_async
from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports.messaging import MessagingTransport, spapi_http_client
from services.responder.replies.compose import ReplyComposer
from services.responder.replies.templating import render_reply
from services.responder.settings import ResponderSettings
from services.responder.tables import OutboxMessage, Ticket
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.runtime import run_main
from shared.settings import DatabaseSettings, SpApiSettings
from shared.spapi.client import SpApiClient
from shared.stack.ports import free_port
from shared.stack.postgres import create_database, drop_database, postgres_server
from shared.stack.spapi_standin import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_RATE_LIMITS
from shared.stack.spapi_standin.lwa import LWA_PATH

__all__ = ["main", "run"]

_ROOT = Path(__file__).resolve().parents[1]
_OPERATION = "createUnexpectedProblem"
_MARKETPLACE = "ATVPDKIKX0DER"
_SAMPLE_ORDER = "000-0000000-0000000"


def _order_id(seller: int, n: int) -> str:
    return f"{900 + seller % 100:03d}-{seller:07d}-{n:07d}"


@contextlib.asynccontextmanager
async def _standin_process(sellers: dict[str, str]) -> AsyncIterator[str]:
    """The stand-in in its own process; yields its base URL."""
    port = free_port()
    args = [sys.executable, "-m", "shared.stack.spapi_standin", "--port", str(port)]
    for seller, token in sellers.items():
        args += ["--seller", f"{seller}={token}"]
    process = await asyncio.create_subprocess_exec(
        *args, cwd=_ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=2.0) as probe, asyncio.timeout(30):
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await probe.get(f"{base}/_standin/health")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        yield base
    finally:
        process.terminate()
        await process.wait()


async def _seed_orders(base: str, orders: list[tuple[str, str]]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60.0) as admin:
        for start in range(0, len(orders), 2000):
            specs = [
                {"order_id": o, "seller_id": s, "marketplace_id": _MARKETPLACE}
                for o, s in orders[start : start + 2000]
            ]
            (await admin.post("/_standin/orders/batch", json=specs)).raise_for_status()


async def _queue(db: Database, orders: list[tuple[str, str]], cipher: PiiCipher) -> None:
    """One ticket and one pending messaging outbox row per order, as the handlers would write them."""
    sample = render_reply(
        category="defective",
        channel="messaging:unexpectedProblem",
        buyer_locale="en-US",
        marketplace_id=_MARKETPLACE,
        variables={"order_id": _SAMPLE_ORDER, "seller_name": "Bench Seller"},
    )
    for start in range(0, len(orders), 1000):
        chunk = orders[start : start + 1000]
        ticket_ids = [uuid.uuid4() for _ in chunk]
        tickets = [
            {
                "id": t,
                "seller_id": s,
                "order_id": o,
                "marketplace_id": _MARKETPLACE,
                "thread_key": f"order:{o}",
            }
            for t, (o, s) in zip(ticket_ids, chunk, strict=True)
        ]
        rows = [
            {
                "id": uuid.uuid4(),
                "idempotency_key": f"bench|{o}",
                "ticket_id": t,
                "seller_id": s,
                "marketplace_id": _MARKETPLACE,
                "order_id": o,
                "channel": "messaging",
                "action": "unexpectedProblem",
                "status": "pending",
                "template_id": sample.template_id,
                "template_version": sample.template_version,
                "language": sample.language,
                "body_enc": cipher.encrypt(sample.text.replace(_SAMPLE_ORDER, o)),
            }
            for t, (o, s) in zip(ticket_ids, chunk, strict=True)
        ]
        async with unit_of_work(db) as session:
            await session.execute(insert(Ticket), tickets)
            await session.execute(insert(OutboxMessage), rows)


async def _sent(db: Database) -> int:
    async with db.sessions() as session:
        stmt = select(func.count()).where(OutboxMessage.status.in_(("sent", "unknown", "failed")))
        return int(await session.scalar(stmt) or 0)


async def _measure(
    *, base: str, database_url: str, sellers: dict[str, str], orders: list[tuple[str, str]]
) -> dict[str, Any]:
    cipher = PiiCipher("bench-key")
    db = Database(DatabaseSettings(url=SecretStr(database_url), pool_size=10))
    spapi = SpApiSettings(
        endpoint=base,
        lwa_endpoint=base + LWA_PATH,
        lwa_client_id=DEFAULT_CLIENT_ID,
        lwa_client_secret=SecretStr(DEFAULT_CLIENT_SECRET),
        refresh_tokens={s: SecretStr(t) for s, t in sellers.items()},
    )
    stop = asyncio.Event()
    try:
        await _seed_orders(base, orders)
        await _queue(db, orders, cipher)
        async with spapi_http_client(spapi) as http, SpApiClient(spapi, http=http) as client:
            responder = ResponderSettings()
            composer = ReplyComposer(responder=responder)
            sender = OutboxSender(
                db=db,
                transports={"messaging": MessagingTransport(client, composer)},
                cipher=cipher,
                # what the responder runs with (services/responder/__main__.py), but polling faster; no
                # identical-message cap: the bench's texts are alike
                config=SenderConfig(
                    poll_interval_s=0.05,
                    batch=responder.sender_batch,
                    concurrency=responder.sender_concurrency,
                    record_delay_s=responder.sender_record_delay_s,
                    identical_cap=None,
                ),
            )
            started, cpu_started = time.monotonic(), time.process_time()
            task = asyncio.create_task(sender.run(stop))
            # Amazon's plan needs about one second per message and seller; give up waiting well after that
            # and report what was sent (a sender too slow for the plan shows as a low ratio, not an error).
            deadline = time.monotonic() + 60 + 4 * len(orders) / len(sellers)
            try:
                # ASYNC110 ignored: the loop polls the database, which sets no event
                while time.monotonic() < deadline and await _sent(db) < len(orders):  # noqa: ASYNC110
                    await asyncio.sleep(0.5)
            finally:
                stop.set()
                await task
            wall, cpu = time.monotonic() - started, time.process_time() - cpu_started
        async with db.sessions() as session:
            stmt = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            outcomes = {status: int(n) for status, n in (await session.execute(stmt)).all()}
    finally:
        await db.dispose()
    async with httpx.AsyncClient(base_url=base, timeout=30.0) as admin:
        messages = (await admin.get("/_standin/messages")).json()
        requests = (await admin.get("/_standin/requests")).json()
    return {"wall_s": wall, "cpu_s": cpu, "outcomes": outcomes, "messages": messages, "requests": requests}


def _summary(sellers: int, queued: int, measured: dict[str, Any]) -> dict[str, Any]:
    limit = DEFAULT_RATE_LIMITS[_OPERATION]
    messages = measured["messages"]
    stamps = sorted(datetime.fromisoformat(m["at"]) for m in messages)
    span = (stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else 0.0
    allowed = sellers * (limit.burst + limit.rate * span)
    per_order = Counter(m["order_id"] for m in messages)
    return {
        "sellers": sellers,
        "queued": queued,
        "sent": len(messages),
        "span_s": round(span, 2),
        "wall_s": round(measured["wall_s"], 2),
        # CPU of this process (sender, client, database driver) per message: on a busy host this is the limit
        "sender_cpu_ms_per_message": round(1000 * measured["cpu_s"] / max(1, len(messages)), 2),
        "achieved_per_s": round(len(messages) / span, 1) if span else 0.0,
        "allowed_per_s": round(allowed / span, 1) if span else 0.0,
        "ratio": round(len(messages) / allowed, 4) if allowed else 0.0,
        "throttled_429": sum(1 for r in measured["requests"] if r["status"] == 429),
        "duplicates": sum(n - 1 for n in per_order.values() if n > 1),
        "outcomes": measured["outcomes"],
    }


async def run(
    *, sellers: int = 1000, messages_per_seller: int = 30, database_admin_url: str | None = None
) -> dict[str, Any]:
    """Queue ``sellers x messages_per_seller`` messaging rows, send them all, return the figures."""
    tokens = {f"A2OB{i:010d}": f"Atzr|bench-{i}" for i in range(sellers)}
    orders = [(_order_id(i, n), s) for n in range(messages_per_seller) for i, s in enumerate(tokens)]
    async with contextlib.AsyncExitStack() as stack:
        if database_admin_url is None:
            database_admin_url = (await stack.enter_async_context(postgres_server())).admin_url
        name = f"outbound_{uuid.uuid4().hex[:8]}"
        url = await create_database(database_admin_url, name)
        try:
            await upgrade_head_async(url)
            async with _standin_process(tokens) as base:
                measured = await _measure(base=base, database_url=url, sellers=tokens, orders=orders)
        finally:
            await drop_database(database_admin_url, name)
    return _summary(sellers, len(orders), measured)


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.outbound_bench [sellers] [messages_per_seller]``: print the figures and the ratio."""
    args = sys.argv[1:] if argv is None else argv
    sellers = int(args[0]) if args else 1000
    per_seller = int(args[1]) if len(args) > 1 else 30
    result = run_main(run(sellers=sellers, messages_per_seller=per_seller))
    print(json.dumps(result, indent=2))
    print(
        f"outbound: {result['achieved_per_s']} msg/s achieved vs {result['allowed_per_s']} msg/s allowed "
        f"across {result['sellers']} sellers; ratio {result['ratio']:.3f} (target >= 0.96); "
        f"429s {result['throttled_429']} (target 0); duplicates {result['duplicates']} (target 0); "
        f"sender CPU {result['sender_cpu_ms_per_message']} ms per message (target <= 1)"
    )


if __name__ == "__main__":
    main()
