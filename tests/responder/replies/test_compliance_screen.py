"""The linter's shortcuts change no verdict: screened patterns, in-place normalisation, script counts.

The screen skips a pattern only when literal text every match needs is absent; normalisation keeps offsets
when every character maps to one. These tests hold the shortcuts to the full computation on the repo's
templates, the draft corpus and hostile variants of both (zero-width characters, full-width digits and
punctuation, upper case, confusable letters), and check that obfuscations are still caught.
"""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest

from services.responder.replies.compliance import detect, lexicon, lint, reviews
from services.responder.replies.compliance.normalize import normalize
from services.responder.replies.compliance.screen import CASE_TRAPS, Screen, fold, required_literals
from services.responder.replies.templating import list_templates, render_reply, sample_variables
from tests.responder.replies.test_compliance_drafts import BLOCKED, CLEAN, ORDER

TABLES = {
    "marketing": lexicon.MARKETING,
    "off_amazon": lexicon.OFF_AMAZON + lexicon.OFF_AMAZON_CASED,
    "review_request": reviews.REVIEW_REQUEST,
    "review_incentive": reviews.REVIEW_INCENTIVE,
    "review_change": reviews.REVIEW_CHANGE,
}
_FULL_WIDTH = str.maketrans("0123456789.@:-", "０１２３４５６７８９．＠：－")


def _variants(text: str) -> list[str]:
    return [
        text,
        text.upper(),
        text.replace("o", "\u200bo").replace("e", "e\u00ad"),
        text.translate(_FULL_WIDTH),
        text.replace("i", "\u0131").replace("I", "\u0130"),
        text.replace("-", "\u2013").replace("a", "\uff41"),
    ]


def _texts() -> list[str]:
    texts = [text for _lang, _channel, text, _rules in BLOCKED] + [text for _lang, _channel, text in CLEAN]
    for t in list_templates():
        rendered = render_reply(
            category=t.category,
            channel=t.channel,
            buyer_locale=t.language,
            marketplace_id=None,
            variables=sample_variables(t.language),
        )
        texts.append(rendered.text)
    return [v for text in texts for v in _variants(text)]


TEXTS = _texts()


@pytest.mark.parametrize("name", sorted(TABLES))
def test_screen_never_skips_a_phrase_that_matches(name: str) -> None:
    table = TABLES[name]
    screen = Screen(pattern for _, pattern in table)
    for raw in TEXTS:
        text = normalize(raw).text
        run = set(screen.candidates(text, fold(text)))
        matching = {i for i, (_, pattern) in enumerate(table) if pattern.search(text)}
        assert matching <= run, (name, raw, [table[i][1].pattern for i in matching - run])


def test_screen_skips_most_phrases_of_a_compliant_reply() -> None:
    text = normalize(TEXTS[-6]).text  # the last template, unchanged
    ran = sum(len(Screen(p for _, p in table).candidates(text, fold(text))) for table in TABLES.values())
    assert ran < sum(len(table) for table in TABLES.values()) // 10


def test_detectors_agree_with_their_unscreened_patterns() -> None:
    for raw in TEXTS:
        text = normalize(raw).text
        links = {(f.start, f.end) for f in detect.find_links(text)}
        for pattern in (detect._SCHEME_URL, detect._WWW, detect._BARE, detect._DOT_WORD):
            for m in pattern.finditer(text):
                assert any(s <= m.start() < e or m.start() <= s < m.end() for s, e in links), (raw, m)
        emails = {(f.start, f.end) for f in detect.find_emails(text)}
        for m in detect._EMAIL.finditer(text):
            assert (m.start(), m.end()) in emails, (raw, m)
        if not all(detect.ORDER_ID.fullmatch(m.group()) for m in detect._DIGIT_RUN.finditer(text)):
            continue
        masked = detect._mask(text, detect._not_phone_spans(text, None))
        for pattern in detect._PHONE_SHAPES:
            assert all(sum(c.isdigit() for c in m.group()) < 8 for m in pattern.finditer(masked)), raw


def test_case_traps_list_every_letter_re_folds_unlike_lower() -> None:
    literal_chars = {
        ch
        for table in TABLES.values()
        for _, pattern in table
        if pattern.flags & re.IGNORECASE
        for lit in required_literals(pattern) or ()
        for ch in lit.lstrip("\x00")
    }
    everything = "".join(chr(cp) for cp in range(sys.maxunicode + 1) if not 0xD800 <= cp <= 0xDFFF)
    for ch in sorted(literal_chars):
        for m in re.finditer(re.escape(ch), everything, re.IGNORECASE):
            found = m.group()
            assert found.lower() == ch.lower() or found in CASE_TRAPS, (ch, hex(ord(found)))


def _reference_normalize(text: str) -> tuple[str, list[int]]:
    """The per-character loop without shortcuts (the definition normalize() must agree with)."""
    invisible = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
    dashes = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\ufe63"
    out: list[str] = []
    origin: list[int] = []
    prev_digit = False
    for i, ch in enumerate(text):
        if ch in invisible:
            continue
        rep = "-" if ch in dashes or (ch == "\u30fc" and prev_digit) else unicodedata.normalize("NFKC", ch)
        out.extend(rep)
        origin.extend([i] * len(rep))
        if rep:
            prev_digit = rep[-1].isdigit()
    return "".join(out), origin


def test_normalize_agrees_with_the_per_character_definition() -> None:
    for raw in [*TEXTS, "０９０ー１２３４ー５６７８", "ー1ー", "ﬁle ㎏ ½ x\u200by"]:
        norm = normalize(raw)
        text, origin = _reference_normalize(raw)
        assert norm.text == text, raw
        for start in range(len(text)):
            assert norm.span(start, start + 1) == (origin[start], origin[start] + 1), (raw, start)


@pytest.mark.parametrize(
    ("text", "rule", "excerpt"),
    [
        (
            f"Order {ORDER}: see ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ today.",
            "link.url",
            "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ",
        ),
        (f"Order {ORDER}: see w\u200bww.example.com today.", "link.url", "w\u200bww.example.com"),
        (f"Order {ORDER}: mail info＠example．com today.", "contact.email", "info＠example．com"),
        (
            f"Order {ORDER}: write to info (at) example (dot) com.",
            "contact.email",
            "info (at) example (dot) com",
        ),
        (f"Order {ORDER}: ring ０３０ １２３４ ５６７８ today.", "contact.phone", "０３０ １２３４ ５６７８"),
        (f"ご注文{ORDER}の件、090ー1234ー5678までご連絡ください。", "contact.phone", "090ー1234ー5678"),
        (f"Order {ORDER}: use this dıscount now.", "content.marketing", "dıscount"),
        (f"Order {ORDER}: DİSCOUNT for you.", "content.marketing", "DİSCOUNT"),
        (f"Order {ORDER}: ＣＡＬＬ ＵＳ any time.", "contact.off_amazon", "ＣＡＬＬ ＵＳ"),
        (f"Order {ORDER}: please leave a re\u200bview.", "content.review_request", "leave a re\u200bview"),
    ],
)
def test_obfuscations_are_still_caught_with_spans_in_the_original(text: str, rule: str, excerpt: str) -> None:
    result = lint(text, channel="email", locale=None, order_id=ORDER)
    spans = [text[v.start : v.end] for v in result.violations if v.rule_id == rule]
    assert excerpt in spans, [(v.rule_id, v.excerpt) for v in result.violations]


def test_required_literals_join_factored_alternatives_into_words() -> None:
    assert required_literals(re.compile(r"\b(?:outside|off)\s+amazon\b", re.I)) == frozenset(
        {"\x00outside", "\x00off"}
    )
    assert required_literals(re.compile(r"(?:a|b)?\d+")) is None
    assert required_literals(re.compile(r"レビュー(?:を|の)?(?:書|投稿)")) == frozenset({"レビュー"})
