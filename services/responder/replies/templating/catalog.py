"""The repo template catalogue (files + metadata.toml) and the language fallback chain."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from services.responder.replies.compliance import language_of_locale
from services.responder.replies.ids import TemplateId

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "LANGUAGES",
    "MARKETPLACE_LANGUAGE",
    "TEMPLATE_DIR",
    "Fallback",
    "TemplateInfo",
    "language_chain",
    "list_templates",
    "repo_templates",
    "template_channel",
]

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
LANGUAGES = ("en", "de", "fr", "es", "it", "ja", "zh")
CATEGORIES = ("not_received", "not_as_described", "defective", "none", "escalation")
CHANNELS = ("email", "messaging:unexpectedProblem")
# confirmDeliveryDetails is only chosen for delivery problems, which the unexpectedProblem texts describe.
_TEMPLATE_CHANNEL = {"messaging:confirmDeliveryDetails": "messaging:unexpectedProblem"}

# SP-API marketplace id -> the marketplace's default language.
MARKETPLACE_LANGUAGE: Mapping[str, str] = {
    "ATVPDKIKX0DER": "en", "A2EUQ1WTGCTBG2": "en", "A1AM78C64UM0Y8": "es", "A2Q3Y263D00KWC": "pt",
    "A1F83G8C2ARO7P": "en", "A1PA6795UKMFR9": "de", "A13V1IB3VIYZZH": "fr", "APJ6JRA9NG5V4": "it",
    "A1RKKUPIHCS9HS": "es", "A1805IZSGTT6HS": "nl", "A2NODRKZP88ZB9": "sv", "A1C3SOZRARQ6R3": "pl",
    "AMEN7PMS3EDWL": "fr", "A33AVAJ2PDY3EV": "tr", "A1VC38T7YXB528": "ja", "A39IBJ37TRP1C6": "en",
    "A21TJRUUN4KGV": "en", "A2VIGQ35RCS4UG": "ar", "A17E79C6D8DWNP": "ar", "A19VAU5U5O7RUS": "en",
    "ARBP9OOSHTCHU": "ar", "A28R8C7NBKEWEA": "en", "AAHKV2X7AFYLW": "zh", "AE08WJ6YKNBMC": "en",
}  # fmt: skip

Fallback = Literal["marketplace_language", "default_english"]


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    """One repo template: id, where it applies, its version, its source and (e-mail) subject template."""

    template_id: str
    channel: str
    category: str
    language: str
    version: str
    source: str
    subject: str | None
    variants: tuple[str, ...] = ()  # other wordings of the same reply (the identical-message cap's spread)


@lru_cache(maxsize=1)
def repo_templates() -> Mapping[str, TemplateInfo]:
    """All repo templates by id, read once."""
    meta = tomllib.loads((TEMPLATE_DIR / "metadata.toml").read_text(encoding="utf-8"))
    subjects: dict[str, dict[str, str]] = meta.get("subjects", {})
    catalog: dict[str, TemplateInfo] = {}
    for template_id, entry in meta["templates"].items():
        parsed = TemplateId.parse(template_id)
        channel, category, lang = parsed.channel, parsed.category, parsed.language
        source = (TEMPLATE_DIR / (template_id.replace(":", "/") + ".j2")).read_text(encoding="utf-8")
        subject = entry.get("subject") or subjects.get(channel, {}).get(lang)
        catalog[template_id] = TemplateInfo(
            template_id,
            channel,
            category,
            lang,
            str(entry["version"]),
            source,
            subject,
            _variants(template_id),
        )
    return catalog


def _variants(template_id: str) -> tuple[str, ...]:
    """Sources of ``variants/<template path>/<n>.j2``, by n (2, 3, ...): the same reply in other words."""
    folder = TEMPLATE_DIR / "variants" / template_id.replace(":", "/")
    files = sorted(folder.glob("*.j2"), key=lambda f: int(f.stem) if f.stem.isdigit() else 0)
    return tuple(f.read_text(encoding="utf-8") for f in files if f.stem.isdigit())


def list_templates() -> tuple[TemplateInfo, ...]:
    """Every repo template, sorted by id."""
    return tuple(sorted(repo_templates().values(), key=lambda t: t.template_id))


def template_channel(channel: str) -> str:
    """The channel whose repo templates serve ``channel``."""
    return _TEMPLATE_CHANNEL.get(channel, channel)


def language_chain(buyer_locale: str | None, marketplace_id: str | None) -> list[tuple[str, Fallback | None]]:
    """Languages to try in order, each with the fallback it would record."""
    chain: list[tuple[str, Fallback | None]] = []
    buyer = language_of_locale(buyer_locale)
    if buyer:
        chain.append((buyer, None))
    market = MARKETPLACE_LANGUAGE.get(marketplace_id or "")
    if market and all(market != lang for lang, _ in chain):
        chain.append((market, "marketplace_language"))
    if all(lang != "en" for lang, _ in chain):
        chain.append(("en", "default_english"))
    return chain
