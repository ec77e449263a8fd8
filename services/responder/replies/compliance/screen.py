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
from collections.abc import Iterable
from dataclasses import dataclass
from re import _constants as sre_constants  # type: ignore[attr-defined]  # stable since 3.11
from re import _parser as sre_parser  # type: ignore[attr-defined]  # the parse tree ``re`` compiles from
from typing import Any, cast

__all__ = ["CASE_TRAPS", "Folded", "Screen", "fold", "required_literals", "required_sets"]

CASE_TRAPS = frozenset("\u0130\u0131\u017f\u1e61\u1e9b\ufb05\ufb06")
"""Letters ``re.IGNORECASE`` matches with a Latin letter although ``str.lower`` maps them elsewhere (İ ı ſ ṡ ẛ ﬅ
ﬆ; tests/responder/replies/test_compliance_screen.py checks the list against ``re`` itself)."""

_TRAP = re.compile("[" + "".join(sorted(CASE_TRAPS)) + "]")
_WIDE = "\u3000"  # CJK symbols, kana, han and everything above
_WORD_PREFIX = re.compile(r"\b\w{3}")  # the first three characters of each word (of three or more)

_LITERAL = sre_constants.LITERAL
_IN = sre_constants.IN
_BRANCH = sre_constants.BRANCH
_SUBPATTERN = sre_constants.SUBPATTERN
_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT)
_ATOMIC = sre_constants.ATOMIC_GROUP
_MAX_CLASS = 4  # a character class of more letters than this is too common to screen on


@dataclass(frozen=True, slots=True)
class Folded:
    """A text lower-cased, with the first three characters of each of its words (shared by every screen)."""

    text: str
    word_starts: frozenset[str]


def fold(text: str) -> Folded | None:
    """The text lower-cased for screening; None when it holds a letter ``re`` folds otherwise (then every
    pattern runs)."""
    if not text.isascii() and _TRAP.search(text) is not None:
        return None
    low = text.lower()
    return Folded(low, frozenset(_WORD_PREFIX.findall(low)))


Literals = frozenset[str]

_WORD_START = "\x00"  # marks a literal that begins a word (``\b`` before a word character)
_WORD_CHAR = re.compile(r"\w")
_AT = sre_constants.AT
_AT_BOUNDARY = sre_constants.AT_BOUNDARY


def _text(literal: str) -> str:
    return literal.removeprefix(_WORD_START)


def _word_key(literal: str) -> str | None:
    """The first three characters of a literal that begins a word, when they are all word characters."""
    if not literal.startswith(_WORD_START):
        return None
    key = _WORD_PREFIX.match(literal, 1)
    return key.group() if key else None


def _better(a: Literals | None, b: Literals | None) -> Literals | None:
    """The cheaper and more selective of two requirements: word starts first (a set lookup per text), then
    the longest shortest literal, then the fewest literals."""
    if not a:
        return b
    if not b:
        return a
    ka = (all(map(_word_key, a)), min(len(_text(x)) for x in a), -len(a))
    kb = (all(map(_word_key, b)), min(len(_text(x)) for x in b), -len(b))
    return a if ka >= kb else b


def _class_chars(items: list[tuple[object, object]], fold: bool) -> Literals | None:
    chars: set[str] = set()
    for op, av in items:
        if op is not _LITERAL:
            return None  # ranges, categories, negation: no small set of characters
        assert isinstance(av, int)
        chars.add(chr(av).lower() if fold else chr(av))
    return frozenset(chars) if len(chars) <= _MAX_CLASS else None


def _run(chars: list[str], word_start: bool, tails: Iterable[str] = ("",)) -> Literals:
    text = "".join(chars)
    mark = _WORD_START if word_start and _WORD_CHAR.match(text) else ""
    return frozenset(mark + text + tail for tail in tails)


_MAX_LEADS = 32


def _leads(items: Iterable[tuple[object, object]], fold: bool) -> set[str] | None:
    """The literal text every match of ``items`` starts with, one string per alternative (None: unknown).

    ``re``'s parser factors common prefixes out of alternations (``outside|off`` becomes ``o`` then
    ``utside|ff``); joining them again gives the screen whole words to look for.
    """
    head: list[str] = []
    for op, av in items:
        if op is _LITERAL:
            assert isinstance(av, int)
            head.append(chr(av).lower() if fold else chr(av))
            continue
        branches = None
        if op is _SUBPATTERN:
            branches = [av[-1]]  # type: ignore[index]
        elif op is _BRANCH:
            branches = av[1]  # type: ignore[index]
        if branches is None:
            break
        tails: set[str] = set()
        for branch in branches:
            lead = _leads(branch, fold)
            if not lead or "" in lead:
                tails = set()
                break
            tails |= lead
        if not tails or len(tails) > _MAX_LEADS:
            break
        return {"".join(head) + tail for tail in tails}
    return {"".join(head)} if head else None


def _best(needs: Iterable[Literals]) -> Literals | None:
    best: Literals | None = None
    for need in needs:
        best = _better(best, need)
    return best


def _sequence(
    items: Iterable[tuple[object, object]], fold: bool, word_start: bool = False
) -> Literals | None:
    """The best of ``_needs``."""
    return _best(_needs(items, fold, word_start))


def _needs(items: Iterable[tuple[object, object]], fold: bool, word_start: bool = False) -> list[Literals]:
    """Every literal set a match of the sequence needs (each one: at least one of its strings occurs).

    ``word_start``: the sequence begins right after a ``\b``.
    """
    needs: list[Literals] = []
    run: list[str] = []
    run_start = False
    after_boundary = word_start
    for op, av in items:
        if op is _LITERAL:
            assert isinstance(av, int)
            if not run:
                run_start = after_boundary
            run.append(chr(av).lower() if fold else chr(av))
            after_boundary = False
            continue
        if run:
            needs.append(_run(run, run_start))
            if op is _BRANCH or op is _SUBPATTERN:
                tails = _leads([(op, av)], fold)
                if tails:
                    needs.append(_run(run, run_start, tails))
            run = []
        needs.extend(_item(op, av, fold, after_boundary))
        after_boundary = op is _AT and av is _AT_BOUNDARY
    if run:
        needs.append(_run(run, run_start))
    return needs


def _item(op: object, av: object, fold: bool, word_start: bool) -> list[Literals]:
    if op is _SUBPATTERN:
        return _needs(av[-1], fold, word_start)  # type: ignore[index]  # (group, add, del, pattern)
    if op is _ATOMIC:
        return _needs(av, fold, word_start)  # type: ignore[arg-type]
    if op in _REPEATS:
        least, _most, body = cast(tuple[int, int, Any], av)
        # the first repetition starts where the repeat starts; what it needs is needed
        return _needs(body, fold, word_start) if least >= 1 else []
    if op is _BRANCH:
        union: set[str] = set()
        for branch in av[1]:  # type: ignore[index]
            need = _sequence(branch, fold, word_start)
            if not need:
                return []  # one branch needs nothing, so the alternation needs nothing
            union |= need
        return [frozenset(union)]
    if op is _IN:
        chars = _class_chars(av, fold)  # type: ignore[arg-type]
        return [chars] if chars else []
    return []  # assertions, anchors, categories, any character: zero or unknown text


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


def required_sets(pattern: re.Pattern[str], *, limit: int = 4) -> list[Literals]:
    """Up to ``limit`` literal sets every match needs (all of them; the best first); [] when none."""
    best = required_literals(pattern)
    if best is None:
        return []
    parsed = sre_parser.parse(pattern.pattern, pattern.flags)
    others = {n for n in _needs(parsed.data, bool(pattern.flags & re.IGNORECASE)) if n and n != best}
    ranked = sorted(others, key=lambda n: (-min(len(_text(x)) for x in n), len(n), sorted(n)))
    return [best, *ranked[: limit - 1]]


def _by_literal(pairs: Iterable[tuple[str, int]]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Each literal once, with the patterns that need it (tables share literals such as "amazon")."""
    grouped: dict[str, list[int]] = {}
    for lit, i in pairs:
        grouped.setdefault(lit, []).append(i)
    return tuple((lit, tuple(ids)) for lit, ids in grouped.items())


class Screen:
    """Which of a tuple of patterns may match a text; the others certainly do not."""

    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        self.patterns = tuple(patterns)
        always: list[int] = []
        # Patterns whose literals all begin words are looked up by the words' first three characters (one
        # set per text, shared by every screen); the others are searched for directly (C substring search).
        by_key: dict[str, list[tuple[str, int]]] = {}
        folded: list[tuple[str, int]] = []
        cased: list[tuple[str, int]] = []
        rest: dict[int, tuple[tuple[str, ...], ...]] = {}
        for i, p in enumerate(self.patterns):
            sets = required_sets(p)
            need = sorted(sets[0]) if sets else []
            if len(sets) > 1:
                rest[i] = tuple(tuple(sorted(_text(x) for x in n)) for n in sets[1:])
            fold = bool(p.flags & re.IGNORECASE)
            keys = [_word_key(lit) for lit in need]
            if not need:
                always.append(i)
            elif fold and all(keys):
                for key, lit in zip(keys, need, strict=True):
                    assert key is not None
                    by_key.setdefault(key, []).append((_text(lit), i))
            else:
                (folded if fold else cased).extend((_text(lit), i) for lit in need)
        self._always = frozenset(always)
        self._by_key = {key: tuple(found) for key, found in by_key.items()}
        self._keys = frozenset(by_key)
        # A literal with a CJK character can only occur in a text that has one (its max() is at least as high).
        self._folded = _by_literal(p for p in folded if max(p[0]) < _WIDE)
        self._folded_wide = _by_literal(p for p in folded if max(p[0]) >= _WIDE)
        self._cased = _by_literal(cased)
        self._fold = tuple(bool(p.flags & re.IGNORECASE) for p in self.patterns)
        self._rest = rest  # the other literal sets a pattern needs, checked once its best set is found

    def candidates(self, text: str, folded: Folded | None) -> list[int]:
        """Indexes (ascending) of the patterns that may match ``text``; ``folded`` is ``fold(text)``."""
        if folded is None:
            return list(range(len(self.patterns)))
        low = folded.text
        hits = set(self._always)
        for found in [ids for lit, ids in self._folded if lit in low]:
            hits.update(found)
        if low and max(low) >= _WIDE:
            for found in [ids for lit, ids in self._folded_wide if lit in low]:
                hits.update(found)
        for found in [ids for lit, ids in self._cased if lit in text]:
            hits.update(found)
        for key in self._keys & folded.word_starts:
            hits.update(i for lit, i in self._by_key[key] if lit in low)
        return sorted(i for i in hits if self._has_rest(i, text, low))

    def _has_rest(self, i: int, text: str, low: str) -> bool:
        source = low if self._fold[i] else text
        return all(any(lit in source for lit in need) for need in self._rest.get(i, ()))
