"""Training is reproducible and the committed data is honest: generated deterministically, held-out apart."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from services.classifier.datagen.bank import load_banks
from services.classifier.datagen.generate import generate_rows
from services.classifier.engine import Classifier
from services.classifier.features import FeatureSpec, normalize
from services.classifier.textmodel import LABELS, TextModel
from services.classifier.train import (
    DATA_DIR,
    load_held_out_rows,
    load_rows,
    load_training_rows,
    train_artifact,
)
from tests.reference import reference_dir

SMALL = FeatureSpec(bits=14)


def _subset() -> list[dict[str, object]]:
    rows = load_rows(DATA_DIR / "train.jsonl")
    return [r for i, r in enumerate(rows) if i % 40 == 0]


def test_training_twice_gives_the_same_artifact(tmp_path: Path) -> None:
    rows = _subset()
    first = train_artifact(rows, tmp_path / "a", spec=SMALL, c=4.0)
    second = train_artifact(rows, tmp_path / "b", spec=SMALL, c=4.0)
    assert first == second
    for name in ("weights.npz", "meta.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert TextModel.load(tmp_path / "a").version == first


def test_different_data_gives_a_different_version(tmp_path: Path) -> None:
    rows = _subset()
    assert train_artifact(rows, tmp_path / "a", spec=SMALL) != train_artifact(
        rows[1:], tmp_path / "b", spec=SMALL
    )


def test_a_small_trained_model_is_usable(tmp_path: Path) -> None:
    train_artifact(_subset(), tmp_path / "m", spec=SMALL)
    verdict = Classifier.load(tmp_path / "m").classify_texts(["My parcel never arrived."])[0]
    assert verdict.category in ("not_received", "not_as_described", "defective", "none")


def test_committed_training_data_is_what_the_generator_writes() -> None:
    committed = (DATA_DIR / "train.jsonl").read_text(encoding="utf-8").splitlines()
    from services.classifier.datagen.__main__ import PER_LABEL

    generated = generate_rows(load_banks(), per_label=PER_LABEL)
    assert [json.dumps(r, ensure_ascii=False) for r in generated] == committed


def test_held_out_texts_never_appear_in_training() -> None:
    train = {normalize(str(r["text"])) for r in load_training_rows()}
    test = [normalize(str(r["text"])) for r in load_rows(DATA_DIR / "test.jsonl") + load_held_out_rows()]
    assert not [t for t in test if t in train]


def test_written_rows_are_well_formed_and_cover_every_language_and_label() -> None:
    rows = [r for r in load_training_rows() if str(r["id"]).startswith("w-")]
    held = load_held_out_rows()
    for group in (rows, held):
        ids = [r["id"] for r in group]
        assert len(ids) == len(set(ids))
        counts = Counter((r["language"], r["label"]) for r in group)
        for lang in ("en", "de", "fr", "es", "it", "ja", "zh"):
            for label in LABELS:
                assert counts[(lang, label)] >= (60 if group is rows else 15), (lang, label)
        assert all(
            r["genre"] in {"chat", "mail", "review", "report_comment"} and r["text"].strip() for r in group
        )
    assert all(str(r["id"]).startswith("h-") for r in held)


def test_calibration_is_stored_with_the_model() -> None:
    model = TextModel.load()
    assert model.thresholds is not None
    assert len(model.thresholds) == len(LABELS)
    assert all(0.0 < t <= 1.01 for t in model.thresholds)
    assert 0.1 < model.temperature < 10.0


def test_the_real_dev_corpus_is_not_copied_into_project_data() -> None:
    dev = reference_dir("corpus", "dev.jsonl")
    dev_texts = {normalize(json.loads(line)["text"]) for line in dev.read_text(encoding="utf-8").splitlines()}
    dev_texts = {t for t in dev_texts if len(t) >= 12}
    ours = [normalize(str(r["text"])) for r in load_training_rows() + load_rows(DATA_DIR / "test.jsonl")]
    ours += [normalize(str(r["text"])) for r in load_held_out_rows()]
    assert not [t for t in ours if t in dev_texts or any(d in t for d in dev_texts if len(d) >= 30)]


def test_calibration_comes_from_the_held_out_rows_when_given(tmp_path: Path) -> None:
    rows = load_rows(DATA_DIR / "train.jsonl")
    train = rows[::40]
    held = [r for i, r in enumerate(rows) if i % 80 == 20]
    assert not {r["id"] for r in train} & {r["id"] for r in held}
    train_artifact(train, tmp_path / "m", spec=SMALL, held_out=held, target=0.9)
    calib = json.loads((tmp_path / "m" / "meta.json").read_text(encoding="utf-8"))["info"]["calibration"]
    assert (calib["method"], calib["rows"], calib["precision_target"]) == ("held_out", len(held), 0.9)
    model = TextModel.load(tmp_path / "m")
    assert model.temperature == calib["temperature"]
    # The stored thresholds keep their promise on the rows they were fitted on.
    verdicts = Classifier(model).classify_texts([str(r["text"]) for r in held])
    for k, label in enumerate(LABELS):
        sent = [
            r
            for r, v in zip(held, verdicts, strict=True)
            if v.label == label and v.confidence >= calib["thresholds"][label]
        ]
        if len(sent) >= 5:
            assert sum(r["label"] == label for r in sent) / len(sent) >= 0.9, label
        assert model.thresholds is not None
        assert model.thresholds[k] == calib["thresholds"][label]


def test_hand_written_rows_weigh_more_than_generated_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services.classifier.train as train

    odd: dict[str, object] = {"id": "w-en-OTHER-9999", "language": "en", "label": "OTHER", "genre": "chat"}
    odd["text"] = "the parcel never arrived, zorblat quux"  # reads NOT_RECEIVED, labelled OTHER on purpose
    rows = [*_subset(), odd]
    probs = []
    for weight in (1.0, 10.0):
        monkeypatch.setattr(train, "WRITTEN_WEIGHT", weight)
        train_artifact(rows, tmp_path / str(weight), spec=SMALL, calibrated=False)
        verdict = Classifier.load(tmp_path / str(weight)).classify_texts([str(odd["text"])])[0]
        probs.append(verdict.probabilities[LABELS.index("OTHER")])
    assert probs[1] > probs[0] + 0.05
