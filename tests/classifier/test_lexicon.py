"""Cue phrases: found in every language, negation-aware, with offsets into the buyer's original text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.classifier.lexicon import CONCEPTS, find_cues, fold, reason_of


def _found(text: str) -> list[tuple[str, str]]:
    return [(c.concept, text[c.start : c.end]) for c in find_cues(text)]


@given(st.text(max_size=200))
def test_fold_keeps_one_character_per_input_character(text: str) -> None:
    assert len(fold(text)) == len(text)


def test_offsets_point_into_the_original_text_despite_case_accents_and_apostrophes() -> None:
    text = "Colis JAMAIS ARRIVÉ, et l'écran d'Anne est CASSÉ."
    found = _found(text)
    assert ("not_arrived", "JAMAIS ARRIVÉ") in found
    assert ("broken", "CASSÉ") in found


def test_a_negated_fault_is_its_own_concept() -> None:
    assert _found("Not broken, just the wrong size") == [
        ("not_broken", "broken"),
        ("wrong_item", "wrong size"),
    ]
    assert ("broken", "broken") in _found("It arrived broken")


def test_the_same_concept_in_seven_languages() -> None:
    texts = {
        "en": "it stopped working after a week",
        "de": "funktioniert nicht mehr",
        "fr": "ne fonctionne plus",
        "es": "no funciona",
        "it": "non funziona più",
        "ja": "電源が入らない",
        "zh": "开不了机",
    }
    for lang, text in texts.items():
        assert "not_working" in {c for c, _ in _found(text)}, lang


def test_cues_are_whole_words_not_parts_of_words() -> None:
    assert not [c for c, _ in _found("the lateral file cabinet") if c == "late"]
    assert ("late", "late") in _found("the parcel is late")


def test_every_concept_has_a_plain_language_reason() -> None:
    for concept in CONCEPTS:
        assert reason_of(concept)
        assert reason_of(concept) != concept
    assert "not" in reason_of("not_broken")
