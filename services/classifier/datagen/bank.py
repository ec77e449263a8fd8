"""Phrase-bank files: hand-written complaint sentences per label plus label-neutral framing parts.

Format (UTF-8 text, one entry a line, ``#`` starts a comment line)::

    [slot product]          forms of one value separated by ``|``; templates use {product}, {product1}, ...
    der Mixer|den Mixer|einen Mixer
    [NOT_RECEIVED]          a label section: core sentences; a leading "+ " marks a positive tone,
    Mein Paket ist nie angekommen.          "- " a negative one (OTHER only; complaint labels are negative)
    [greeting]              any other section name is a framing part (greeting, context, request.neg, ...)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BANK_DIR", "LABEL_SECTIONS", "Bank", "CoreLine", "load_banks", "parse_bank"]

BANK_DIR = Path(__file__).resolve().parent / "banks"
LABEL_SECTIONS = ("NOT_RECEIVED", "NOT_AS_DESCRIBED", "DEFECTIVE", "OTHER")
_HEADER = re.compile(r"^\[(?P<kind>slot )?(?P<name>[A-Za-z_.]+)\]$")


@dataclass(frozen=True, slots=True)
class CoreLine:
    """One hand-written sentence (a template) with its tone: pos, neu or neg."""

    text: str
    tone: str


@dataclass(slots=True)
class Bank:
    """Everything written for one language."""

    language: str
    slots: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    core: dict[str, list[CoreLine]] = field(default_factory=dict)
    parts: dict[str, list[str]] = field(default_factory=dict)


def parse_bank(language: str, text: str) -> Bank:
    """Parse one bank file."""
    bank = Bank(language)
    section: tuple[str, str] | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head = _HEADER.match(line)
        if head:
            kind = "slot" if head["kind"] else ("core" if head["name"] in LABEL_SECTIONS else "part")
            section = (kind, head["name"])
            continue
        if section is None:
            raise ValueError(f"{language}:{lineno}: entry before any [section]")
        kind, name = section
        if kind == "slot":
            bank.slots.setdefault(name, []).append(tuple(f.strip() for f in line.split("|")))
        elif kind == "core":
            tone = "neg" if name != "OTHER" else "neu"
            if line[:2] in ("+ ", "- "):
                tone, line = ("pos" if line[0] == "+" else "neg"), line[2:].strip()
            bank.core.setdefault(name, []).append(CoreLine(line, tone))
        else:
            bank.parts.setdefault(name, []).append(line)
    missing = [label for label in LABEL_SECTIONS if not bank.core.get(label)]
    if missing:
        raise ValueError(f"{language}: no sentences for {missing}")
    return bank


def load_banks(bank_dir: Path = BANK_DIR) -> list[Bank]:
    """All bank files, ordered by language code."""
    return [parse_bank(p.stem, p.read_text(encoding="utf-8")) for p in sorted(bank_dir.glob("*.txt"))]
