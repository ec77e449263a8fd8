"""The phone finder as it was before the linter's speed-ups (commit f261bfa), kept verbatim as the
reference the faster ``detect.find_phones`` must agree with (tests/responder/replies/test_compliance_phones.py).
"""

from __future__ import annotations

import re

from services.responder.replies.compliance.detect import Found
from services.responder.replies.compliance.screen import required_literals

__all__ = ["find_phones"]

ORDER_ID = re.compile(r"\d(?<!\d\d)\d{2}-\d{7}-\d{7}(?!\d)")

# Numbers that look like phone numbers but are not: order ids, dates, times, prices, tracking numbers.
_NOT_PHONE = (
    ORDER_ID,
    re.compile(r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![./-]?\d)(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"(?<![\d./-])\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?![./-]?\d)"),
    re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)"),
    re.compile(
        r"(?:[$€£¥₩]|\b(?:eur|usd|gbp|jpy|cny|rmb|chf|pln|sek|cad|aud|mxn|brl|inr)\b)\s?\d[\d.,' ]*\d",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?<![\d.,])\d[\d.,' ]*\d?\s?"
        r"(?:[$€£¥円元₩]|\b(?:eur|euros?|usd|dollars?|gbp|pounds?|yen|jpy|cny|rmb)\b)",
        re.IGNORECASE,
    ),
    re.compile(r"(?<![\d.,])\d+[.,]\d{2}(?![\d.,])"),
)
_TRACKING = re.compile(
    r"(?:tracking|sendungs(?:nummer|verfolgung)|paketnummer|suivi|seguimiento|tracciamento|spedizione|"
    r"追跡|伝票|お問い合わせ番号|运单|单号|物流)[^\n\d]{0,25}?(?=[A-Z0-9-]*\d)([A-Z0-9][A-Z0-9-]{5,39}(?:\s\d{4}){0,4})",
    re.IGNORECASE,
)
_PHONE_KEYWORD = re.compile(
    r"(?:(?<![A-Za-z])(?:tel|tél|phone|telephone|téléphone|telefon|telefono|teléfono|mobile|mobil|handy|cell|"
    r"call|anrufen|appelez|llame|chiami|fax|hotline|whatsapp)(?![A-Za-z])|電話|电话|手机|携帯)[^\d\n+]{0,20}"
    r"(\+?\(?\d[\d\s.()/-]{5,}\d)",
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


# A phone number is a run of digits and separators with at least seven digits in one run.
_DIGIT_RUN = re.compile(r"\d(?:[\s.\-/()+]*\d){6,}")


# The keyword patterns only run when one of their keywords occurs (masking changes digits only).
_KEYWORD_NEEDS = required_literals(_PHONE_KEYWORD)
_TRACKING_NEEDS = required_literals(_TRACKING)


def _mask(text: str, patterns: tuple[re.Pattern[str], ...], group: int = 0) -> str:
    chars = list(text)
    for pattern in patterns:
        for m in pattern.finditer(text):
            for i in range(m.start(group), m.end(group)):
                chars[i] = "#"
    return "".join(chars)


def _digits(s: str) -> int:
    return sum(c.isdigit() for c in s)


def _may_match(needs: frozenset[str] | None, low: str | None) -> bool:
    return needs is None or low is None or any(lit in low for lit in needs)


def find_phones(text: str, low: str | None = None) -> list[Found]:
    """Phone numbers in national and international formats, skipping order ids, dates, prices, tracking."""
    # Every match lies in one run of digits and separators with seven digits or more; a run that is exactly
    # an order id is masked whole below. Most replies quote the order id and no other long number.
    if all(ORDER_ID.fullmatch(m.group()) for m in _DIGIT_RUN.finditer(text)):
        return []
    masked = _mask(text, _NOT_PHONE)
    found: list[Found] = []
    if _may_match(_KEYWORD_NEEDS, low):
        for m in _PHONE_KEYWORD.finditer(masked):
            if 7 <= _digits(m.group(1)) <= 15:
                found.append(Found(m.start(1), m.end(1), "phone_after_keyword", m.group(1)))
    if _may_match(_TRACKING_NEEDS, low):
        masked = _mask(masked, (_TRACKING,), group=1)
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
