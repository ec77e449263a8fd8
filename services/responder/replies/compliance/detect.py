"""Span finders for links, e-mail addresses and phone numbers (on normalised text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.responder.replies.compliance.model import LinkRule
from services.responder.replies.compliance.screen import fold

__all__ = ["ORDER_ID", "Found", "find_emails", "find_links", "find_phones", "link_allowed"]

# ``\d{3}-\d{7}-\d{7}`` not preceded or followed by a digit. Written to start with ``\d`` (the lookbehind
# after the first digit says the same as ``(?<!\d)`` before it) so that ``re`` skips to digits in C.
ORDER_ID = re.compile(r"\d(?<!\d\d)\d{2}-\d{7}-\d{7}(?!\d)")

_TLDS = (
    "com|net|org|info|biz|io|co|me|ly|gl|to|app|dev|shop|store|online|site|xyz|top|vip|club|link|eu|de|at|"
    "ch|fr|be|nl|es|it|pt|pl|se|dk|no|fi|ie|uk|jp|cn|hk|tw|kr|in|ca|us|mx|br|au|tr|ae|sa|sg|eg|ru|cz|hu|ro|gr"
)
# Obfuscated forms ("shop dot de") only count with TLDs that are not also ordinary words in some language.
_OBF_TLDS = "com|net|org|info|shop|store|de|fr|uk|jp|cn|eu|nl|pl|ru|ch|io"

# ASCII word boundaries: Japanese and Chinese glue links and numbers straight to the surrounding text.
_B = r"(?<![A-Za-z0-9_])"
_E = r"(?![A-Za-z0-9_])"
_STOP = r"[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]"  # URL characters (RFC 3986); CJK text ends a link
_SCHEME_URL = re.compile(rf"{_B}(?:https?|ftp)://{_STOP}+|{_B}(?:javascript|data):{_STOP}+", re.IGNORECASE)
_WWW = re.compile(rf"{_B}www\d{{0,3}}\.{_STOP}+", re.IGNORECASE)
# Bare domains need a lower-case TLD so a missing space ("arrived.It was") is not taken for a domain.
_BARE = re.compile(
    rf"(?<![A-Za-z0-9_@.-])(?:[A-Za-z0-9][A-Za-z0-9-]{{0,62}}\.)+(?:{_TLDS})(?![A-Za-z0-9-])(?:/{_STOP}*)?"
)
_LABEL = r"[a-z0-9][a-z0-9-]{1,62}"
_DOT_WORD = re.compile(
    rf"{_B}{_LABEL}\s*[\[({{<]?\s*(?:dot|ドット|点)\s*[\])}}>]?\s*(?:{_OBF_TLDS}){_E}"
    rf"|{_B}{_LABEL}\s*(?:\[\s*(?:punkt|point|punto|ponto)\s*\]|\(\s*(?:punkt|point|punto|ponto)\s*\))"
    rf"\s*(?:{_OBF_TLDS}){_E}"
    rf"|{_B}{_LABEL}\s+(?:punkt|point|punto|ponto)\s+(?:com|net|org|info){_E}"
    rf"|{_B}{_LABEL}(?:\s+\.\s*|\s*\.\s+)(?:com|net|org|info){_E}",
    re.IGNORECASE,
)

_EMAIL = re.compile(r"(?:mailto:)?[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.IGNORECASE)
_AT = r"(?:\s*[\[({<]\s*(?:at|ät|アット)\s*[\])}>]\s*|\s*@\s*|\s*アットマーク\s*)"
_DOT = r"(?:\s*\.\s*|\s*[\[({<]\s*(?:dot|punkt|point|punto)\s*[\])}>]\s*|\s+dot\s+|\s*ドット\s*)"
_OBF_EMAIL = re.compile(
    rf"{_B}[a-z0-9._%+-]+{_AT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*{_DOT}(?:{_TLDS}){_E}"
    # Plain " at " only with an obfuscated dot too: "look at dhl.de" is a link, "name at shop dot com" is not.
    rf"|{_B}[a-z0-9._%+-]+\s+at\s+[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*(?:\s+dot\s+|\s*[\[(]\s*dot\s*[\])]\s*)"
    rf"(?:{_TLDS}){_E}",
    re.IGNORECASE,
)

# Numbers that look like phone numbers but are not: order ids, dates, times, prices, tracking numbers. Those
# that start with a digit are written as ``\d(?<!...\d)``: the lookbehind after the first digit says what
# ``(?<!...)`` before it said, and a pattern that starts with ``\d`` lets ``re`` skip to digits in C.
_NOT_PHONE = (
    ORDER_ID,
    re.compile(r"\d(?<!\d\d)\d{3}[-/.]\d{1,2}[-/.]\d{1,2}(?![./-]?\d)(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"\d(?<![\d./-]\d)\d?[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?![./-]?\d)"),
    re.compile(r"\d(?<!\d\d)\d?:\d{2}(?::\d{2})?(?!\d)"),
    re.compile(
        r"\d(?<![\d.,]\d)[\d.,' ]*\d?\s?"
        r"(?:[$€£¥円元₩]|\b(?:eur|euros?|usd|dollars?|gbp|pounds?|yen|jpy|cny|rmb)\b)",
        re.IGNORECASE,
    ),
    re.compile(r"\d(?<![\d.,]\d)\d*[.,]\d{2}(?![\d.,])"),
)
# A price with the currency first starts with a symbol or a word; it only runs when one of them occurs.
_CURRENCY_FIRST = re.compile(
    r"(?:[$€£¥₩]|\b(?:eur|usd|gbp|jpy|cny|rmb|chf|pln|sek|cad|aud|mxn|brl|inr)\b)\s?\d[\d.,' ]*\d",
    re.IGNORECASE,
)
_CURRENCY_SYMBOLS = "$€£¥₩"
_CURRENCY_WORDS = (
    "eur",
    "usd",
    "gbp",
    "jpy",
    "cny",
    "rmb",
    "chf",
    "pln",
    "sek",
    "cad",
    "aud",
    "mxn",
    "brl",
    "inr",
)

# Every match of the two keyword patterns starts with one of their keywords: they are tried only where one
# occurs (``_scan``), not at every position of the text.
_TRACKING_WORDS = (
    "tracking", "sendungsnummer", "sendungsverfolgung", "paketnummer", "suivi", "seguimiento", "tracciamento",
    "spedizione", "追跡", "伝票", "お問い合わせ番号", "运单", "单号", "物流",
)  # fmt: skip
_TRACKING = re.compile(
    "(?:"
    + "|".join(_TRACKING_WORDS)
    + r")[^\n\d]{0,25}?(?=[A-Z0-9-]*\d)([A-Z0-9][A-Z0-9-]{5,39}(?:\s\d{4}){0,4})",
    re.IGNORECASE,
)
_PHONE_WORDS = (
    "tel", "tél", "phone", "telephone", "téléphone", "telefon", "telefono", "teléfono", "mobile", "mobil",
    "handy", "cell", "call", "anrufen", "appelez", "llame", "chiami", "fax", "hotline", "whatsapp",
)  # fmt: skip
_PHONE_WORDS_CJK = ("電話", "电话", "手机", "携帯")
_PHONE_KEYWORD = re.compile(
    "(?:(?<![A-Za-z])(?:" + "|".join(_PHONE_WORDS) + ")(?![A-Za-z])|" + "|".join(_PHONE_WORDS_CJK) + ")"
    r"[^\d\n+]{0,20}(\+?\(?\d[\d\s.()/-]{5,}\d)",
    re.IGNORECASE,
)
_PHONE_SHAPES = (
    # international: +49 30 1234567, 0049 (0)30 1234567, +81-90-1234-5678
    re.compile(r"(?<![A-Za-z0-9_+])(?:\+|00)[1-9]\d{0,2}(?:[\s.\-/]?\(?\d{1,5}\)?){2,6}(?![A-Za-z0-9_])"),
    # national with a leading zero in groups: 030 1234567, 090-1234-5678, 01 23 45 67 89, 0120-123-456
    re.compile(r"(?<![A-Za-z0-9_.\-/])\(?0\d{1,4}\)?(?:[\s.\-/]\d{2,8}){1,4}(?![A-Za-z0-9_]|[.\-/]\d)"),
    # North American: (555) 123-4567, 555-123-4567, 555.123.4567
    re.compile(
        r"(?<![A-Za-z0-9_.\-/])(?:\(\d{3}\)\s?|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}(?![A-Za-z0-9_]|[.\-/]\d)"
    ),
    # unbroken mobiles: Chinese 13812345678, Japanese 09012345678
    re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0[5-9]0\d{8})(?!\d)"),
)


# Cheap necessary conditions (a literal or a pattern with a literal start, which ``re`` scans for in C): when
# one fails, its detector cannot match and is not run. Each is implied by every match of its detector.
_BARE_HINT = re.compile(rf"\.(?:{_TLDS})(?![A-Za-z0-9-])")
_DOT_WORD_HINT = re.compile(r"\.\s*(?:com|net|org|info)", re.IGNORECASE)
_DOT_WORDS = ("dot", "ドット", "点", "punkt", "point", "punto", "ponto")
_OBF_AT_HINT = re.compile(r"[\[({<]\s*(?:at|ät)", re.IGNORECASE)
# A phone number is a run of digits and separators with at least seven digits in one run.
_DIGIT_RUN = re.compile(r"\d(?:[\s.\-/()+]*\d){6,}")


@dataclass(frozen=True, slots=True)
class Found:
    """A match in the normalised text; ``kind`` tells how it was found."""

    start: int
    end: int
    kind: str
    value: str


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with every character inside one of ``spans`` replaced by ``#`` (same length)."""
    if not spans:
        return text
    out: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if end <= at:
            continue
        start = max(start, at)
        out.append(text[at:start])
        out.append("#" * (end - start))
        at = end
    out.append(text[at:])
    return "".join(out)


def _occurrences(low: str, words: tuple[str, ...]) -> list[int]:
    """Ascending indexes where one of ``words`` starts in ``low``."""
    found: set[int] = set()
    for word in words:
        i = low.find(word)
        while i != -1:
            found.add(i)
            i = low.find(word, i + 1)
    return sorted(found)


def _scan(
    pattern: re.Pattern[str], text: str, low: str | None, words: tuple[str, ...]
) -> list[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern whose every match starts with one of ``words`` (lower case,
    case-insensitive pattern): matched only where a word occurs in ``low`` (``text`` lower-cased, same
    offsets), instead of at every position. Lookbehinds still see the text before a start."""
    if low is None:
        return list(pattern.finditer(text))
    found: list[re.Match[str]] = []
    end = 0
    for i in _occurrences(low, words):
        if i >= end and (m := pattern.match(text, i)) is not None:
            found.append(m)
            end = m.end()
    return found


def _not_phone_spans(text: str, low: str | None) -> list[tuple[int, int]]:
    spans = [m.span() for pattern in _NOT_PHONE for m in pattern.finditer(text)]
    if low is None or any(c in text for c in _CURRENCY_SYMBOLS) or any(w in low for w in _CURRENCY_WORDS):
        spans.extend(m.span() for m in _CURRENCY_FIRST.finditer(text))
    return spans


def _digits(s: str) -> int:
    return sum(c.isdigit() for c in s)


def _lower(text: str) -> str | None:
    # None: the text holds a letter ``re`` folds otherwise than str.lower, so no literal screening
    return None if (folded := fold(text)) is None else folded.text


def find_emails(text: str, low: str | None = None) -> list[Found]:
    """Plain and obfuscated e-mail addresses (``low``: ``fold(text).text`` when the caller has it)."""
    low = low if low is not None else _lower(text)
    at = "@" in text
    found = [Found(m.start(), m.end(), "email", m.group()) for m in _EMAIL.finditer(text)] if at else []
    if not (
        at
        or low is None
        or "アット" in text
        or ("at" in low and "dot" in low)
        or _OBF_AT_HINT.search(text) is not None
    ):
        return found
    for m in _OBF_EMAIL.finditer(text):
        if not any(f.start <= m.start() < f.end for f in found):
            found.append(Found(m.start(), m.end(), "obfuscated_email", m.group()))
    return found


def _link_detectors(text: str, low: str | None) -> list[tuple[str, re.Pattern[str]]]:
    """The link detectors that may match ``text`` (in their fixed order)."""
    if low is None:
        return [("url", _SCHEME_URL), ("www", _WWW), ("domain", _BARE), ("obfuscated", _DOT_WORD)]
    run: list[tuple[str, re.Pattern[str]]] = []
    if "://" in text or "javascript" in low or "data" in low:
        run.append(("url", _SCHEME_URL))
    if "www" in low:
        run.append(("www", _WWW))
    if "." in text and _BARE_HINT.search(text) is not None:
        run.append(("domain", _BARE))
    if any(w in low for w in _DOT_WORDS) or ("." in text and _DOT_WORD_HINT.search(text) is not None):
        run.append(("obfuscated", _DOT_WORD))
    return run


def find_links(text: str, low: str | None = None) -> list[Found]:
    """URLs with a scheme, www. hosts, bare domains and "example dot com" forms."""
    found: list[Found] = []
    for kind, pattern in _link_detectors(text, low if low is not None else _lower(text)):
        for m in pattern.finditer(text):
            if any(f.start <= m.start() < f.end or m.start() <= f.start < m.end() for f in found):
                continue
            found.append(Found(m.start(), m.end(), kind, m.group().rstrip(".,;:!?)")))
    return found


def _host_and_path(found: Found) -> tuple[str, str]:
    value = found.value
    if found.kind == "obfuscated":
        host = re.sub(
            r"[\s\[\](){}<>]+", "", re.sub(r"(?i)dot|punkt|point|punto|ponto|ドット|点", ".", value)
        )
        return host.lower(), ""
    if found.kind != "url":
        value = "http://" + value
    parts = urlsplit(value)
    return (parts.hostname or "").lower(), parts.path or ""


def link_allowed(found: Found, rules: tuple[LinkRule, ...]) -> bool:
    """True when a rule of the channel allows the link's host (and path)."""
    if found.kind == "url" and not found.value.lower().startswith(("http://", "https://")):
        return False
    host, path = _host_and_path(found)
    for rule in rules:
        if not any(host == s or host.endswith("." + s) for s in rule.host_suffixes):
            continue
        if not rule.path_prefixes or path in ("", "/") or path.startswith(rule.path_prefixes):
            return True
    return False


def find_phones(text: str, low: str | None = None) -> list[Found]:
    """Phone numbers in national and international formats, skipping order ids, dates, prices, tracking."""
    # Every match lies in one run of digits and separators with seven digits or more (``_DIGIT_RUN``) that
    # masking left whole: no such run, no phone number. Most replies quote the order id and no other long
    # number; the others often only a date, a price or a tracking number.
    if all(ORDER_ID.fullmatch(m.group()) for m in _DIGIT_RUN.finditer(text)):
        return []
    low = low if low is not None else _lower(text)
    masked = _mask(text, _not_phone_spans(text, low))
    if _DIGIT_RUN.search(masked) is None:
        return []
    found: list[Found] = []
    for m in _scan(_PHONE_KEYWORD, masked, low, _PHONE_WORDS + _PHONE_WORDS_CJK):
        if 7 <= _digits(m.group(1)) <= 15:
            found.append(Found(m.start(1), m.end(1), "phone_after_keyword", m.group(1)))
    masked = _mask(masked, [m.span(1) for m in _scan(_TRACKING, masked, low, _TRACKING_WORDS)])
    if _DIGIT_RUN.search(masked) is None:
        return found
    for pattern in _PHONE_SHAPES:
        for m in pattern.finditer(masked):
            value = m.group()
            digits = _digits(value)
            international = value.startswith(("+", "00"))
            if not (8 if international else 9) <= digits <= 15:
                continue
            if any(f.start < m.end() and m.start() < f.end for f in found):
                continue
            found.append(Found(m.start(), m.end(), "phone", value))
    return found
