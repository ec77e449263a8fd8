"""The recording SMTP server: envelope and parsed message, waiting, .eml files, shutdown."""

from __future__ import annotations

import asyncio
import json
import smtplib
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from shared.stack.smtp import ReceivedMail, SmtpServer, smtp_server
from tests.shared.stack._net import accepts


def _message(subject: str, to: str = "buyer@marketplace.amazon.de") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "support@seller.example"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Grüße, Ihre Bestellung ist unterwegs.")
    return msg


def _send(server: SmtpServer, msg: EmailMessage, rcpts: list[str], login: bool = False) -> None:
    with smtplib.SMTP(server.host, server.port, timeout=10) as client:
        if login:
            client.login("seller", "any-password")
        client.send_message(msg, from_addr="bounce@seller.example", to_addrs=rcpts)


async def test_records_envelope_and_parsed_message(smtp_server: SmtpServer) -> None:
    rcpts = ["buyer@marketplace.amazon.de", "copy@seller.example"]
    await asyncio.to_thread(_send, smtp_server, _message("Ihre Bestellung – Versand"), rcpts)
    [mail] = await smtp_server.wait_for(1)
    assert mail.mail_from == "bounce@seller.example"
    assert mail.rcpt_tos == tuple(rcpts)
    assert mail.message["Subject"] == "Ihre Bestellung – Versand"
    body = mail.message.get_body(("plain",))
    assert body is not None
    assert body.get_content().strip() == "Grüße, Ihre Bestellung ist unterwegs."


async def test_accepts_any_login(smtp_server: SmtpServer) -> None:
    await asyncio.to_thread(_send, smtp_server, _message("with auth"), ["b@example.com"], True)
    [mail] = await smtp_server.wait_for(1)
    assert mail.message["Subject"] == "with auth"


async def test_concurrent_senders_are_all_recorded(smtp_server: SmtpServer) -> None:
    sends = [
        asyncio.to_thread(_send, smtp_server, _message(f"n{i}"), [f"b{i}@example.com"]) for i in range(12)
    ]
    waiting = asyncio.create_task(smtp_server.wait_for(12))
    await asyncio.gather(*sends)
    mails = await waiting
    assert sorted(str(m.message["Subject"]) for m in mails) == sorted(f"n{i}" for i in range(12))


async def test_wait_for_times_out_when_too_few_arrive(smtp_server: SmtpServer) -> None:
    await asyncio.to_thread(_send, smtp_server, _message("only one"), ["b@example.com"])
    with pytest.raises(TimeoutError, match="got 1 of 2"):
        await smtp_server.wait_for(2, timeout=0.3)


async def test_writes_eml_files_and_stops(tmp_path: Path) -> None:
    async with smtp_server(eml_dir=tmp_path / "mail") as server:
        await asyncio.to_thread(_send, server, _message("to disk"), ["b@example.com"])
        await server.wait_for(1)
        host, port = server.host, server.port
    [eml] = sorted((tmp_path / "mail").glob("*.eml"))
    parsed = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert parsed["Subject"] == "to disk"
    envelope = json.loads(eml.with_suffix(".json").read_text())
    assert envelope == {"mail_from": "bounce@seller.example", "rcpt_tos": ["b@example.com"]}
    assert not await accepts(host, port)


async def test_drop_during_data_leaves_the_client_without_an_answer(smtp_server: SmtpServer) -> None:
    smtp_server.inject("drop")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        await asyncio.to_thread(_send, smtp_server, _message("dropped"), ["b@marketplace.amazon.de"])
    # delivered nevertheless: the case a sender must record as an unknown outcome
    assert [m.message["Subject"] for m in smtp_server.messages] == ["dropped"]
    await asyncio.to_thread(_send, smtp_server, _message("after"), ["b@marketplace.amazon.de"])
    assert [m.message["Subject"] for m in smtp_server.messages] == ["dropped", "after"]
    assert smtp_server.pending_faults == 0


async def test_hang_makes_the_client_time_out_and_can_withhold_delivery(smtp_server: SmtpServer) -> None:
    smtp_server.inject("hang", hang_s=3.0, deliver=False)

    def send_with_short_timeout() -> None:
        with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=0.5) as client:
            client.send_message(_message("hung"), to_addrs=["b@marketplace.amazon.de"])

    with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected)):
        await asyncio.to_thread(send_with_short_timeout)
    assert smtp_server.messages == []
    assert smtp_server.faults_applied[-1][0].kind == "hang"


async def test_wait_for_counts_only_the_messages_a_predicate_accepts(smtp_server: SmtpServer) -> None:
    def is_second(mail: ReceivedMail) -> bool:
        return str(mail.message["Subject"]) == "second"

    waiting = asyncio.create_task(smtp_server.wait_for(1, timeout=10, predicate=is_second))
    await asyncio.to_thread(_send, smtp_server, _message("first"), ["b@marketplace.amazon.de"])
    await asyncio.sleep(0.2)
    assert not waiting.done()  # the first message does not match
    await asyncio.to_thread(_send, smtp_server, _message("second"), ["b@marketplace.amazon.de"])
    assert [str(m.message["Subject"]) for m in await waiting] == ["second"]
    assert len(await smtp_server.wait_for(2)) == 2
