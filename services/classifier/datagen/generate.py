"""Compose labelled training messages from phrase banks, deterministically.

Every core sentence is used verbatim once, then again inside varied frames (tweet, e-mail, review, chat)
with label-neutral parts around it, slot values filled in and register noise (case, missing accents,
typos, punctuation) applied, so the model learns the complaint, not the frame.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from services.classifier.datagen.bank import LABEL_SECTIONS, Bank, CoreLine

__all__ = ["compose", "generate_rows"]

_SLOT = re.compile(r"\{([a-z_]+?)(\d?)\}")
_CJK = ("ja", "zh")
_REGISTERS = ("tweet", "email", "review", "chat")
_REGISTER_WEIGHTS = (35, 28, 27, 10)
_ASIDE_RATE = 0.25
_FRAMES_PER_LINE = 3.0
_DROP_RATE = 0.3
# OTHER is the broadest class (and most real traffic), so it gets more examples.
_LABEL_SHARE = {"OTHER": 1.5}


def _fill(template: str, bank: Bank, rng: random.Random, chosen: dict[str, tuple[str, ...]]) -> str:
    def repl(m: re.Match[str]) -> str:
        name, form = m.group(1), int(m.group(2) or 0)
        if name == "n":
            return str(rng.choice((2, 3, 3, 4, 5, 6, 7, 8, 10, 12, 14, 15, 20, 21, 30)))
        if name not in bank.slots:
            raise KeyError(f"{bank.language}: unknown slot {{{name}}} in {template!r}")
        value = chosen.setdefault(name, rng.choice(bank.slots[name]))
        return value[min(form, len(value) - 1)]

    return _SLOT.sub(repl, template)


def _pick(bank: Bank, part: str, rng: random.Random) -> str | None:
    options = bank.parts.get(part)
    return rng.choice(options) if options else None


def _lead(bank: Bank, line: CoreLine, rng: random.Random) -> str:
    """The core sentence, sometimes after a concessive lead ("Nice design, but ...")."""
    lead = _pick(bank, "mixed.lead", rng) if line.tone != "pos" and rng.random() < 0.15 else None
    if lead is None:
        return line.text
    text = line.text
    if bank.language in _CJK:
        return lead + text
    if len(text) > 1 and text[1].islower():
        text = text[0].lower() + text[1:]
    return f"{lead} {text}"


def _maybe(bank: Bank, part: str, rng: random.Random, p: float) -> str | None:
    return _pick(bank, part, rng) if rng.random() < p else None


def _frame(bank: Bank, label: str, line: CoreLine, rng: random.Random) -> list[str]:
    register = rng.choices(_REGISTERS, weights=_REGISTER_WEIGHTS)[0]
    # OTHER mixes freely (a question after praise); complaint lines pair with their own kind.
    any_tone = label == "OTHER" and rng.random() < 0.5
    pool = [c for c in bank.core[label] if (any_tone or c.tone == line.tone) and c is not line]
    second = rng.choice(pool).text if pool and rng.random() < 0.25 else None
    core = _lead(bank, line, rng)
    tone = line.tone
    if label != "OTHER" and rng.random() < _ASIDE_RATE:
        # Real complaints mix in service rants, payment or refund gripes; the complaint still decides the label.
        aside = rng.choice([c.text for c in bank.core["OTHER"] if c.tone == "neg"])
        core = f"{aside}{_joiner(bank)}{core}" if rng.random() < 0.5 else f"{core}{_joiner(bank)}{aside}"
    pieces: list[str | None]
    if register == "tweet":
        pieces = [_maybe(bank, "tweet.prefix", rng, 0.35), _maybe(bank, "story", rng, 0.1), core, second]
        pieces.append(_maybe(bank, f"closer.{tone}", rng, 0.5))
    elif register == "email":
        pieces = [
            _maybe(bank, "greeting", rng, 0.8),
            _maybe(bank, "context", rng, 0.4),
            _maybe(bank, "story", rng, 0.2),
            core,
            second,
            _maybe(bank, f"request.{tone}", rng, 0.6),
            _maybe(bank, "signoff", rng, 0.5),
        ]
    elif register == "review":
        pieces = [
            _maybe(bank, f"review.{tone}", rng, 0.35),
            _maybe(bank, "story", rng, 0.35),
            core,
            second,
            _maybe(bank, f"tail.{tone}", rng, 0.4),
        ]
    else:
        pieces = [core]
    return [p for p in pieces if p]


def _joiner(bank: Bank) -> str:
    return "" if bank.language in _CJK else " "


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f"))


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    op = rng.random()
    if op < 0.4:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif op < 0.7:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


_EN_SLANG = {
    "please": "pls",
    "you": "u",
    "your": "ur",
    "thanks": "thx",
    "because": "bc",
    "are": "r",
    "and": "&",
}


def _slang(text: str) -> str:
    """Tweet shorthand for English (pls, u, ur, thx), keeping the rest of the text."""
    return " ".join(_EN_SLANG.get(w.lower(), w) for w in text.split(" "))


def _noise(text: str, language: str, rng: random.Random) -> str:
    if language in _CJK:
        if rng.random() < 0.25:
            text = text.replace("。", rng.choice(("", " ", "！", "…")))
        if rng.random() < 0.1:
            text += rng.choice(("！！", "。。。", "(T_T)", "？？", "www" if language == "ja" else "哎"))
        return text
    if language == "en" and rng.random() < 0.15:
        text = _slang(text)
    r = rng.random()
    if r < 0.25:
        text = text.lower()
    elif r < 0.28:
        text = text.upper()
    if rng.random() < 0.15:
        text = _strip_accents(text)
    for _ in range(rng.choice((0, 0, 0, 0, 1, 1, 2))):
        text = _typo(text, rng)
    if rng.random() < _DROP_RATE:
        # Dropping a word now and then spreads the weight over more features (robust to unseen phrasing).
        words = text.split(" ")
        if len(words) > 4:
            del words[rng.randrange(len(words))]
            text = " ".join(words)
    if rng.random() < 0.15:
        text = text.rstrip(".!?")
    elif rng.random() < 0.08:
        text = text.rstrip(".") + rng.choice(("!!", "!!!", "??", " :(", " :/"))
    return text


def compose(bank: Bank, label: str, line: CoreLine, rng: random.Random, *, plain: bool = False) -> str:
    """One message around ``line``: verbatim (``plain``) or framed, filled and noised."""
    chosen: dict[str, tuple[str, ...]] = {}
    pieces = [line.text] if plain else _frame(bank, label, line, rng)
    text = _joiner(bank).join(_fill(p, bank, rng, chosen) for p in pieces)
    return text if plain else _noise(text, bank.language, rng)


def _rows_for(bank: Bank, label: str, per_label: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    lines = list(bank.core[label])
    seen: set[str] = set()
    n = 0
    for line in lines:
        text = compose(bank, label, line, rng, plain=True)
        if text not in seen:
            seen.add(text)
            n += 1
            yield {"id": f"{bank.language}-{label.lower()}-{n:05d}", "language": bank.language, "text": text}
    attempts = 0
    while n < per_label and attempts < per_label * 5:
        attempts += 1
        text = compose(bank, label, lines[attempts % len(lines)], rng)
        if text not in seen:
            seen.add(text)
            n += 1
            yield {"id": f"{bank.language}-{label.lower()}-{n:05d}", "language": bank.language, "text": text}


def generate_rows(banks: list[Bank], *, per_label: int, seed: int = 20240601) -> list[dict[str, Any]]:
    """Training rows ``{id, language, text, label}`` for every bank and label, in a fixed order."""
    rows: list[dict[str, Any]] = []
    for bank in sorted(banks, key=lambda b: b.language):
        for label in LABEL_SECTIONS:
            rng = random.Random(f"{seed}:{bank.language}:{label}")
            # Each sentence should appear in a few different frames, so big banks get more rows.
            base = max(per_label, round(_FRAMES_PER_LINE * len(bank.core[label])))
            n = round(base * _LABEL_SHARE.get(label, 1.0))
            rows.extend({**row, "label": label} for row in _rows_for(bank, label, n, rng))
    return rows
