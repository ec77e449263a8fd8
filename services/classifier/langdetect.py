"""Offline language detection: Unicode script ranges for ja/zh/ko, stopword and letter profiles for Latin.

Japanese is told from Chinese by kana, then by characters only one of the two writing systems uses
(simplified-only vs. Japanese shinjitai forms); Latin-script languages by counting frequent function words
and language-specific letters. Short or ambiguous text falls back to the caller's hint.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["SUPPORTED_LANGUAGES", "LanguageGuess", "detect_language"]

SUPPORTED_LANGUAGES = ("en", "de", "fr", "es", "it", "ja", "zh", "pt")

_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_WORD = re.compile(r"[a-zà-öø-ÿœß']+")

# Characters written differently in simplified Chinese and in Japanese (shinjitai / Japanese-only forms).
_ZH_ONLY = set(
    "这们没货发给说买还对时问题让进东车长门见书电话经过从样为质产关实际网颜码运费卖么吗呢啊吧"
    "个结欢评价换坏错应该觉缩钱术态递库单务订"
)
_JA_ONLY = set("届払発気売円様込読変楽対応説価値図広転駅労働済検査確戻壊")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is it to of my was not this that for have with you i but are be they on at what been has "
        "had did don't didn't can't it's i'm your just would will no yet still when where which there "
        "their them we our me an any very too so from about order received got item wasn't isn't doesn't "
        "never again why how please thanks as like new sold good quick seller described exactly got i've "
        "who where's what's anyone still "
    ),
    "de": _words(
        "der die das und ist nicht ich ein eine es zu mit den dem für auf sich auch noch nur war aber wie "
        "bei hat habe sehr wurde wird kein keine schon mir mich mein meine bitte leider nach vom zum zur "
        "bis dass über sind oder wenn immer bestellt geliefert gut paket ware nichts heute wieder warum "
        "wo ab einen einem denn was wer gibt's an zu gebraucht eindeutig neu nichts kam "
    ),
    "fr": _words(
        "le la les et est pas je un une du des en pour que qui dans ce cette il elle mais avec sur au aux "
        "mon ma mes ne plus tres très bien été ai avait reçu recu commande colis toujours rien votre vous "
        "nous jamais produit ça ca c'est j'ai n'est qu'il depuis merci où quand clairement neuf vendu "
        "l'article d'occasion sur client "
    ),
    "es": _words(
        "el la los las y es no que de en un una por para con mi mis pero muy lo se del al ha he está esta "
        "esto eso pedido recibido llegado llegó todavía nada producto gracias como cuando también tengo "
        "hace sin fue son ya porque donde dónde qué hola bien me lo le su sus nos y mandaron pedí "
        "llega vez estrellas teclas echa "
    ),
    "it": _words(
        "il lo la gli le e è non che di un una per con mi mio mia ma molto del della dei delle al alla "
        "sono ho ha hanno ancora nulla niente ordine pacco arrivato arrivata prodotto grazie come quando "
        "anche perché dove questo questa era stato stata bene poi più però nel nella nei sul sulla dal dalla "
        "ci si ne mai solo dopo chi cosa tutto già c'è dov'è l'ho po' sono mio gli ed qualsiasi "
    ),
    "pt": _words(
        "o a os as e é não que de um uma por para com meu minha mas muito do da dos das ao foi está estou "
        "ainda nada pedido produto obrigado quando também já porque onde isso você "
    ),
}
# "è" is frequent in both French and Italian, so it counts for neither.
_LETTER_BONUS: dict[str, str] = {"de": "äöüß", "fr": "çêœâîûë", "es": "ñ¿¡á", "it": "ìò", "pt": "ãõ"}


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """A detected language (None when unsure), a confidence in [0, 1] and how it was found."""

    language: str | None
    confidence: float
    method: str


def _cjk(text: str, hint: str | None) -> LanguageGuess | None:
    kana = len(_KANA.findall(text))
    han = len(_HAN.findall(text))
    hangul = len(_HANGUL.findall(text))
    if hangul and hangul >= kana + han:
        return LanguageGuess("ko", 0.9, "script")
    if kana + han == 0:
        return None
    if kana >= 2 or (kana and kana * 10 >= han):
        return LanguageGuess("ja", min(1.0, 0.7 + kana / (kana + han)), "script")
    zh = sum(ch in _ZH_ONLY for ch in text)
    ja = sum(ch in _JA_ONLY for ch in text)
    if ja > zh:
        return LanguageGuess("ja", 0.7, "script.kanji")
    if zh > ja or hint not in ("ja", "zh"):
        return LanguageGuess("zh", 0.9 if zh else 0.6, "script")
    return LanguageGuess(hint, 0.6, "script.hint")


def detect_language(text: str, hint: str | None = None) -> LanguageGuess:
    """Best guess for ``text``; ``hint`` (ISO 639-1, e.g. from the marketplace) breaks ties."""
    hint = hint.lower()[:2] if hint else None
    guess = _cjk(text, hint)
    if guess is not None:
        return guess
    if _CYRILLIC.search(text):
        return LanguageGuess("ru", 0.8, "script")
    low = unicodedata.normalize("NFC", text.casefold())
    words = _WORD.findall(low)
    scores = dict.fromkeys(_STOPWORDS, 0.0)
    for w in words:
        for lang, stop in _STOPWORDS.items():
            if w in stop:
                scores[lang] += 1.0
    for lang, letters in _LETTER_BONUS.items():
        scores[lang] += 1.5 * sum(low.count(ch) for ch in letters)
    if hint in scores:
        scores[hint] += 0.5
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < 1.0:
        return LanguageGuess(hint, 0.3, "hint") if hint else LanguageGuess(None, 0.0, "none")
    confidence = round((top - second) / top * min(1.0, top / 3.0) * 0.5 + 0.5, 3)
    return LanguageGuess(best, confidence, "stopwords")
