"""Normalization and hashed features: stable, script-aware, identical in the batch and explain paths."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.classifier.features import (
    FeatureSpec,
    char_ngram_index,
    char_ngrams_of,
    cue_feature_index,
    featurize,
    hashed_features,
    inverse_document_frequency,
    normalize,
    word_feature_index,
    word_tokens,
)

SPEC = FeatureSpec()


def test_normalize_folds_width_case_accents_and_masks_noise() -> None:
    text = "Où est mon COLIS?? @AmazonHelp https://t.co/x Commande 408-7048632-9893139 ＡＢＣ"
    assert normalize(text) == "ou est mon colis ? ? url commande 0 0 0 abc"


def test_normalize_keeps_japanese_voicing_marks() -> None:
    assert normalize("届きませんでした。ガラスが割れた") == "届きませんでした ガラスが割れた"


def test_normalize_drops_mentions_but_not_the_cjk_text_after_them() -> None:
    assert normalize("@AmazonJP荷物が届かない") == "荷物が届かない"


def _python_indices(normed: str, spec: FeatureSpec) -> set[int]:
    padded = f" {normed} "
    out = {
        char_ngram_index(padded[i : i + n], spec.bits)
        for n in range(spec.char_min, spec.char_max + 1)
        for i in range(len(padded) - n + 1)
    }
    toks = normed.split()
    out |= {word_feature_index([t], spec.bits) for t in toks}
    out |= {word_feature_index([a, b], spec.bits) for a, b in itertools.pairwise(toks)}
    return out


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Z")), max_size=40))
def test_vectorized_hashes_match_the_python_twin(text: str) -> None:
    normed = normalize(text)
    batch = hashed_features([normed, "padding text"], SPEC, normalized=True)
    assert set(batch.cols[batch.rows == 0].tolist()) == _python_indices(normed, SPEC)


def test_texts_in_one_batch_do_not_leak_into_each_other() -> None:
    alone = hashed_features(["kaputt"], SPEC)
    together = hashed_features(["kaputt", "never arrived"], SPEC)
    assert set(alone.cols.tolist()) == set(together.cols[together.rows == 0].tolist())


def test_rows_are_l2_normalized_and_unseen_buckets_dropped() -> None:
    train = hashed_features(["the parcel never arrived", "it arrived broken"], SPEC)
    idf = inverse_document_frequency(train, SPEC.bits)
    batch = featurize(["the parcel arrived", "zzqx"], SPEC, idf=idf)
    norms = np.sqrt(np.bincount(batch.rows, weights=batch.values.astype(np.float64) ** 2, minlength=2))
    assert np.allclose(norms, 1.0, atol=1e-5)
    assert set(batch.cols.tolist()) <= set(np.flatnonzero(idf).tolist())
    assert (batch.rows == 1).sum() == 1  # of "zzqx" only the space unigram was seen in training


def test_rarer_features_weigh_more() -> None:
    train = hashed_features(["the box", "the lid", "the cable broke"], SPEC)
    idf = inverse_document_frequency(train, SPEC.bits)
    assert idf[word_feature_index(["broke"], SPEC.bits)] > idf[word_feature_index(["the"], SPEC.bits)] > 0


def test_explanation_ngrams_use_the_same_buckets() -> None:
    normed = normalize("Paket nie angekommen, 荷物が届かない")
    padded = f" {normed} "
    buckets, starts, lengths = char_ngrams_of(normed, SPEC)
    assert len(buckets) == sum(len(padded) - n + 1 for n in range(SPEC.char_min, SPEC.char_max + 1))
    for bucket, start, length in zip(buckets.tolist(), starts.tolist(), lengths.tolist(), strict=True):
        assert bucket == char_ngram_index(padded[start : start + length], SPEC.bits)


def test_cjk_runs_become_character_bigrams_only_when_asked() -> None:
    assert word_tokens("包裹 还没到 ok", cjk_bigrams=True) == ["包裹", "还没", "没到", "ok"]
    assert word_tokens("包裹 还没到 ok", cjk_bigrams=False) == ["包裹", "还没到", "ok"]


def test_lexicon_concepts_are_features_only_with_a_cue_weight() -> None:
    text = [normalize("It stopped working after two days")]
    off = hashed_features(text, FeatureSpec(bits=16))
    on = hashed_features(text, FeatureSpec(bits=16, cue_weight=2.0))
    bucket = cue_feature_index("not_working", 16)
    assert 2.0 in on.values[on.cols == bucket].tolist()
    assert len(on.cols) == len(off.cols) + 1
