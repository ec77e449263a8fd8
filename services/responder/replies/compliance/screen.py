"""Cheap, exact screening of a text against many patterns: skip the patterns that cannot match.

Most patterns of the linter need some literal text ("coupon", "www", "レビュー"). ``required_literals`` reads
that off the compiled pattern (one of a few strings, at least one of which every match contains), and a
``Screen`` runs a pattern only when one of its literals occurs in the text. That is exact, not a heuristic: a
skipped pattern has no match. Python's ``re`` gets no literal-prefix help from patterns that start with
``\\b`` or ignore case, so scanning a reply with a hundred of them costs milliseconds; the screen costs a few
substring searches (C) per pattern and a 3-gram set per text.

Case: literals of case-insensitive patterns are lower-cased and looked for in ``text.lower()``. ``re``'s
case-insensitive matching agrees with ``str.lower`` except for a few letters (dotted and dotless i, long s,
...): a text with one of those is not screened (``fold`` returns None) and every pattern runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from re import _constants as sre_constants  # type: ignore[attr-defined]  # stable since 3.11
from re import _parser as sre_parser  # type: ignore[attr-defined]  # the parse tree ``re`` compiles from

__all__ = ["CASE_TRAPS", "Folded", "Screen", "fold", "required_literals"]

CASE_TRAPS = frozenset("\u0130\u0131\u017f\u1e61\u1e9b\ufb05\ufb06")
"""Letters ``re.IGNORECASE`` matches with a Latin letter although ``str.lower`` maps them elsewhere (İ ı ſ ṡ ẛ ﬅ
ﬆ; tests/responder/replies/test_compliance_screen.py checks the list against ``re`` itself)."""

_TRAP = re.compile("[" + "".join(sorted(CASE_TRAPS)) + "]")
_GRAM = 3
_SLICES = tuple(slice(i, i + _GRAM) for i in range(20_000))

_LITERAL = sre_constants.LITERAL
_IN = sre_constants.IN
_BRANCH = sre_constants.BRANCH
_SUBPATTERN = sre_constants.SUBPATTERN
_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT)
_ATOMIC = sre_constants.ATOMIC_GROUP
_MAX_CLASS = 4  # a character class of more letters than this is too common to screen on


@dataclass(frozen=True, slots=True)
class Folded:
    """A text lower-cased, with the set of its 3-grams (shared by every screen that looks at the text)."""

    text: str
    grams: frozenset[str]


def fold(text: str) -> Folded | None:
    """The text lower-cased for screening; None when it holds a letter ``re`` folds otherwise or is too long
    for the 3-gram table (then every pattern runs)."""
    if (not text.isascii() and _TRAP.search(text) is not None) or len(text) > len(_SLICES):
        return None
    low = text.lower()
    return Folded(low, frozenset(map(low.__getitem__, _SLICES[: max(0, len(low) - _GRAM + 1)])))


Literals = frozenset[str]


def _better(a: Literals | None, b: Literals | None) -> Literals | None:
    """The more selective of two requirements (longest shortest literal, then fewest literals)."""
    if not a:
        return b
    if not b:
        return a
    ka = (min(map(len, a)), -len(a))
    kb = (min(map(len, b)), -len(b))
    return a if ka >= kb else b


def _class_chars(items: list[tuple[object, object]], fold: bool) -> Literals | None:
    chars: set[str] = set()
    for op, av in items:
        if op is not _LITERAL:
            return None  # ranges, categories, negation: no small set of characters
        assert isinstance(av, int)
        chars.add(chr(av).lower() if fold else chr(av))
    return frozenset(chars) if len(chars) <= _MAX_CLASS else None


def _sequence(items: Iterable[tuple[object, object]], fold: bool) -> Literals | None:
    best: Literals | None = None
    run: list[str] = []
    for op, av in items:
        if op is _LITERAL:
            assert isinstance(av, int)
            run.append(chr(av).lower() if fold else chr(av))
            continue
        if run:
            best = _better(best, frozenset({"".join(run)}))
            run = []
        best = _better(best, _item(op, av, fold))
    if run:
        best = _better(best, frozenset({"".join(run)}))
    return best


def _item(op: object, av: object, fold: bool) -> Literals | None:
    if op is _SUBPATTERN:
        return _sequence(av[-1], fold)  # type: ignore[index]  # (group, add_flags, del_flags, pattern)
    if op is _ATOMIC:
        return _sequence(av, fold)  # type: ignore[arg-type]
    if op in _REPEATS:
        low, _high, body = av  # type: ignore[misc]
        return _sequence(body, fold) if low >= 1 else None
    if op is _BRANCH:
        union: set[str] = set()
        for branch in av[1]:  # type: ignore[index]
            need = _sequence(branch, fold)
            if not need:
                return None  # one branch needs nothing, so the alternation needs nothing
            union |= need
        return frozenset(union)
    if op is _IN:
        return _class_chars(av, fold)  # type: ignore[arg-type]
    return None  # assertions, anchors, categories, any character: zero or unknown text


def required_literals(pattern: re.Pattern[str]) -> Literals | None:
    """Strings of which every match contains at least one (lower-cased for case-insensitive patterns).

    None when the pattern needs no literal text (it must always run). Patterns with inline flags that
    change case or scope are not screened (they return None).
    """
    if pattern.flags & (re.VERBOSE | re.ASCII | re.LOCALE):
        return None
    parsed = sre_parser.parse(pattern.pattern, pattern.flags)
    if parsed.state.flags != pattern.flags:
        return None  # inline flags: keep it simple and always run
    need = _sequence(parsed.data, bool(pattern.flags & re.IGNORECASE))
    return need or None


@dataclass(frozen=True, slots=True)
class _Entry:
    index: int
    fold: bool
    literals: tuple[str, ...]  # () when the pattern always runs


class Screen:
    """Which of a tuple of patterns may match a text; the others certainly do not."""

    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        self.patterns = tuple(patterns)
        entries = []
        for i, p in enumerate(self.patterns):
            need = required_literals(p)
            entries.append(_Entry(i, bool(p.flags & re.IGNORECASE), tuple(sorted(need or ()))))
        self._always = tuple(e.index for e in entries if not e.literals)
        # Literals of three or more characters are looked up by one of their 3-grams first (a set lookup
        # per text instead of a substring search per pattern); shorter ones are searched for directly.
        # Case-sensitive patterns (few) and short literals are searched for directly.
        self._by_gram: dict[str, list[_Entry]] = {}
        self._direct: list[_Entry] = []
        for e in entries:
            if not e.literals:
                continue
            if not e.fold or min(map(len, e.literals)) < _GRAM:
                self._direct.append(e)
                continue
            for lit in e.literals:
                self._by_gram.setdefault(lit[:_GRAM], []).append(e)
        self._grams = frozenset(self._by_gram)

    def candidates(self, text: str, folded: Folded | None) -> Iterator[int]:
        """Indexes (ascending) of the patterns that may match ``text``; ``folded`` is ``fold(text)``."""
        if folded is None:
            yield from range(len(self.patterns))
            return
        low = folded.text
        hits: set[int] = set(self._always)
        for gram in self._grams & folded.grams:
            for e in self._by_gram[gram]:
                if e.index not in hits and any(lit in low for lit in e.literals):
                    hits.add(e.index)
        for e in self._direct:
            if e.index not in hits and any(lit in (low if e.fold else text) for lit in e.literals):
                hits.add(e.index)
        yield from sorted(hits)
