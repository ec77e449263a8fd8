"""The responder's cost per complaint in one process: Kafka records in, tickets and outbox rows committed.

The records are what the classifier produces for the load generator's signals (PII sealed, headers set); they
go through the handler the responder's consumer loop runs (``services.responder.__main__.batch_handler``:
decode, open the PII, apply, queue the reply, commit) in batches of ``max_poll_records``, on a real
PostgreSQL. The figure is complaints per second of this process's CPU time (the database's own CPU is not
counted, as in the pipeline's per-core figures), so it holds on a busy machine.

``python -m bench.responder_bench [complaints]``; ``BENCH_BATCH`` (records per batch, default 500: a full
poll; a pipeline that keeps up sees far smaller ones), ``BENCH_PROFILE=/tmp/resp.prof`` writes a cProfile of the
measured run.
"""

from __future__ import annotations

import cProfile
import os
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr

from bench.load import LoadGenerator
from complaints.db.migrate import upgrade_head_async
from services.classifier.domain import OrderContext
from services.classifier.engine import Classifier, buyer_hash
from services.classifier.handlers import build_classified
from services.classifier.settings import ClassifierSettings
from services.responder.__main__ import batch_handler
from services.responder.handlers import ResponderDeps
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import ResponderSettings
from shared.crypto import PiiCipher
from shared.db.session import Database
from shared.kafka.codec import EventCodec
from shared.kafka.producer import event_headers
from shared.runtime import run_main
from shared.settings import DatabaseSettings
from shared.stack.postgres import create_database, drop_database, postgres_server
from shared.topics import CLASSIFIED

__all__ = ["main", "responder_rate"]

_KEY = "responder-bench-key"
_BATCH = 500


@dataclass(frozen=True, slots=True)
class _Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]
    timestamp: int = 0


def _records(count: int, codec: EventCodec) -> list[_Record]:
    """``count`` classified complaints in their wire form, as the classifier sends them."""
    load = LoadGenerator("unused:9092", "A2BENCHSELLER1", codec)
    classifier = Classifier.load()
    settings = ClassifierSettings(buyer_hash_salt=SecretStr("bench-salt"))
    now = datetime.now(UTC)
    signals = [load.signal(i) for i in range(count)]
    verdicts = classifier.classify_many(
        [(s, OrderContext(), None) for s in signals], now=now, settings=settings
    )
    out = []
    for i, (signal, verdict) in enumerate(zip(signals, verdicts, strict=True)):
        event = build_classified(signal, verdict, buyer=buyer_hash(signal.buyer_alias or "", "bench-salt"))
        out.append(_Record(CLASSIFIED, 0, i, None, codec.encode(event), event_headers(event)))
    return out


async def responder_rate(count: int, *, batch: int = _BATCH, profile: str | None = None) -> tuple[float, int]:
    """Complaints per CPU-second of the responder's batch handler over ``count`` fresh complaints, and how
    many replies it queued."""
    cipher = PiiCipher(_KEY)
    deps = ResponderDeps(
        cipher=cipher, composer=ReplyComposer(responder=ResponderSettings(pii_encryption_key=SecretStr(_KEY)))
    )
    warm = _records(200, EventCodec(cipher))
    records = _records(count + 200, EventCodec(cipher))[200:]
    async with postgres_server() as pg:
        name = f"resp_bench_{uuid.uuid4().hex[:8]}"
        url = await create_database(pg.admin_url, name)
        db = Database(DatabaseSettings(url=SecretStr(url)))
        try:
            await upgrade_head_async(url)
            handle = batch_handler(db, deps)
            await handle(warm)
            profiler = cProfile.Profile() if profile else None
            cpu = time.process_time()
            if profiler:
                profiler.enable()
            for start in range(0, len(records), batch):
                await handle(records[start : start + batch])
            if profiler and profile:
                profiler.disable()
                profiler.dump_stats(profile)
            used = time.process_time() - cpu
            async with db.engine.connect() as conn:
                replies = (await conn.exec_driver_sql("SELECT count(*) FROM outbox_messages")).scalar_one()
        finally:
            await db.dispose()
            await drop_database(pg.admin_url, name)
    return count / used, int(replies) - len(warm)


def main() -> None:
    """Print the figure."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    batch = int(os.environ.get("BENCH_BATCH") or _BATCH)
    rate, replies = run_main(
        responder_rate(count, batch=batch, profile=os.environ.get("BENCH_PROFILE") or None)
    )
    sys.stdout.write(
        f"responder handler: {rate:,.0f} complaints per CPU-second over {count:,} "
        f"(decode + ticket + reply queued + commit, batches of {batch}; {replies:,} replies queued)\n"
    )


if __name__ == "__main__":
    main()
