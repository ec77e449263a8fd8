"""Who a reply may go to (only the From relay alias of the mail's marketplace) and which SES verdicts reject."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pytest

from services.ingest.intake import Intake
from services.ingest.parse import SesMail, SesMetadata, decode_document
from services.ingest.parse.mail_auth import authentication_failure
from services.ingest.parse.relay import parse_relay_email
from shared.errors import ValidationError
from shared.events import ComplaintSignalReceived, SignalKind
from shared.relay import parse_relay_alias, reply_target
from tests.ingest.parse.support import FIXTURES, RECEIVED_AT, ses_notification

MAIL = FIXTURES / "mail"
ALIAS = "k3xq9wz7m2bd5tf@marketplace.amazon.com"
ATTACKER = "attacker@evil.example"


def _parse(raw: bytes) -> ComplaintSignalReceived:
    return parse_relay_email(
        raw,
        seller_for_recipient=lambda _address: None,
        default_seller_id="A1TESTSELLER01",
        received_at=RECEIVED_AT,
        correlation_id="corr-mail",
    )


def _with_from(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new)


def test_a_relay_looking_from_with_an_attackers_reply_to_never_targets_the_attacker() -> None:
    event = _parse((MAIL / "en_spoofed_reply_to.eml").read_bytes())
    assert event.order_id == "112-3456789-0123456"
    assert event.kind is SignalKind.BUYER_MESSAGE
    assert event.buyer_alias == ALIAS
    assert event.reply_to == ALIAS
    assert ATTACKER not in event.model_dump_json()
    assert event.details == {"reply_to_ignored": True}


def test_a_relay_alias_only_in_reply_to_or_sender_gives_no_buyer_and_no_reply_target() -> None:
    event = _parse((MAIL / "en_relay_only_in_reply_to.eml").read_bytes())
    assert event.order_id == "112-3456789-0123456"
    assert (event.buyer_alias, event.reply_to, event.buyer_name) == (None, None, None)
    assert event.details["reply_to_ignored"] is True


def test_the_genuine_relay_mail_keeps_its_alias_and_ignores_nothing() -> None:
    event = _parse((MAIL / "en_current_plain.eml").read_bytes())
    assert (event.buyer_alias, event.reply_to, event.details) == (ALIAS, ALIAS, {})


@pytest.mark.parametrize(
    "address",
    [
        b"k3xq9wz7m2bd5tf@marketplace.amazon.com.evil.example",
        b"k3xq9wz7m2bd5tf@marketplace.amazon.cn",  # no relay MX, no marketplace here
        b"k3xq9wz7m2bd5tf@marketplace.amazon.example",
        b"k3xq9wz7m2bd5tf@marketplace-amazon.com",
        b"k3xq9wz7m2bd5tf@evil.marketplace.amazon.com",
        b"no-reply@marketplace.amazon.com",
    ],
)
def test_a_look_alike_or_system_from_is_no_reply_target(address: bytes) -> None:
    raw = (MAIL / "en_current_plain.eml").read_bytes().replace(ALIAS.encode(), address)
    event = _parse(raw)
    assert (event.buyer_alias, event.reply_to) == (None, None)


def test_two_from_mailboxes_make_no_buyer() -> None:
    raw = _with_from(
        (MAIL / "en_current_plain.eml").read_bytes(),
        b'From: "Jane R. - Amazon Marketplace" <k3xq9wz7m2bd5tf@marketplace.amazon.com>',
        b"From: k3xq9wz7m2bd5tf@marketplace.amazon.com, attacker@evil.example",
    )
    event = _parse(raw)
    assert (event.buyer_alias, event.reply_to) == (None, None)


def test_an_alias_of_another_marketplace_than_the_mail_is_kept_as_buyer_but_not_answered() -> None:
    raw = (MAIL / "en_current_plain.eml").read_bytes().replace(b"ATVPDKIKX0DER", b"A1PA6795UKMFR9")
    event = _parse(raw)
    assert event.marketplace_id == "A1PA6795UKMFR9"
    assert (event.buyer_alias, event.reply_to) == (ALIAS, None)
    assert event.details == {"relay_marketplace_mismatch": True}


def test_the_inbound_email_endpoint_path_applies_the_same_rules() -> None:
    intake = Intake(default_seller_id="A1TESTSELLER01")
    event = intake.mail(
        (MAIL / "en_spoofed_reply_to.eml").read_bytes(), received_at=RECEIVED_AT, correlation_id="c"
    )
    assert event.reply_to == ALIAS


@pytest.mark.parametrize(
    ("address", "marketplace_id", "expected"),
    [
        ("Abc123@Marketplace.Amazon.DE", "A1PA6795UKMFR9", "abc123@marketplace.amazon.de"),
        ("abc123+3f9a-77aa@marketplace.amazon.co.jp", None, "abc123+3f9a-77aa@marketplace.amazon.co.jp"),
        ("abc123@marketplace.amazon.de", "ATVPDKIKX0DER", None),  # another marketplace's alias
        ("abc123@marketplace.amazon.de", "UNKNOWNMP", "abc123@marketplace.amazon.de"),
        ("abc123@marketplace.amazon.de>\r\nBcc: x@evil.example", None, None),
        ("abc 123@marketplace.amazon.de", None, None),
        ("abc123@marketplace.amazon.de\x00", None, None),
        ("donotreply@marketplace.amazon.de", None, None),
        ("a" * 300 + "@marketplace.amazon.de", None, None),
        (None, None, None),
        ("", None, None),
    ],
)
def test_reply_target(address: str | None, marketplace_id: str | None, expected: str | None) -> None:
    assert reply_target(address, marketplace_id=marketplace_id) == expected


def test_relay_alias_parts() -> None:
    alias = parse_relay_alias("p7w2kq9d8xzr1mb+3f9a2c1e@marketplace.amazon.de")
    assert alias is not None
    assert (alias.local, alias.suffix, alias.buyer, alias.marketplace_id) == (
        "p7w2kq9d8xzr1mb",
        "3f9a2c1e",
        "p7w2kq9d8xzr1mb@marketplace.amazon.de",
        "A1PA6795UKMFR9",
    )


_PASSING = SesMetadata(
    message_id="ses-1",
    recipients=("support@trailgear.example",),
    timestamp=None,
    spam_verdict="PASS",
    virus_verdict="PASS",
    sns_message_id=None,
    spf_verdict="PASS",
    dkim_verdict="PASS",
    dmarc_verdict="PASS",
)


@pytest.mark.parametrize(
    ("changes", "rejected"),
    [
        ({}, None),
        ({"dmarc_verdict": None}, None),  # older notifications carry no DMARC verdict
        ({"dmarc_verdict": "GRAY"}, None),  # no DMARC policy published: SPF/DKIM decide
        ({"spf_verdict": "FAIL"}, None),  # DKIM still vouches for the sender
        ({"dkim_verdict": "FAIL"}, None),
        ({"spam_verdict": "GRAY"}, None),
        ({"spam_verdict": "PROCESSING_FAILED"}, None),
        ({"dmarc_verdict": "FAIL"}, "DMARC verdict FAIL"),
        ({"spf_verdict": "FAIL", "dkim_verdict": "FAIL"}, "could not authenticate"),
        ({"spf_verdict": "FAIL", "dkim_verdict": "GRAY", "dmarc_verdict": "GRAY"}, "could not authenticate"),
        ({"spf_verdict": "GRAY", "dkim_verdict": "PROCESSING_FAILED"}, "could not authenticate"),
        ({"spf_verdict": None, "dkim_verdict": None, "dmarc_verdict": None}, "spf=MISSING"),
        ({"spf_verdict": "DISABLED", "dkim_verdict": "DISABLED"}, "spf=DISABLED"),
        ({"spam_verdict": "FAIL"}, "spam verdict FAIL"),
        ({"virus_verdict": "FAIL"}, "virus verdict FAIL"),
        ({"virus_verdict": "PROCESSING_FAILED"}, "virus verdict PROCESSING_FAILED"),
        ({"dmarc_verdict": "fail"}, "DMARC verdict FAIL"),
    ],
)
def test_ses_verdicts(changes: dict[str, Any], rejected: str | None) -> None:
    reason = authentication_failure(replace(_PASSING, **changes))
    if rejected is None:
        assert reason is None
    else:
        assert reason is not None
        assert rejected in reason


def _receipt_with(**verdicts: str) -> dict[str, Any]:
    doc = ses_notification((MAIL / "en_spoofed_reply_to.eml").read_bytes(), encoding="BASE64")
    for name, status in verdicts.items():
        doc["receipt"][name] = {"status": status}
    return doc


async def test_a_forged_relay_mail_failing_dmarc_is_rejected_with_the_reason() -> None:
    envelope = decode_document(_receipt_with(spfVerdict="FAIL", dkimVerdict="FAIL", dmarcVerdict="FAIL"))
    assert isinstance(envelope, SesMail)
    assert (envelope.ses.spf_verdict, envelope.ses.dkim_verdict, envelope.ses.dmarc_verdict) == ("FAIL",) * 3
    with pytest.raises(ValidationError, match="DMARC verdict FAIL") as caught:
        await Intake(default_seller_id="S1").parse(envelope, received_at=RECEIVED_AT, correlation_id="c")
    assert caught.value.code == "ses_verdict"


async def test_a_mail_passing_ses_is_parsed() -> None:
    doc = _receipt_with()
    assert base64.b64decode(doc["content"]).startswith(b"Return-Path")
    parsed = await Intake(default_seller_id="S1").parse(
        decode_document(doc), received_at=RECEIVED_AT, correlation_id="c"
    )
    (event,) = parsed.events
    assert isinstance(event, ComplaintSignalReceived)
    assert event.reply_to == ALIAS
