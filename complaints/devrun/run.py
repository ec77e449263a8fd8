"""Start the stack and the services as processes, migrate, feed the demo, print where to look."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from complaints.db.migrate import upgrade_head_async
from complaints.devrun.demo_api import create_demo_key, ticket_lines
from complaints.devrun.envfile import ENV_FILE_NAME, remove_env_file, system_env, write_env_file
from complaints.devrun.feed import feed
from complaints.devrun.processes import LOCAL_REFRESH_TOKEN, SystemProcesses, service_env
from services.ingest.parse.account_health import ACCOUNT_HEALTH
from services.responder.tables import OutboxMessage, Ticket
from shared.demo.account_health import MarketplaceHealth, OdrCounts, account_health_report
from shared.demo.mails import FRAMES
from shared.demo.scenario import DEMO_SELLER, DemoInput, demo_inputs
from shared.stack import LocalStack

__all__ = ["run_everything", "wait_for_tickets"]

log = logging.getLogger(__name__)
_ROOT = Path(__file__).resolve().parents[2]


def seed_standin(stack: LocalStack, seller_id: str, inputs: list[DemoInput]) -> None:
    """Tell the SP-API stand-in about the demo seller and its orders (Amazon knows them in real life)."""
    standin = stack.standin
    state = getattr(standin, "state", None)
    if state is None:
        return
    state.add_seller(seller_id, LOCAL_REFRESH_TOKEN)
    for item in inputs:
        marketplace = FRAMES[item.language].marketplace_id if item.language else "ATVPDKIKX0DER"
        locale = {"en": "en-US", "de": "de-DE", "ja": "ja-JP", "fr": "fr-FR", "es": "es-ES", "it": "it-IT"}
        state.add_order(
            item.order_id,
            seller_id,
            marketplace_id=marketplace,
            buyer_locale=locale.get(item.language or "en", "en-US"),
        )
    # The account health report the ingest backfill requests at start: /v1/stats shows Amazon's figures.
    health = MarketplaceHealth("ATVPDKIKX0DER", mfn=OdrCounts(orders=1200, negative_feedback=3, claims=2))
    state.set_report(seller_id, ACCOUNT_HEALTH, account_health_report(health, end=datetime.now(UTC)))


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def wait_for_tickets(database_url: str, *, count: int, within: float = 60.0) -> int:
    """Poll until at least ``count`` tickets exist; returns how many there are."""
    engine = create_async_engine(database_url, hide_parameters=True)
    try:
        async with asyncio.timeout(within):
            while True:
                async with engine.connect() as conn:
                    n = int((await conn.execute(select(func.count()).select_from(Ticket))).scalar_one())
                if n >= count:
                    return n
                await asyncio.sleep(0.3)
    finally:
        await engine.dispose()


async def wait_for_outbox_drained(database_url: str, *, within: float) -> None:
    """Poll until no reply is waiting to be sent (pending or sending)."""
    engine = create_async_engine(database_url, hide_parameters=True)
    try:
        async with asyncio.timeout(within):
            while True:
                async with engine.connect() as conn:
                    waiting = select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
                    if int((await conn.execute(waiting)).scalar_one()) == 0:
                        return
                await asyncio.sleep(0.3)
    finally:
        await engine.dispose()


async def run_everything(*, demo: bool, api_port: int) -> None:
    """The body of `complaints run`."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    _say("Starting the local stack (Kafka/Tansu, PostgreSQL, moto, SMTP, SP-API stand-in)...")
    run_dir = _ROOT / ".stack" / "run"
    shutil.rmtree(run_dir, ignore_errors=True)  # every run starts clean: Tansu keeps nothing either
    env_file = _ROOT / ENV_FILE_NAME
    database = f"complaints_run_{os.getpid()}"
    async with LocalStack(
        smtp_eml_dir=run_dir / "outbox-mail", database_name=database, drop_database_on_exit=True
    ) as stack:
        ep = stack.endpoints
        await upgrade_head_async(ep.database_url)
        env = service_env(ep.env(), seller_id=DEMO_SELLER)
        inputs = demo_inputs(now=datetime.now(UTC), seller_address="support@seller.example")
        seed_standin(stack, DEMO_SELLER, inputs)
        if api_port and not _port_free(api_port):
            _say(f"Port {api_port} is taken; the API gets a free port instead.")
            api_port = 0
        system = SystemProcesses(env=env, log_dir=run_dir / "logs", api_port=api_port)
        try:
            _say("Starting ingest, classifier, responder and the API...")
            await system.start()
            api = system.services["api"].base_url
            # Other `complaints` commands of the repository act on this system while it runs (envfile.py).
            write_env_file(env_file, system_env({**env, "COMPLAINTS_API_URL": api}))
            if demo:
                await feed(ep.aws_environment, inputs)
                expected = len({i.order_id for i in inputs})
                n = await wait_for_tickets(ep.database_url, count=expected)
                _say(f"Demo fed: {len(inputs)} inputs -> {n} tickets.")
                if stack.smtp is not None:
                    with contextlib.suppress(TimeoutError):
                        await wait_for_outbox_drained(ep.database_url, within=30)
                    _say(
                        f"Replies received by the loopback SMTP server: {len(stack.smtp.messages)} "
                        f"(saved in {run_dir / 'outbox-mail'})"
                    )
            key = await create_demo_key(
                ep.database_url, pepper=env["RESPONDER_API_KEY_PEPPER"], seller_id=DEMO_SELLER
            )
            if demo:
                with contextlib.suppress(httpx.HTTPError):
                    _say("Tickets (GET /v1/tickets):")
                    for line in await ticket_lines(api, key):
                        _say(line)
            _say("")
            _say(f"Tickets API:   {api}/v1/tickets")
            _say(f"OpenAPI docs:  {api}/docs")
            _say(f"Agent console: {api}/console   (sign in with the API key below)")
            _say(f"API key:       {key}   (seller {DEMO_SELLER}, all scopes)")
            _say(f'Try:           curl -H "Authorization: Bearer {key}" {api}/v1/tickets')
            _say(f"Logs:          {run_dir / 'logs'}")
            metrics = "  ".join(f"{name} {svc.base_url}/metrics" for name, svc in system.services.items())
            _say(f"Metrics:       {metrics}")
            _say(
                "Follow one:    complaints trace <ticket id>   (its log lines from ingest to the send, in order;"
                " the trace id is the correlation_id of every line)"
            )
            _say(f"Environment:   {env_file}   (used by `complaints keys`, `dlq`... run here)")
            _say("Press Ctrl-C to stop everything.")
            await stop.wait()
        finally:
            _say("Stopping...")
            remove_env_file(env_file)
            await system.stop()
