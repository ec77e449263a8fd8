"""Buyer-controlled text in a subject or a Message-ID never fails a send, never adds a header: real SMTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import select

from services.responder.handlers import ResponderDeps, handle_complaints
from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports.smtp import SmtpTransport
from services.responder.replies.compose import ReplyComposer
from services.responder.settings import MailSettings, ResponderSettings
from services.responder.tables import OutboxMessage
from shared.crypto import PiiCipher
from shared.db.session import Database, unit_of_work
from shared.settings import DatabaseSettings
from shared.stack.smtp import SmtpServer
from tests.responder.support import classified

pytestmark = pytest.mark.integration

CIPHER = PiiCipher("test-key")
ALIAS = "k3xq9wz7m2bd5tf@marketplace.amazon.com"
_OUR_HEADERS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
}


@pytest_asyncio.fixture
async def db(migrated_db: str) -> AsyncIterator[Database]:
    database = Database(DatabaseSettings(url=SecretStr(migrated_db)))
    yield database
    await database.dispose()


@pytest.mark.parametrize(
    "subject",
    [
        "Where is my parcel?\u2028X-Injected: yes",
        "Where\u2029is it?\u2028\u2028",
        "\u2028",
    ],
)
async def test_line_separators_in_the_buyers_subject_are_delivered_not_unknown(
    db: Database, smtp_server: SmtpServer, subject: str
) -> None:
    base = classified(alias=ALIAS)
    signal = base.signal.model_copy(
        update={"subject": subject, "message_id": "<m1@relay.example>\u2028Bcc: attacker@evil.example"}
    )
    deps = ResponderDeps(cipher=CIPHER, composer=ReplyComposer(responder=ResponderSettings()))
    async with unit_of_work(db) as session:
        await handle_complaints(
            [base.model_copy(update={"signal": signal})], session=session, deps=deps, now=datetime.now(UTC)
        )
    transport = SmtpTransport(MailSettings(smtp_host=smtp_server.host, smtp_port=smtp_server.port))
    sender = OutboxSender(db=db, transports={"email": transport}, cipher=CIPHER, config=SenderConfig())
    assert await sender.tick() == 1
    async with db.sessions() as session:
        row = (await session.execute(select(OutboxMessage))).scalar_one()
    assert (row.status, row.last_error) == ("sent", None)
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == (ALIAS,)
    assert set(mail.message.keys()) <= _OUR_HEADERS  # nothing the buyer wrote became a header of its own
    # Only the well-formed <id> of the buyer's Message-ID is threaded to; the words after it are no header.
    assert (mail.message["In-Reply-To"], mail.message["References"]) == ("<m1@relay.example>",) * 2
    decoded = str(mail.message["Subject"])
    assert not any(ch in decoded for ch in "\u2028\u2029\r\n")
    assert decoded.strip()
