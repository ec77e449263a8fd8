"""Text normalisation for matching (NFKC, no zero-width characters, unified dashes) with an offset map."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

__all__ = ["Normalized", "normalize"]

# Zero-width characters and soft hyphens are invisible to the buyer but split "w\u200bww" for a regex.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\ufe63")
_CHOONPU = "\u30fc"  # Japanese long-vowel mark, used as a dash in phone numbers written by hand


@dataclass(frozen=True, slots=True)
class Normalized:
    """``text`` is the normalised string; ``origin[i]`` is the index in the original of ``text[i]``.

    ``origin`` is None when every character became exactly one character (the common case, also for
    full-width punctuation): every index maps to itself.
    """

    original: str
    text: str
    origin: tuple[int, ...] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text back to the original text."""
        if self.origin is None:
            return start, max(start, end)
        if end <= start:
            pos = self.origin[start] if start < len(self.origin) else len(self.original)
            return pos, pos
        return self.origin[start], self.origin[end - 1] + 1


@functools.lru_cache(maxsize=4096)
def _replacement(ch: str) -> str:
    """What one character becomes, whatever its neighbours (the long-vowel mark is decided in context)."""
    if ch in _INVISIBLE:
        return ""
    if ch in _DASHES:
        return "-"
    return unicodedata.normalize("NFKC", ch)


def _in_place(text: str) -> str | None:
    """The normal form when every character maps to exactly one (offsets unchanged), else None."""
    table: dict[int, str] = {}
    for ch in set(text):
        if ch > "\x7f" and (rep := _replacement(ch)) != ch:
            if len(rep) != 1:
                return None  # a character dropped or expanded: offsets move, the loop below maps them
            table[ord(ch)] = rep
    out = text.translate(table) if table else text
    # The long-vowel mark after a digit is a dash; the character before it is already in its normal form.
    i = out.find(_CHOONPU)
    while i != -1:
        if i > 0 and out[i - 1].isdigit():
            out = f"{out[:i]}-{out[i + 1 :]}"
        i = out.find(_CHOONPU, i + 1)
    return out


def normalize(text: str) -> Normalized:
    """NFKC per character (full-width digits and letters become ASCII), invisible characters dropped."""
    if text.isascii():
        return Normalized(original=text, text=text, origin=None)  # ASCII is its own normal form
    same_length = _in_place(text)
    if same_length is not None:
        return Normalized(original=text, text=same_length, origin=None)
    out: list[str] = []
    origin: list[int] = []
    prev_digit = False
    for i, ch in enumerate(text):
        if ch in _INVISIBLE:
            continue
        dash = ch in _DASHES or (ch == _CHOONPU and prev_digit)
        rep = "-" if dash else unicodedata.normalize("NFKC", ch)
        for r in rep:
            out.append(r)
            origin.append(i)
        if rep:
            prev_digit = rep[-1].isdigit()
    return Normalized(original=text, text="".join(out), origin=tuple(origin))
