"""Light segmentation of Chinese and Japanese runs into readable chunks, with no dictionary.

Japanese: a kanji or katakana run together with the hiragana that follows it (okurigana and particles:
"届いていない", "写真と", "サイズが"; a particle right after the stem ends it), or a hiragana run on its
own; roughly a bunsetsu. Chinese (a run
without kana): the run is cut after aspect and sentence-final particles (了 的 吗 呢 吧 啊) and before
pronouns, adverbs and prepositions that open a new phrase (我 这 就 都 还 很 把 被 和 ...): "用了 | 两天 |
就坏了". The chunks serve two readers: the text model, as extra word features, and explanations, which
quote only whole chunks of two or more characters, never a stray bigram like "が大".
"""

from __future__ import annotations

import re

__all__ = ["CJK_RUN", "cjk_chunks", "has_kana"]

_HAN = "\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HIRA = "\u3041-\u309f"
_KATA = "\u30a1-\u30fa\u30fc-\u30ff"  # without the middle dot U+30FB, which separates words
CJK_RUN = re.compile(f"[{_HAN}{_HIRA}{_KATA}]+")
_KANA = re.compile(f"[{_HIRA}{_KATA}]")
# A particle right after a kanji/katakana stem closes the chunk: "荷物が | まだ", "本当に | ありがとう".
_JA_CHUNK = re.compile(f"(?:[{_HAN}]+|[{_KATA}]+)(?:[がをはもにでとへの](?=[{_HIRA}])|[{_HIRA}]*)|[{_HIRA}]+")
_ZH_END_AFTER = frozenset("了的吗呢吧啊呀么嘛")
_ZH_START_BEFORE = frozenset("我你他她它这那就都也还很太在把被给和跟但而又再才让从对")


def has_kana(text: str) -> bool:
    """Whether ``text`` has hiragana or katakana (then it is read as Japanese)."""
    return _KANA.search(text) is not None


def _zh_cuts(run: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    start = 0
    for i, ch in enumerate(run):
        if i > start and ch in _ZH_START_BEFORE:
            out.append((start, i))
            start = i
        if ch in _ZH_END_AFTER and i + 1 > start:
            out.append((start, i + 1))
            start = i + 1
    if start < len(run):
        out.append((start, len(run)))
    return out


def cjk_chunks(run: str, *, japanese: bool | None = None) -> list[tuple[int, int]]:
    """(start, end) of the chunks of one CJK run; ``japanese`` defaults to whether the run has kana."""
    if japanese is None:
        japanese = has_kana(run)
    if japanese:
        return [m.span() for m in _JA_CHUNK.finditer(run)]
    return _zh_cuts(run)
