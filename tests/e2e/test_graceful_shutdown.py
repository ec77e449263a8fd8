"""SIGTERM to a consumer under load: it finishes its batch, commits, leaves; every event is processed once."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from complaints.db.migrate import upgrade_head_async
from complaints.devrun.processes import ServiceProcess, service_env
from shared.demo.scenario import DEMO_SELLER
from shared.demo.signals import complaint_signal
from shared.events import ComplaintSignalReceived
from shared.kafka.codec import EventCodec
from shared.kafka.producer import EventProducer
from shared.settings import KafkaSettings, PiiSettings
from shared.stack import LocalStack
from shared.stack.kafka import kafka_broker
from shared.stack.ports import free_port
from shared.stack.postgres import create_database, drop_database
from shared.topics import ALL_TOPICS, AMAZON_EVENTS, CLASSIFIED

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

EVENTS = 1200


def _signal(i: int, run: str) -> ComplaintSignalReceived:
    return complaint_signal(
        seller_id=DEMO_SELLER,
        order_id=f"{100 + i % 900:03d}-{i:07d}-0000001",
        text="My package never arrived." if i % 2 else "The item is broken.",
        buyer_alias=f"b{i}@marketplace.amazon.com",
        dedup_key=f"sigterm:{run}:{i}",
    )


async def _count_outputs(bootstrap: str, *, at_least: int, within: float) -> list[str]:
    consumer = AIOKafkaConsumer(CLASSIFIED, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    ids: list[str] = []
    try:
        async with asyncio.timeout(within):
            while len(ids) < at_least:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    ids.extend(dict(r.headers)["event_id"].decode() for r in records)
        # a little longer: duplicates would show up now
        for records in (await consumer.getmany(timeout_ms=1500)).values():
            ids.extend(dict(r.headers)["event_id"].decode() for r in records)
    finally:
        await consumer.stop()
    return ids


async def test_sigterm_under_load_processes_every_event_exactly_once(
    local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    ep = local_stack.endpoints
    name = f"sigterm_{uuid.uuid4().hex[:8]}"
    url = await create_database(ep.database_admin_url, name)
    try:
        await upgrade_head_async(url)
        async with kafka_broker(topics=ALL_TOPICS, environ={}) as broker:
            env = service_env(
                {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers, "DATABASE_URL": url},
                seller_id=DEMO_SELLER,
            )
            logs = tmp_path_factory.mktemp("sigterm")
            first = ServiceProcess("classifier", free_port(), logs / "classifier-1.log")
            first.start(env)
            await first.wait_ready()

            producer = EventProducer(
                KafkaSettings(bootstrap_servers=broker.bootstrap_servers),
                codec=EventCodec.from_settings(
                    PiiSettings(encryption_key=env["RESPONDER_PII_ENCRYPTION_KEY"])
                ),
            )
            await producer.start()
            run = uuid.uuid4().hex[:8]
            await producer.publish_many(AMAZON_EVENTS, [_signal(i, run) for i in range(EVENTS)])
            await producer.stop()

            await _count_outputs(broker.bootstrap_servers, at_least=100, within=60)
            assert (
                await first.terminate(grace=30) == 0
            )  # clean exit: batch finished, committed, left the group

            second = ServiceProcess("classifier", free_port(), logs / "classifier-2.log")
            second.start(env)
            try:
                ids = await _count_outputs(broker.bootstrap_servers, at_least=EVENTS, within=120)
            finally:
                await second.terminate()
    finally:
        await drop_database(ep.database_admin_url, name)
    assert len(set(ids)) == EVENTS
    assert len(ids) == EVENTS, f"{len(ids) - EVENTS} duplicate outputs after SIGTERM"
