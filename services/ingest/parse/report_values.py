"""Cell values of Amazon flat-file and XML reports: dates in many layouts, amounts, flags, counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

__all__ = ["parse_amount", "parse_count", "parse_flag", "parse_report_date"]

_ZONES = {
    "UTC": 0.0, "GMT": 0.0, "Z": 0.0, "WET": 0.0, "BST": 1.0, "CET": 1.0, "CEST": 2.0, "MEZ": 1.0,
    "MESZ": 2.0, "EET": 2.0, "EEST": 3.0, "IST": 5.5, "JST": 9.0, "AEST": 10.0, "AEDT": 11.0, "SGT": 8.0,
    "PST": -8.0, "PDT": -7.0, "MST": -7.0, "MDT": -6.0, "CST": -6.0, "CDT": -5.0, "EST": -5.0, "EDT": -4.0,
    "BRT": -3.0,
}  # fmt: skip
_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "janv", "gen", "ene", "januar"), ("feb", "févr", "fev", "febr"),
            ("mar", "mär", "mars", "marz"),
            ("apr", "avr", "abr"), ("may", "mai", "mag", "mayo"), ("jun", "juin", "giu", "juni"),
            ("jul", "juil", "lug", "juli"), ("aug", "août", "ago"), ("sep", "sept", "set"),
            ("oct", "okt", "ott"), ("nov",), ("dec", "déc", "dez", "dic"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_ZONE_SUFFIX = re.compile(r"\s+\(?([A-Z]{1,5})\)?$")
_NUMERIC_DATE = re.compile(
    r"^(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_NAMED_DATE = re.compile(
    r"^(?:(\d{1,2})\.?[\s-]+([^\W\d]+)\.?[\s,-]+(\d{4})|([^\W\d]+)\.?\s+(\d{1,2}),?\s+(\d{4}))"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_TRUE = frozenset({"y", "yes", "true", "1", "ja", "oui", "si", "sí", "sim", "はい", "x"})
_FALSE = frozenset({"n", "no", "false", "0", "nein", "non", "não", "いいえ", ""})


def _year(value: int) -> int:
    return value + 2000 if value < 100 else value


def _numeric(match: re.Match[str], day_first: bool) -> tuple[int, int, int]:
    first, second, third = (int(match.group(index)) for index in (1, 2, 3))
    if len(match.group(1)) == 4:
        return first, second, third
    if first > 12:
        day_first = True
    elif second > 12:
        day_first = False
    day, month = (first, second) if day_first else (second, first)
    return _year(third), month, day


def _named(match: re.Match[str]) -> tuple[int, int, int] | None:
    if match.group(1):
        day, name, year = int(match.group(1)), match.group(2), int(match.group(3))
    else:
        name, day, year = match.group(4), int(match.group(5)), int(match.group(6))
    month = _MONTHS.get(name.lower()[:5]) or _MONTHS.get(name.lower()[:4]) or _MONTHS.get(name.lower()[:3])
    return (year, month, day) if month else None


def parse_report_date(raw: str, *, day_first: bool = True) -> datetime:
    """A report date or timestamp, aware, in the offset written (UTC when none); ValueError when unreadable."""
    text = raw.strip()
    zone = _ZONE_SUFFIX.search(text)
    tz: timezone = UTC
    if zone and zone.group(1) in _ZONES:
        tz = timezone(timedelta(hours=_ZONES[zone.group(1)]))
        text = text[: zone.start()].strip()
    # Japanese reports write 2024年3月5日.
    text = text.replace("年", "/").replace("月", "/").replace("日", "")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is not None:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    numeric = _NUMERIC_DATE.match(text)
    named = None if numeric else _NAMED_DATE.match(text)
    if numeric:
        ymd: tuple[int, int, int] | None = _numeric(numeric, day_first)
        clock = numeric.group(4, 5, 6)
    elif named:
        ymd = _named(named)
        clock = named.group(7, 8, 9)
    else:
        raise ValueError(f"unrecognised date {raw!r}")
    if ymd is None:
        raise ValueError(f"unrecognised month in {raw!r}")
    hour, minute, second = (int(part) if part else 0 for part in clock)
    return datetime(*ymd, hour, minute, second, tzinfo=tz)


def parse_amount(raw: str) -> Decimal | None:
    """``12.99``, ``1,234.56``, ``1.234,56``, ``€ 12,99``, ``12.99 EUR``; None when blank, else ValueError."""
    if not raw.strip():
        return None
    text = re.sub(r"[^\d,.\-]", "", raw)
    if not re.search(r"\d", text):
        raise ValueError(f"{raw!r} is not an amount")
    if "," in text and "." in text:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
    elif "," in text:
        decimal_sep = "," if len(text) - text.rfind(",") - 1 in (1, 2) else ""
    else:
        decimal_sep = "."
    thousands = {",", "."} - {decimal_sep}
    for sep in thousands:
        text = text.replace(sep, "")
    text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{raw!r} is not an amount") from exc


def parse_flag(raw: str) -> bool:
    """Y/N style flags in any of the report languages; ValueError for anything else."""
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not a yes/no flag")


def parse_count(raw: str) -> int | None:
    """A non-negative integer cell; None when blank, ValueError otherwise."""
    text = raw.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{raw!r} is not a quantity")
    return int(text)
