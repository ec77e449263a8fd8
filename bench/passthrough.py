"""The raw ceiling: a two-process Kafka passthrough on the same broker, measured like the pipeline.

``python -m bench.passthrough relay``: consume the raw topic, open and validate each record (the services'
decoder), seal and encode it again, produce it to a second topic, commit after the acks. ``... drain``: consume
the second topic. Each prints ``ready`` once it has partitions, and at the end one JSON line with the time of
its last record. ``passthrough_rate`` starts both, sends a burst and returns records per second from the first
produce to the drain's last record, the same span the pipeline figure uses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.load import LoadGenerator
from shared.decoding import decode_amazon_event
from shared.kafka.codec import EventCodec
from shared.settings import PiiSettings
from shared.stack.kafka import create_topics
from shared.topics import ALL_TOPICS, AMAZON_EVENTS, TopicSpec

__all__ = ["passthrough_rate"]

_ROOT = Path(__file__).resolve().parents[1]
_KEY_VAR = "BENCH_PII_KEY"


def _consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="latest",
        fetch_max_wait_ms=50,
        max_poll_records=2000,
    )


async def _ready(consumer: AIOKafkaConsumer) -> None:
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    for tp in consumer.assignment():  # start at the end: only the burst counts
        await consumer.seek_to_end(tp)
    sys.stdout.write("ready\n")
    sys.stdout.flush()


async def _relay(bootstrap: str, source: str, target: str, expect: int, codec: EventCodec) -> None:
    consumer = _consumer(bootstrap, source, f"relay-{uuid.uuid4().hex[:6]}")
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=256 * 1024
    )
    await consumer.start()
    await producer.start()
    await _ready(consumer)
    done = 0
    while done < expect:
        batches = await consumer.getmany(timeout_ms=200, max_records=2000)
        futures = []
        for records in batches.values():
            for r in records:
                event = decode_amazon_event(r.value, codec=codec)
                futures.append(
                    await producer.send(target, codec.encode(event), key=r.key, headers=list(r.headers))
                )
        await asyncio.gather(*futures)  # like a service: offsets move once the outputs are acked
        if batches:
            await consumer.commit({tp: records[-1].offset + 1 for tp, records in batches.items() if records})
        done += len(futures)
    await producer.stop()
    await consumer.stop()
    sys.stdout.write(json.dumps({"last": time.time()}) + "\n")


async def _drain(bootstrap: str, target: str, expect: int) -> None:
    consumer = _consumer(bootstrap, target, f"drain-{uuid.uuid4().hex[:6]}")
    await consumer.start()
    await _ready(consumer)
    seen = 0
    while seen < expect:
        batches = await consumer.getmany(timeout_ms=200, max_records=5000)
        seen += sum(len(b) for b in batches.values())
    last = time.time()
    await consumer.stop()
    sys.stdout.write(json.dumps({"last": last}) + "\n")


def _spawn(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.passthrough", *args],
        cwd=_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


async def _wait_line(proc: subprocess.Popen[str]) -> str:
    if proc.stdout is None:
        raise RuntimeError("spawned without a stdout pipe")
    line = await asyncio.to_thread(proc.stdout.readline)
    if not line:
        raise RuntimeError(f"passthrough process exited with {proc.wait()}")
    return line.strip()


async def passthrough_rate(*, bootstrap: str, seller: str, pii_key: str, events: int) -> float:
    """Records per second through relay + drain for a burst of ``events`` complaint signals."""
    run = uuid.uuid4().hex[:8]
    source, target = f"bench.raw.{run}", f"bench.passthrough.{run}"
    partitions = next(t.partitions for t in ALL_TOPICS if t.name == AMAZON_EVENTS)
    await create_topics(bootstrap, [TopicSpec(source, partitions, 1), TopicSpec(target, partitions, 1)])
    codec = EventCodec.from_settings(PiiSettings(encryption_key=pii_key))
    env = {**os.environ, _KEY_VAR: pii_key}
    relay = _spawn(env, "relay", bootstrap, source, target, str(events))
    drain = _spawn(env, "drain", bootstrap, source, target, str(events))
    try:
        await _wait_line(relay)
        await _wait_line(drain)
        load = LoadGenerator(bootstrap, seller, codec, stamp=False, topic=source)
        records = load.encode(events)
        await load.start()
        start = time.time()
        try:
            await load.burst(records)
        finally:
            await load.stop()
        last = float(json.loads(await _wait_line(drain))["last"])
        await asyncio.to_thread(relay.wait, 60)
        return events / (last - start)
    finally:
        for proc in (relay, drain):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def main() -> None:
    """``relay|drain BOOTSTRAP SOURCE TARGET EXPECT`` (the PII key in ``BENCH_PII_KEY``)."""
    parser = argparse.ArgumentParser(prog="bench.passthrough")
    parser.add_argument("role", choices=["relay", "drain"])
    parser.add_argument("bootstrap")
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("expect", type=int)
    args = parser.parse_args()
    if args.role == "relay":
        codec = EventCodec.from_settings(PiiSettings(encryption_key=os.environ[_KEY_VAR]))
        asyncio.run(_relay(args.bootstrap, args.source, args.target, args.expect, codec))
    else:
        asyncio.run(_drain(args.bootstrap, args.target, args.expect))


if __name__ == "__main__":
    main()
