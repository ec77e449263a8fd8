"""kill -9 of the responder between send and record: the message ends 'unknown', escalated, never re-sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import SecretStr

from shared.db.session import Database
from shared.events import ComplaintClassified, SignalKind
from shared.kafka.codec import EventCodec
from shared.kafka.producer import EventProducer
from shared.settings import DatabaseSettings, KafkaSettings, PiiSettings
from shared.stack.smtp import SmtpServer
from shared.topics import CLASSIFIED
from tests.responder.conftest import ResponderSystem
from tests.responder.exactly_once_support import (
    eventually,
    new_order_id,
    outbox_rows,
    ticket_of,
    timeline_kinds,
)
from tests.responder.support import classified

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

SHORT_LEASE = {"RESPONDER_SENDER_LEASE_S": "2"}
AMAZON_DELAY_S = 10.0  # Amazon has acted and takes this long to answer: the kill lands in between
SMTP_ACK_DELAY_S = 10.0


class _SlowAckSmtp(SmtpServer):
    """Records the message at DATA, then waits before answering 250: the message is accepted, the ack late."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Record first, answer late."""
        reply = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(SMTP_ACK_DELAY_S)
        return reply


@pytest_asyncio.fixture(loop_scope="session")
async def system_db(responder_system: ResponderSystem) -> AsyncIterator[Database]:
    """The running system's database."""
    db = Database(DatabaseSettings(url=SecretStr(responder_system.database_url)))
    yield db
    await db.dispose()


async def _publish(system: ResponderSystem, event: ComplaintClassified) -> None:
    codec = EventCodec.from_settings(PiiSettings(encryption_key=system.env["RESPONDER_PII_ENCRYPTION_KEY"]))
    producer = EventProducer(KafkaSettings(bootstrap_servers=system.kafka_bootstrap), codec=codec)
    await producer.start()
    try:
        await producer.publish(CLASSIFIED, event)
    finally:
        await producer.stop()


async def _state(db: Database, order: str) -> tuple[str | None, str | None]:
    async with db.sessions() as session:
        rows = [r for r in await outbox_rows(session) if r.order_id == order]
        if not rows:
            return None, None
        return rows[0].status, (await ticket_of(session, order)).status


async def _recovers_as_unknown(system: ResponderSystem, db: Database, order: str) -> list[str]:
    """Restart with a short lease; wait for 'unknown' + escalated and a while past the lease again."""
    await system.restart_responder(SHORT_LEASE)
    await eventually(lambda: _state(db, order), until=lambda s: s == ("unknown", "escalated"), within=30)
    await asyncio.sleep(3)  # past the lease once more: a wrong re-send would happen now
    assert await _state(db, order) == ("unknown", "escalated")
    async with db.sessions() as session:
        return await timeline_kinds(session, await ticket_of(session, order))


async def test_kill_9_while_amazon_answers_a_send_leaves_it_unknown_and_never_resends(
    responder_system: ResponderSystem, system_db: Database
) -> None:
    system, state = responder_system, responder_system.standin.state
    order = new_order_id()
    state.add_order(order, system.seller_id)
    state.inject("delay", operation="createUnexpectedProblem", delay_s=AMAZON_DELAY_S, processed=True)
    defective = classified(
        order_id=order, seller_id=system.seller_id, kind=SignalKind.RETURN_REPORT_ROW, category="defective"
    )
    await _publish(system, defective)

    async def recorded() -> int:
        return len(state.messages_for(order))

    await eventually(recorded, until=lambda n: n == 1, within=60)  # Amazon acted; the answer is on its way
    system.processes.services["responder"].kill()
    assert await _state(system_db, order) == ("sending", "awaiting_reply")
    lookups = sum(1 for r in state.requests if r.operation == "getMessagingActionsForOrder")

    kinds = await _recovers_as_unknown(system, system_db, order)

    assert len(state.messages_for(order)) == 1
    assert sum(1 for r in state.requests if r.operation == "getMessagingActionsForOrder") == lookups
    assert kinds[-1] == "reply_unknown"


async def test_kill_9_while_the_smtp_server_acknowledges_data_leaves_it_unknown_and_never_resends(
    responder_system: ResponderSystem, system_db: Database, smtp_server: SmtpServer
) -> None:
    system = responder_system
    slow = _SlowAckSmtp()
    await slow.start()
    try:
        await system.restart_responder({"MAIL_SMTP_HOST": slow.host, "MAIL_SMTP_PORT": str(slow.port)})
        order = new_order_id()
        complaint = classified(order_id=order, seller_id=system.seller_id)
        await _publish(system, complaint)
        await slow.wait_for(1, timeout=60)  # the relay has the message; its 250 is still to come
        system.processes.services["responder"].kill()
        assert await _state(system_db, order) == ("sending", "awaiting_reply")

        # The restarted responder sends through the normal relay: a re-send would show up there.
        kinds = await _recovers_as_unknown(system, system_db, order)

        assert [m.rcpt_tos for m in slow.messages] == [(complaint.signal.reply_to,)]
        assert all(complaint.signal.reply_to not in m.rcpt_tos for m in smtp_server.messages)
        assert kinds[-1] == "reply_unknown"
    finally:
        await slow.stop()
