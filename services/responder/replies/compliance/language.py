"""A tiny language guesser: Unicode script first, then distinctive stopwords for Latin-script text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

__all__ = ["LanguageGuess", "guess_language", "language_of_locale"]

_RAW_STOPWORDS: dict[str, str] = {
    "en": "the and you your we our to of is for with this that please have be will are it not would been any "
    "can if as us at by from they was my me has sorry thank thanks which should could these there",
    "de": "der die das und sie ihr ihre wir uns ist nicht mit für bitte haben eine ein einen dem zu auf ich "
    "wird werden bei von sich auch noch dass ihnen ihrer wurde sehr gerne freundlichen grüßen leider "
    "können möchten sind hat wenn oder",
    "fr": "le les et vous votre vos nous est pas avec pour une des du qui dans sur ce cette merci sont avons "
    "ne au aux été très être notre nos mais je votre êtes pouvez souhaitez",
    "es": "el los las y usted su sus para del por lo gracias hemos está muy le nuestro nuestra al "
    "puede sentimos pedido disculpas estamos ya cuando",
    "it": "il gli lei suo sua noi è non della di che ci grazie abbiamo sono ordine ha questo nel alla anche "
    "molto vostro siamo più cordiali saluti può ci dispiace",
    "pt": "o os você seu nós não com uma um do da em obrigado muito também já pedido sua",
    "nl": "het een u uw wij niet met voor van dat op te bestelling bedankt hebben zijn wordt graag ons "
    "onze excuses naar ook",
    "sv": "och att det som är på för inte vi du din har tack beställning med vår ni kan",
    "pl": "i w z na nie się że jest do dla pan pani zamówienie dziękujemy przepraszamy czy jak oraz",
    "tr": "ve bir bu için ile değil teşekkür ederiz siparişiniz sizin çok olarak daha",
}


def _distinctive(raw: dict[str, str]) -> dict[str, frozenset[str]]:
    # A word listed for two languages says nothing about which one it is, so it counts for neither.
    words = {lang: set(text.split()) for lang, text in raw.items()}
    seen = Counter(w for ws in words.values() for w in ws)
    return {lang: frozenset(w for w in ws if seen[w] == 1) for lang, ws in words.items()}


_STOPWORDS = _distinctive(_RAW_STOPWORDS)
_WORD = re.compile(r"[^\W\d_]+")
_MIN_HITS = 3
_MIN_CJK = 8


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """ISO 639-1 code or None when the text says too little; ``script`` is the dominant script."""

    language: str | None
    script: str
    score: int


def language_of_locale(locale: str | None) -> str | None:
    """'de-DE', 'ja_JP', 'zh-Hans-CN' -> 'de', 'ja', 'zh'; None or blank -> None."""
    if not locale or not locale.strip():
        return None
    return re.split(r"[-_]", locale.strip(), maxsplit=1)[0].lower() or None


_LATIN_LETTERS = "".join(re.escape(chr(cp)) for cp in range(0x0250) if chr(cp).isalpha())
# One pattern per script, each a character class: counting with findall runs in C, not per character here.
_SCRIPTS = {
    "kana": re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]"),
    "han": re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]"),
    "hangul": re.compile("[\uac00-\ud7af\u1100-\u11ff]"),
    "cyrillic": re.compile("[\u0400-\u04ff]"),
    "arabic": re.compile("[\u0600-\u06ff]"),
}
_LATIN = re.compile(f"[{_LATIN_LETTERS}]")
_WORD_LANGUAGE = {word: lang for lang, words in _STOPWORDS.items() for word in words}


_OTHER_SCRIPT = re.compile("|".join(p.pattern for p in _SCRIPTS.values()))


def _script_counts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    if text.isascii() or _OTHER_SCRIPT.search(text) is None:
        # Latin against nothing: whether there is a Latin letter at all decides, not how many.
        if _LATIN.search(text) is not None:
            counts["latin"] = 1
        return counts
    for script, pattern in _SCRIPTS.items():
        n = len(pattern.findall(text))
        if n:
            counts[script] = n
    n = len(_LATIN.findall(text))
    if n:
        counts["latin"] = n
    return counts


def guess_language(text: str) -> LanguageGuess:
    """Guess the language of a reply; returns language None rather than a weak guess."""
    counts = _script_counts(text)
    cjk = counts["kana"] + counts["han"]
    # One CJK character carries about as much as a short Latin word, so weigh it up against letters.
    weighted = {
        "cjk": cjk * 3,
        "latin": counts["latin"],
        "hangul": counts["hangul"] * 3,
        "cyrillic": counts["cyrillic"],
        "arabic": counts["arabic"],
    }
    script = max(weighted, key=lambda k: weighted[k])
    if weighted[script] == 0:
        return LanguageGuess(language=None, script="none", score=0)
    if script == "cjk":
        if cjk < _MIN_CJK:
            return LanguageGuess(language=None, script=script, score=cjk)
        # Japanese prose is full of kana; Chinese has none (a kana-free Japanese reply does not exist).
        lang = "ja" if counts["kana"] >= 0.1 * cjk else "zh"
        return LanguageGuess(language=lang, script=script, score=cjk)
    if script == "hangul":
        return LanguageGuess(language="ko", script=script, score=counts["hangul"])
    if script == "cyrillic":
        return LanguageGuess(language="ru", script=script, score=counts["cyrillic"])
    if script == "arabic":
        return LanguageGuess(language="ar", script=script, score=counts["arabic"])
    # Every distinctive word belongs to one language: one lookup per word.
    hits: Counter[str] = Counter(filter(None, map(_WORD_LANGUAGE.get, _WORD.findall(text.lower()))))
    ranked = hits.most_common(2)
    if not ranked or ranked[0][1] < _MIN_HITS:
        return LanguageGuess(language=None, script=script, score=ranked[0][1] if ranked else 0)
    top_lang, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0
    if top < 1.5 * second or top - second < 2:
        return LanguageGuess(language=None, script=script, score=top)
    return LanguageGuess(language=top_lang, script=script, score=top)
