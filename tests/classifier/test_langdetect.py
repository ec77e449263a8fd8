"""Language detection on texts written for these tests (not training rows)."""

from __future__ import annotations

import pytest

from services.classifier.langdetect import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The parcel from last week is nowhere to be found, can you check?", "en"),
        ("Die Lieferung ist schon wieder nicht gekommen, was ist da los?", "de"),
        ("Le vendeur ne répond plus et je n'ai toujours rien reçu.", "fr"),
        ("El pedido llegó incompleto y nadie me contesta.", "es"),
        ("Il pacco è arrivato aperto e mancava metà della roba.", "it"),
        ("注文した靴がまだ届きません。いつ届きますか？", "ja"),
        ("我买的鞋子到现在还没到，什么时候能送来？", "zh"),
        ("O pedido ainda não chegou e já faz duas semanas.", "pt"),
    ],
)
def test_detects_each_supported_language(text: str, expected: str) -> None:
    guess = detect_language(text)
    assert guess.language == expected
    assert 0.5 <= guess.confidence <= 1.0


def test_kanji_only_text_is_told_apart_by_japanese_forms() -> None:
    assert detect_language("発送済 未着 返金希望").language == "ja"
    assert detect_language("这个订单没发货").language == "zh"


def test_han_only_text_without_markers_follows_the_hint() -> None:
    assert detect_language("商品未着", hint="ja").language == "ja"
    assert detect_language("商品未着", hint="zh").language == "zh"


def test_unknown_latin_text_falls_back_to_the_hint_or_none() -> None:
    assert detect_language("ok", hint="de-DE").language == "de"
    guess = detect_language("ok")
    assert guess.language is None
    assert guess.confidence == 0.0


def test_hint_breaks_a_tie_between_latin_languages() -> None:
    assert detect_language("la", hint="es").language == "es"
    assert detect_language("la", hint="it").language == "it"
    assert detect_language("la", hint="fr").language == "fr"


@pytest.mark.parametrize(
    "text",
    [
        "La cassa sinistra è rotta e il suono è pessimo",
        "il tracking è fermo da dieci giorni, dov'è il mio pacco?",
        "Il divano è arrivato ieri ma è del colore sbagliato",
    ],
)
def test_italian_with_grave_accents_is_not_taken_for_french(text: str) -> None:
    assert detect_language(text).language == "it"
