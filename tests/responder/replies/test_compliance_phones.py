"""The faster phone finder finds exactly what the one before it found.

``detect.find_phones`` masks by spans, tries the keyword patterns only where a keyword occurs and stops
when masking left no run of seven digits. ``phones_reference.find_phones`` is the finder before those
changes, verbatim, run without any screening; both must agree on the templates, the draft corpus and its
hostile variants, and on generated texts built from the pieces the patterns care about (keywords next to
digit runs, dates, times, prices, tracking and order ids, separators, CJK, full-width digits).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.responder.replies.compliance import detect, lint
from services.responder.replies.compliance.normalize import normalize
from services.responder.replies.compliance.screen import fold
from tests.responder.replies import phones_reference
from tests.responder.replies.test_compliance_screen import TEXTS

_PIECES = (
    "tel", "Tel.", "TEL:", "hotel", "phone", "Telephone", "telefono", "mobile", "call us", "Call", "fax",
    "whatsapp", "WhatsApp", "anrufen", "appelez", "電話", "电话", "手机", "携帯", "tracking", "Tracking number",
    "sendungsnummer", "Sendungsverfolgung", "paketnummer", "suivi", "seguimiento", "spedizione", "追跡番号",
    "伝票", "运单号", "单号", "物流", "お問い合わせ番号", "1Z999AA1", "JD014600", "EUR", "eur", "Euro", "euros",
    "usd", "dollars", "yen", "CAD", "cadeau", "$", "€", "£", "¥", "円", "元", "₩", "+", "+49", "+1", "0049",
    "00", "0", "(0)", "(", ")", "-", "/", ".", ",", ":", "'", " ", "  ", "\n", "T", "at", "ab", "Order",
    "123-1234567-1234567", "2025-03-14", "14.03.2025", "3/14/25", "12:30", "9:05:00", "19,99", "1.234,56",
    "０３０", "ー", "Europe", "Intel", "x",
)  # fmt: skip


def _digits(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 12)))


def _generated(rng: random.Random) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(1, 14)):
        parts.append(_digits(rng) if rng.random() < 0.45 else rng.choice(_PIECES))
        parts.append(rng.choice(("", " ", " ", "-", ".", "/", ": ")))
    return normalize("".join(parts)).text


def _same(text: str) -> None:
    expected = phones_reference.find_phones(text, None)  # no screening: every pattern runs
    folded = fold(text)
    assert detect.find_phones(text, None if folded is None else folded.text) == expected, text
    assert detect.find_phones(text) == expected, text


def test_agrees_with_the_reference_on_the_corpus() -> None:
    hits = 0
    for text in TEXTS:
        normal = normalize(text).text
        _same(normal)
        hits += bool(phones_reference.find_phones(normal, None))
    assert hits > 20  # the corpus has phone numbers, so agreeing means finding them


def test_agrees_with_the_reference_on_generated_texts() -> None:
    rng = random.Random(14)
    found = 0
    for _ in range(4000):
        text = _generated(rng)
        _same(text)
        found += bool(phones_reference.find_phones(text, None))
    assert found > 400  # the generator makes phone numbers, not only noise


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.from_regex(r"\d{1,11}", fullmatch=True)), max_size=16))
def test_agrees_with_the_reference_on_any_piece_sequence(pieces: list[str]) -> None:
    _same(" ".join(pieces))
    _same("".join(pieces))


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Tracking 00340434161234567890, questions: 030 12345678", "030 12345678"),
        ("hotel 030 1234567 reception", "030 1234567"),
        ("Paid EUR 19,99 on 14.03.2025; call 0049 30 1234567", "0049 30 1234567"),
    ],
)
def test_phones_next_to_numbers_that_are_not_phones(text: str, phone: str) -> None:
    result = lint(text, channel="email", locale="en", order_id=None)
    assert [text[v.start : v.end] for v in result.violations if v.rule_id == "contact.phone"] == [phone]


def test_tracking_and_order_numbers_alone_are_not_phones() -> None:
    text = "Order 123-1234567-1234567 left on 14.03.2025, tracking number 00340434161234567890, EUR 19,99."
    assert detect.find_phones(text) == []
