"""Template variables: names, cleaning, per-language dates and sample values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from shared.errors import ValidationError

__all__ = [
    "OPTIONAL_VARIABLES",
    "REQUIRED_VARIABLES",
    "VARIABLES",
    "TemplateVariableError",
    "build_context",
    "format_date",
    "sample_variables",
]

REQUIRED_VARIABLES = ("order_id", "seller_name")
OPTIONAL_VARIABLES = (
    "buyer_name", "item_title", "asin", "latest_delivery_date", "carrier", "tracking_number",
    "original_subject",
)  # fmt: skip
VARIABLES = frozenset(REQUIRED_VARIABLES + OPTIONAL_VARIABLES)

_MAX_VALUE = 200
_ORDER_ID = re.compile(r"\d{3}-\d{7}-\d{7}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|aw|wg|fw|fwd|tr|rif|r|sv|antw)\s*:\s*)+", re.IGNORECASE)
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)  # fmt: skip


class TemplateVariableError(ValidationError):
    """A required variable is missing or a value has the wrong type or shape."""

    code = "template_variable"


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise TemplateVariableError("latest_delivery_date must be a date, datetime or ISO date string")


def format_date(value: object, lang: str) -> str:
    """A date as buyers of that language write it (unambiguous month names in English)."""
    d = _as_date(value)
    if lang == "en":
        return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
    if lang == "de":
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    if lang in ("fr", "es", "it"):
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if lang in ("ja", "zh"):
        return f"{d.year}年{d.month}月{d.day}日"
    return d.isoformat()


def _clean(name: str, value: object, lang: str) -> str | None:
    if value is None:
        return None
    if name == "latest_delivery_date":
        return format_date(value, lang)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise TemplateVariableError(f"variable {name} must be text, got {type(value).__name__}")
    # One line, no control characters: a value cannot add paragraphs or headers to the reply.
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    if name == "original_subject":
        text = _REPLY_PREFIX.sub("", text)
    if len(text) > _MAX_VALUE:
        text = text[: _MAX_VALUE - 1] + "…"
    return text or None


def build_context(variables: Mapping[str, object], lang: str) -> dict[str, str | None]:
    """Clean the known variables for rendering in ``lang``; unknown names are dropped."""
    ctx: dict[str, str | None] = dict.fromkeys(OPTIONAL_VARIABLES)
    for name in VARIABLES:
        if name in variables:
            ctx[name] = _clean(name, variables[name], lang)
    for name in REQUIRED_VARIABLES:
        if not ctx.get(name):
            raise TemplateVariableError(f"missing required variable {name}")
    if not _ORDER_ID.fullmatch(ctx["order_id"] or ""):
        raise TemplateVariableError("order_id must look like 123-1234567-1234567")
    return ctx


_SAMPLE_NAMES = {"en": "Alex Smith", "de": "Anna Müller", "fr": "Claire Martin", "es": "Lucía García",
                 "it": "Giulia Rossi", "ja": "山田 花子", "zh": "王芳"}  # fmt: skip
_SAMPLE_TITLES = {
    "en": "Stainless steel water bottle, 750 ml", "de": "Edelstahl-Trinkflasche, 750 ml",
    "fr": "Gourde en acier inoxydable, 750 ml", "es": "Botella de acero inoxidable, 750 ml",
    "it": "Borraccia in acciaio inox, 750 ml", "ja": "ステンレスボトル 750ml", "zh": "不锈钢保温水杯 750毫升",
}  # fmt: skip


def sample_variables(lang: str) -> dict[str, object]:
    """Realistic variables for rendering a template in a language (lint-templates, override checks)."""
    return {
        "order_id": "123-1234567-1234567",
        "seller_name": "Northwind Home",
        "buyer_name": _SAMPLE_NAMES.get(lang, "Alex Smith"),
        "item_title": _SAMPLE_TITLES.get(lang, _SAMPLE_TITLES["en"]),
        "asin": "B0C1234XYZ",
        "latest_delivery_date": date(2025, 3, 14),
        "carrier": "DHL",
        "tracking_number": "00340434161234567890",
        "original_subject": "Inquiry from Amazon customer (Order: 123-1234567-1234567)",
    }
