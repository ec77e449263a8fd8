"""Cue phrases: found in every language, negation-aware, with offsets into the buyer's original text."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from services.classifier.lexicon import _NEGATABLE, CONCEPTS, _negated, _patterns, find_cues, fold, reason_of


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


def _all_cues_unfiltered(text: str) -> list[tuple[str, int, int]]:
    """Reference: both patterns scanned over every text (what find_cues did before its CJK prefilter)."""
    folded = fold(text)
    out = []
    for pattern, is_cjk in zip(_patterns(), (False, True), strict=True):
        for m in pattern.finditer(folded):
            concept = m.lastgroup or ""
            if concept in _NEGATABLE and _negated(folded, m.start(), is_cjk):
                concept = f"not_{concept}"
            out.append((concept, m.start(), m.end()))
    return sorted(out, key=lambda c: c[1])


def test_skipping_the_cjk_pattern_on_latin_text_changes_no_cue() -> None:
    written = Path(__file__).resolve().parents[2] / "services" / "classifier" / "data" / "written"
    texts = [
        json.loads(line)["text"]
        for path in sorted(written.glob("*/*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    texts += ["荷物が届かない but tracking says delivered", "ｆｕｌｌ ｗｉｄｔｈ not working", "还没到!!"]
    assert len(texts) > 1000
    for text in texts:
        assert [(c.concept, c.start, c.end) for c in find_cues(text)] == _all_cues_unfiltered(text), text
