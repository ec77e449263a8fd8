"""`complaints chaos`: a fault campaign on the real local stack with the services as processes.

A steady mixed load (notifications, relay mails, duplicates, poison, spoofed mail, returns reports) goes in
through the real AWS path while a seeded schedule injects every fault kind several times; then the system
drains and the outcome of every input is read back from the database, the topics, the SMTP server and the
SP-API stand-in. The campaign owns its parts: a Tansu broker on S3 storage (moto) so it can be killed and
restarted with its data, a dedicated embedded PostgreSQL so it can be restarted without touching the
machine's server, and its own SMTP server and stand-in so faults can be injected into them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import shutil
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from complaints.devrun import chaos_collect as collect
from complaints.devrun.chaos_faults import FAULT_KINDS, Fault, Injected, Injectors, schedule
from complaints.devrun.chaos_load import ChaosInput, LoadGenerator, aws_clients, feed_one
from complaints.devrun.chaos_procs import Supervisor
from complaints.devrun.chaos_report import Report, format_report, tally
from complaints.devrun.chaos_stack import DATABASE, Parts, service_environment, start_parts
from complaints.devrun.processes import SERVICES
from shared.crypto import PiiCipher
from shared.demo.scenario import DEMO_SELLER
from shared.kafka.codec import EventCodec
from shared.topics import INGEST_REJECTED

__all__ = ["CampaignConfig", "CampaignResult", "run_campaign"]

log = logging.getLogger(__name__)

_STABLE_CHECKS = 3


@dataclass(frozen=True, slots=True)
class CampaignConfig:
    """How long, how hard, which faults and how often."""

    work_dir: Path
    duration_s: float = 600.0
    rate: float = 3.0  # inputs per second
    repeats: int = 3  # injections per fault kind
    seed: int | None = None
    faults: tuple[str, ...] = FAULT_KINDS
    drain_timeout_s: float = 300.0


@dataclass
class CampaignResult:
    """The report plus what a caller may want to look at after a failure."""

    seed: int
    report: Report
    log_dir: Path
    injected: list[Injected] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No invariant broke and the system drained."""
        return not self.report.violations and self.report.drained


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def _load(
    parts: Parts, generator: LoadGenerator, *, rate: float, until: float, fed: list[tuple[ChaosInput, float]]
) -> None:
    sqs_cm, sns_cm = aws_clients(parts.aws)
    async with sqs_cm as sqs, sns_cm as sns:
        next_at = time.monotonic()
        while next_at < until:
            item = generator.next()
            try:
                fed.append((item, await feed_one(parts.aws, item, (sqs, sns))))
            except Exception as exc:  # noqa: BLE001  # a feed failure is the harness's, not the system's: say so
                _say(f"  feed failed for input {item.n} ({item.kind}): {type(exc).__name__}")
            next_at += 1.0 / rate
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def _faults(injectors: Injectors, plan: list[Fault], started: float, out: list[Injected]) -> None:
    """Inject each fault at its moment; a slow injection (a restart) does not delay the ones after it."""

    async def one(kind: str) -> None:
        done = await injectors.inject(kind)
        out.append(done)
        _say(
            f"  t={done.started - wall0:6.1f}s  {kind:<24} {done.detail} ({done.finished - done.started:.1f}s)"
        )

    wall0 = time.time() - (time.monotonic() - started)
    running = []
    for fault in plan:
        await asyncio.sleep(max(0.0, started + fault.at - time.monotonic()))
        running.append(asyncio.create_task(one(fault.kind)))
    await asyncio.gather(*running)


async def _progress(engine: AsyncEngine, fed: list[tuple[ChaosInput, float]], supervisor: Supervisor) -> None:
    started = time.monotonic()
    while True:
        await asyncio.sleep(15)
        try:
            tickets = await collect.tickets_count(engine)
        except Exception:  # noqa: BLE001  # the database may be restarting right now
            tickets = -1
        crashes = len(supervisor.unexpected_exits())
        _say(f"  t={time.monotonic() - started:6.1f}s  fed {len(fed)}  tickets {tickets}  crashes {crashes}")


async def _drain(parts: Parts, engine: AsyncEngine, drain_for: float) -> tuple[bool, str, tuple[str, ...]]:
    """Wait until nothing is left to do; also returns partitions listed below their committed offset."""
    deadline = time.monotonic() + drain_for
    stable = 0
    last = "no answer yet"
    behind: tuple[str, ...] = ()
    tickets = -1
    while time.monotonic() < deadline:
        backlog = await collect.backlog(parts.broker.bootstrap_servers, parts.aws, engine)
        if backlog is not None:
            last, behind = str(backlog), backlog.behind
            # The ticket count must hold still too: lag is read by fetching, which a broker may answer late.
            stable = stable + 1 if backlog.empty and backlog.tickets == tickets else 0
            tickets = backlog.tickets
            if stable >= _STABLE_CHECKS:
                return True, last, behind
        await asyncio.sleep(2)
    return False, last, behind


async def _report(
    parts: Parts,
    engine: AsyncEngine,
    fed: list[tuple[ChaosInput, float]],
    injected: list[Injected],
    supervisor: Supervisor,
) -> Report:
    cipher = PiiCipher(supervisor.env["RESPONDER_PII_ENCRYPTION_KEY"])
    open_raw = EventCodec(cipher).unseal_raw
    replies = collect.email_replies(parts.smtp.messages) + collect.messaging_replies(parts.standin.state)
    crashes = [_exit_line(e.instance, e.returncode, e.at, injected) for e in supervisor.unexpected_exits()]
    return tally(
        fed=fed,
        ticket_created=await collect.ticket_times(engine),
        order_contexts=await collect.order_contexts(engine),
        outbox_statuses=await collect.outbox_statuses(engine),
        dead_letters=await collect.dead_letters(parts.broker.bootstrap_servers, open_raw=open_raw),
        rejected_topic=INGEST_REJECTED,
        replies=replies,
        injected=injected,
        smtp_fault_hits=[at for _, at in parts.smtp.faults_applied],
        crashes=crashes,
        ready_again=supervisor.ready_again,
    )


def _exit_line(instance: str, code: int | None, at: float, injected: list[Injected]) -> str:
    before = [fault for fault in injected if fault.started <= at]
    line = f"{instance} exited with {code} at {time.strftime('%H:%M:%S', time.localtime(at))}"
    if before:
        last = max(before, key=lambda f: f.started)
        line += f", {at - last.started:.1f}s after {last.kind} (see its log)"
    return line


async def run_campaign(config: CampaignConfig) -> CampaignResult:
    """Run one campaign and return its report (printed as it goes)."""
    seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
    rng = random.Random(seed)
    tag = f"{seed % 1_000_000:06d}"
    plan = schedule(rng, duration=config.duration_s, repeats=config.repeats, kinds=config.faults)
    _say(
        f"fault campaign: seed={seed} (rerun with --seed {seed}) load={config.duration_s:.0f}s rate={config.rate}/s"
    )
    _say(f"  {len(plan)} faults: " + ", ".join(f"{f.kind}@{f.at:.0f}s" for f in plan))
    log_dir = config.work_dir / "logs"
    shutil.rmtree(log_dir, ignore_errors=True)  # logs of an earlier campaign would read as this one's
    fed: list[tuple[ChaosInput, float]] = []
    injected: list[Injected] = []
    async with AsyncExitStack() as stack:
        parts = await start_parts(stack, config.work_dir, tag)
        engine = create_async_engine(parts.database_url, pool_pre_ping=True)
        stack.push_async_callback(engine.dispose)
        supervisor = Supervisor(service_environment(parts), log_dir)
        stack.push_async_callback(supervisor.stop)
        await asyncio.gather(*(supervisor.start(name) for name in SERVICES))
        _say(f"  stack and services up; logs in {log_dir}")
        injectors = Injectors(
            supervisor=supervisor,
            broker=parts.broker,
            postgres=parts.postgres,
            database=DATABASE,
            smtp=parts.smtp,
            standin_state=parts.standin.state,
        )
        generator = LoadGenerator(
            rng,
            seller_id=DEMO_SELLER,
            run_tag=seed,
            standin_state=parts.standin.state,
            max_reports=int(10 + config.duration_s / 90),
        )
        started = time.monotonic()
        progress = asyncio.create_task(_progress(engine, fed, supervisor))
        try:
            await asyncio.gather(
                _load(parts, generator, rate=config.rate, until=started + config.duration_s, fed=fed),
                _faults(injectors, plan, started, injected),
            )
            await injectors.settle()
            _say(f"  load done ({len(fed)} inputs); draining...")
            drained, backlog, behind = await _drain(parts, engine, config.drain_timeout_s)
        finally:
            progress.cancel()
        report = await _report(parts, engine, fed, injected, supervisor)
        report.drained = drained
        report.offsets_behind = list(behind)
        if not drained:
            report.notes.append(f"not drained within {config.drain_timeout_s:.0f}s: {backlog}")
    _say(format_report(report, seed=seed, duration=config.duration_s))
    return CampaignResult(seed, report, log_dir, injected)
