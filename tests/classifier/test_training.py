"""Training is reproducible and the committed data is honest: generated deterministically, held-out apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.classifier.datagen.bank import load_banks
from services.classifier.datagen.generate import generate_rows
from services.classifier.engine import Classifier
from services.classifier.features import FeatureSpec, normalize
from services.classifier.textmodel import TextModel
from services.classifier.train import DATA_DIR, load_rows, train_artifact

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
    train = {normalize(str(r["text"])) for r in load_rows(DATA_DIR / "train.jsonl")}
    test = [normalize(str(r["text"])) for r in load_rows(DATA_DIR / "test.jsonl")]
    assert not [t for t in test if t in train]


def test_the_real_dev_corpus_is_not_copied_into_project_data() -> None:
    dev = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "dev.jsonl"
    if not dev.exists():
        pytest.skip(f"{dev} is absent (reference material outside the repository)")
    dev_texts = {normalize(json.loads(line)["text"]) for line in dev.read_text(encoding="utf-8").splitlines()}
    dev_texts = {t for t in dev_texts if len(t) >= 12}
    ours = [normalize(str(r["text"])) for p in ("train.jsonl", "test.jsonl") for r in load_rows(DATA_DIR / p)]
    assert not [t for t in ours if t in dev_texts or any(d in t for d in dev_texts if len(d) >= 30)]
