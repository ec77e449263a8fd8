"""Text normalisation for matching (NFKC, no zero-width characters, unified dashes) with an offset map."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["Normalized", "normalize"]

# Zero-width characters and soft hyphens are invisible to the buyer but split "w\u200bww" for a regex.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\ufe63")
_CHOONPU = "\u30fc"  # Japanese long-vowel mark, used as a dash in phone numbers written by hand


@dataclass(frozen=True, slots=True)
class Normalized:
    """``text`` is the normalised string; ``origin[i]`` is the index in the original of ``text[i]``."""

    original: str
    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text back to the original text."""
        if end <= start:
            pos = self.origin[start] if start < len(self.origin) else len(self.original)
            return pos, pos
        return self.origin[start], self.origin[end - 1] + 1


def normalize(text: str) -> Normalized:
    """NFKC per character (full-width digits and letters become ASCII), invisible characters dropped."""
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
