"""Explanations quote whole words or phrases of the buyer's own text, with offsets a screen can highlight."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest

from services.classifier.engine import Classifier, top_reason
from services.classifier.settings import ClassifierSettings
from services.classifier.textmodel import LABELS, MIN_SHARE, Explanation, unit_spans
from tests.classifier.helpers import signal

TEXTS = [
    "My parcel never arrived and the tracking says delivered, the neighbours have nothing.",
    "The blender stopped working after two days; it doesn't turn on anymore.",
    "Not broken, just the wrong size: I ordered a 42 and got a 39.",
    "Das Paket ist nie angekommen, laut Sendungsverfolgung zugestellt.",
    "L'écran est arrivé cassé, je veux un remplacement.",
    "El color no tiene nada que ver con la foto.",
    "Il pacco non è mai arrivato!!",
    "届いた商品が写真と全然違います。",
    "用了两天就坏了，开不了机。",
    "Great seller, arrived early, thanks!",
]
_WORD = re.compile(r"[^\W_]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _is_boundary(text: str, i: int) -> bool:
    """Offset ``i`` does not cut a Latin word in two (CJK has no spaces: any offset between characters)."""
    if i in (0, len(text)):
        return True
    left, right = text[i - 1], text[i]
    if _CJK.match(left) or _CJK.match(right):
        return True
    return not (_WORD.match(left) and _WORD.match(right))


@pytest.mark.parametrize("text", TEXTS)
def test_text_reasons_quote_whole_words_with_offsets(classifier: Classifier, text: str) -> None:
    verdict = classifier.classify(
        signal(text),
        context=None,
        history=None,
        now=datetime(2025, 3, 1, tzinfo=UTC),
        settings=ClassifierSettings(),
    )
    features = [r for r in verdict.reasons if r.rule_id == "text.feature"]
    assert features
    for r in features:
        assert r.start is not None
        assert r.end is not None
        assert 0 <= r.start < r.end <= len(text)
        quoted = text[r.start : r.end]
        assert r.detail.startswith(repr(quoted)), (r.detail, quoted)
        assert _is_boundary(text, r.start), quoted
        assert _is_boundary(text, r.end), quoted
        assert _WORD.search(quoted)
    spans = sorted((r.start, r.end) for r in features if r.start is not None and r.end is not None)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))
    top = [r for r in verdict.reasons if r.rule_id == "text.top_reason"]
    assert len(top) == 1
    assert top[0].detail


def test_a_cue_phrase_is_quoted_whole(classifier: Classifier) -> None:
    text = "Honestly the thing stopped working after a week."
    verdict = classifier.classify_texts([text], explain=True)[0]
    quoted = [
        text[r.start : r.end] for r in verdict.reasons if r.rule_id == "text.feature" and r.start is not None
    ]
    assert verdict.category == "defective"
    assert "stopped working" in quoted
    top = next(r for r in verdict.reasons if r.rule_id == "text.top_reason")
    assert "does not work" in top.detail
    assert "stopped working" in top.detail


def test_unit_spans_are_words_and_cjk_chunks() -> None:
    text = "Don't panic: 坏了 ok"
    assert [text[a:b] for a, b in unit_spans(text)] == ["Don't", "panic", "坏了", "ok"]
    cjk = "我还没收到"
    assert [cjk[a:b] for a, b in unit_spans(cjk)] == ["我", "还没收到"]
    ja = "水筒が割れていました"
    assert [ja[a:b] for a, b in unit_spans(ja)] == ["水筒が", "割れていました"]


OWN_TEXTS = {
    "en": "The lamp came with a cracked base, and the switch does nothing.",
    "de": "Die Lieferung ist seit zwei Wochen überfällig, der Zusteller meldet nichts.",
    "fr": "Le pull est arrivé troué au coude, très déçue.",
    "es": "Me llegó la batería hinchada y no carga nada.",
    "it": "Il frullatore è arrivato con il coperchio crepato.",
    "ja": "注文した水筒のふたが割れていて、お茶が漏れます。",
    "zh": "收到的台灯底座裂了，开关也不亮，能换吗？",
}


@pytest.mark.parametrize("language", sorted(OWN_TEXTS))
def test_explanations_are_whole_words_or_chunks_each_quoted_once(
    classifier: Classifier, language: str
) -> None:
    text = OWN_TEXTS[language]
    verdict = classifier.classify_texts([text], explain=True)[0]
    label = LABELS.index(verdict.label)
    found = classifier._model.explain(text, label)
    assert found
    quoted = [r.detail for r in verdict.reasons if r.rule_id == "text.feature"]
    assert quoted == [f"{ex.phrase!r} -> {verdict.category}" for ex in found]
    units = unit_spans(text)
    starts, ends = {a for a, _ in units}, {b for _, b in units}
    for ex in found:
        assert text[ex.start : ex.end] == ex.phrase
        assert len(ex.phrase) >= 2, ex.phrase
        assert _is_boundary(text, ex.start), ex.phrase
        assert _is_boundary(text, ex.end), ex.phrase
        if ex.concept is None:  # a word or chunk of the text; a cue is a lexicon word, whole by itself
            assert ex.start in starts, ex.phrase
            assert ex.end in ends, ex.phrase
        if _CJK.match(text[ex.end - 1]) and ex.end < len(text):
            assert not re.match("[\u3041-\u309f]", text[ex.end]) or ex.end in ends, (
                ex.phrase
            )  # okurigana kept
    keys = [ex.phrase.casefold() for ex in found]
    assert len(keys) == len(set(keys))


def test_a_one_character_cue_is_quoted_with_its_chunk(classifier: Classifier) -> None:
    text = "这个能换吗"  # the question particle 吗 alone would be a one-character quote
    found = classifier._model.explain(text, LABELS.index("OTHER"), top=10)
    assert found
    assert all(len(ex.phrase) >= 2 for ex in found)
    assert any("吗" in ex.phrase for ex in found)


def test_weak_filler_words_are_left_out(classifier: Classifier) -> None:
    found = classifier._model.explain("my order never arrived and i need it for the trip", 0, top=10)
    assert found
    assert all(ex.weight >= MIN_SHARE * found[0].weight for ex in found)


def test_top_reason_falls_back_to_the_strongest_words() -> None:
    found = [Explanation("refund", 4, 10, 0.8, None), Explanation("please", 11, 17, 0.3, None)]
    assert (
        top_reason(found, "none")
        == 'words like "refund", "please" usually mean this is not a complaint about the item or its delivery'
    )
    assert "no single word" in top_reason([], "defective")


def test_offsets_are_into_the_signals_text_even_with_leading_blanks(classifier: Classifier) -> None:
    text = "\n   The kettle stopped working after two days."
    verdict = classifier.classify(
        signal(text),
        context=None,
        history=None,
        now=datetime(2025, 3, 1, tzinfo=UTC),
        settings=ClassifierSettings(),
    )
    spans = [(r.start, r.end, r.detail) for r in verdict.reasons if r.rule_id == "text.feature"]
    assert spans
    for start, end, detail in spans:
        assert start is not None
        assert end is not None
        assert detail.startswith(repr(text[start:end]))
    from_subject = classifier.classify(
        signal("", subject="kettle stopped working"),
        context=None,
        history=None,
        now=datetime(2025, 3, 1, tzinfo=UTC),
        settings=ClassifierSettings(),
    )
    subject_features = [r for r in from_subject.reasons if r.rule_id == "text.feature"]
    assert subject_features
    assert all(r.start is None and r.end is None for r in subject_features)


def test_numbers_in_words_weigh_alike_whatever_their_digits(classifier: Classifier) -> None:
    # Digits collapse to "0" before a word is scored, as in training ("42", "39" and "17" are one number).
    model = classifier._model
    a = model.explain("ordered size 42 and 2pcs, got size 39 and 1pc, not what I ordered", 1, top=50)
    b = model.explain("ordered size 17 and 5pcs, got size 85 and 7pc, not what I ordered", 1, top=50)
    c = model.explain("ordered size 00 and 0pcs, got size 00 and 0pc, not what I ordered", 1, top=50)
    assert a
    assert [(x.start, x.end, x.weight) for x in a] == [(x.start, x.end, x.weight) for x in b]
    assert [(x.start, x.end, x.weight) for x in a] == [(x.start, x.end, x.weight) for x in c]


def test_the_word_cache_stays_bounded_and_never_changes_an_explanation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import services.classifier.textmodel as textmodel

    monkeypatch.setattr(textmodel, "_UNIT_CACHE_MAX", 8)
    model = Classifier.load()._model
    texts = [*TEXTS, *OWN_TEXTS.values()]
    warm = [model.explain(t, 2, top=10) for t in texts]
    assert len(model._cache) <= max(8, len(unit_spans(texts[-1])))  # cleared, then the last text's words
    cold = [Classifier.load()._model.explain(t, 2, top=10) for t in texts]
    assert warm == cold
