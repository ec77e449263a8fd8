"""The linear text model: a compact, content-addressed artifact scored with numpy only.

Artifact layout (``services/classifier/model/``): ``weights.npz`` holds the rows of the hashed weight matrix
for buckets seen in training (``cols`` uint32, ``weights`` float16 of shape (rows, classes), ``idf`` float16,
``bias`` float32) written as a zip with fixed timestamps, and ``meta.json`` holds the feature spec, labels and training facts. The version
is a hash of both, so the same training run always yields the same version.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from services.classifier.features import (
    FeatureSpec,
    cue_feature_index,
    featurize,
    hashed_features,
    normalize,
)
from services.classifier.lexicon import find_cues, fold

__all__ = [
    "DEFAULT_MODEL_DIR",
    "LABELS",
    "Explanation",
    "TextModel",
    "artifact_version",
    "unit_spans",
    "write_artifact",
]

LABELS = ("NOT_RECEIVED", "NOT_AS_DESCRIBED", "DEFECTIVE", "OTHER")
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "model"
_WEIGHTS = "weights.npz"
_META = "meta.json"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _npz_bytes(arrays: Mapping[str, npt.NDArray[Any]]) -> bytes:
    """An .npz archive whose bytes depend only on the arrays (np.savez stamps the wall clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
    return out.getvalue()


def _canonical(meta: Mapping[str, Any]) -> bytes:
    return json.dumps(meta, sort_keys=True, ensure_ascii=False, indent=1).encode() + b"\n"


def artifact_version(weights: bytes, meta: Mapping[str, Any]) -> str:
    """Content hash of the artifact (metadata without its own version field)."""
    body = {k: v for k, v in meta.items() if k != "version"}
    return "tm-" + hashlib.sha256(weights + _canonical(body)).hexdigest()[:16]


def write_artifact(
    out_dir: Path,
    *,
    coef: npt.NDArray[np.floating[Any]],
    bias: npt.NDArray[np.floating[Any]],
    idf: npt.NDArray[np.floating[Any]],
    spec: FeatureSpec,
    info: Mapping[str, Any],
) -> str:
    """Write weights.npz + meta.json for a (classes, features) coefficient matrix; return the version."""
    w16 = coef.T.astype(np.float16)
    idf16 = idf.astype(np.float16)
    cols = np.flatnonzero((idf16 > 0) & np.any(w16 != 0, axis=1)).astype(np.uint32)
    arrays: dict[str, npt.NDArray[Any]] = {
        "cols": cols,
        "weights": w16[cols],
        "idf": idf16[cols],
        "bias": bias.astype(np.float32),
    }
    weights = _npz_bytes(arrays)
    meta: dict[str, Any] = {"labels": list(LABELS), "spec": asdict(spec), "info": dict(info)}
    meta["version"] = artifact_version(weights, meta)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / _WEIGHTS).write_bytes(weights)
    (out_dir / _META).write_bytes(_canonical(meta))
    return str(meta["version"])


@dataclass(frozen=True, slots=True)
class Explanation:
    """A piece of the buyer's own text behind a decision: ``text[start:end] == phrase``."""

    phrase: str
    start: int
    end: int
    weight: float
    concept: str | None  # the lexicon concept when the piece is a cue phrase


@dataclass(frozen=True, slots=True)
class TextModel:
    """Hashed n-gram linear model over the four labels."""

    spec: FeatureSpec
    weights: npt.NDArray[np.float32]  # (2**bits, classes)
    idf: npt.NDArray[np.float32]  # (2**bits,), 0 for buckets unseen in training
    bias: npt.NDArray[np.float32]
    version: str
    temperature: float = 1.0  # divides the logits; fitted on a held-out split of the training data
    # Per label: the lowest confidence at which automatic replies met the precision target on that split.
    thresholds: tuple[float, ...] | None = None

    @classmethod
    def load(cls, model_dir: Path = DEFAULT_MODEL_DIR) -> TextModel:
        """Read an artifact directory; the version is recomputed from its content."""
        raw = (model_dir / _WEIGHTS).read_bytes()
        meta = json.loads((model_dir / _META).read_text(encoding="utf-8"))
        if tuple(meta["labels"]) != LABELS:
            raise ValueError(f"model labels {meta['labels']} != {LABELS}")
        spec = FeatureSpec(**meta["spec"])
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            cols = npz["cols"].astype(np.int64)
            dense = np.zeros((1 << spec.bits, len(LABELS)), dtype=np.float32)
            dense[cols] = npz["weights"].astype(np.float32)
            idf = np.zeros(1 << spec.bits, dtype=np.float32)
            idf[cols] = npz["idf"].astype(np.float32)
            bias = npz["bias"].astype(np.float32)
        info = meta.get("info", {})
        calib = info.get("calibration") or {}
        thresholds = calib.get("thresholds")
        return cls(
            spec=spec,
            weights=dense,
            idf=idf,
            bias=bias,
            version=artifact_version(raw, meta),
            temperature=float(calib.get("temperature", 1.0)),
            thresholds=tuple(float(thresholds[label]) for label in LABELS) if thresholds else None,
        )

    def logits(self, normed: Sequence[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per-text class scores for normalized texts, and each text's feature norm (for :meth:`explain`)."""
        fb = featurize(normed, self.spec, idf=self.idf, normalized=True)
        n = fb.n_rows
        out = np.empty((n, len(LABELS)), dtype=np.float64)
        contrib = self.weights[fb.cols] * fb.values[:, None]
        for k in range(len(LABELS)):
            out[:, k] = np.bincount(fb.rows, weights=contrib[:, k], minlength=n) + self.bias[k]
        norms = fb.norms if fb.norms is not None else np.ones(n)
        return out, norms

    def _margin(self, cols: npt.NDArray[np.int64], label: int) -> npt.NDArray[np.float32]:
        """Per feature column: its weight for ``label`` minus its mean weight for the other labels."""
        w = self.weights[cols]
        out: npt.NDArray[np.float32] = w[:, label] - (w.sum(axis=1) - w[:, label]) / (len(LABELS) - 1)
        return out

    def explain(self, text: str, label: int, top: int = 5, *, norm: float | None = None) -> list[Explanation]:
        """Words and cue phrases of ``text`` that pushed it towards ``label`` most, with offsets into ``text``.

        A word's weight is the sum of its own features (the word, its character n-grams) times the model's
        margin for ``label`` over the other labels' mean, scaled like the text's own features; a cue phrase's
        weight is its lexicon concept's. ``norm`` is the text's feature norm from :meth:`logits` (computed
        when not given). Chinese/Japanese runs are explained by character bigrams. Only
        whole words, bigrams or phrases are returned, strongest first, never overlapping.
        """
        normed = normalize(text)
        if not normed:
            return []
        if norm is None:
            norm = float(self.logits([normed])[1][0])
        norm = norm or 1.0
        spans = unit_spans(text)
        folded = fold(text)
        cands: list[Explanation] = []
        if spans:
            # fold() keeps offsets, so a word's folded form is a slice (digits collapse as in normalize()).
            # (str.isalpha skips the regex for the usual digit-free word: \d never matches a letter.)
            units = [u if (u := folded[a:b]).isalpha() else _DIGITS.sub("0", u) for a, b in spans]
            fb = hashed_features(units, _without_cues(self.spec), normalized=True)
            contrib = fb.values * self.idf[fb.cols] * self._margin(fb.cols, label)
            scores = np.bincount(fb.rows, weights=contrib, minlength=len(units)) / norm
            for (a, b), unit, sc in zip(spans, units, scores.tolist(), strict=True):
                if sc > 0 and unit and unit != "0":
                    cands.append(Explanation(text[a:b], a, b, round(sc, 4), None))
        if self.spec.cue_weight > 0:
            for cue in find_cues(folded, folded=True):
                b = cue_feature_index(cue.concept, self.spec.bits)
                sc = (
                    self.spec.cue_weight
                    * float(self.idf[b])
                    * float(self._margin(np.array([b]), label)[0])
                    / norm
                )
                if sc > 0:
                    cands.append(
                        Explanation(text[cue.start : cue.end], cue.start, cue.end, round(sc, 4), cue.concept)
                    )
        picked: list[Explanation] = []
        for cand in sorted(cands, key=lambda c: (-c.weight, c.start)):
            if len(picked) >= top:
                break
            if any(cand.start < p.end and p.start < cand.end for p in picked):
                continue
            picked.append(cand)
        return picked


_DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=8)
def _without_cues(spec: FeatureSpec) -> FeatureSpec:
    """Single words are scored without lexicon concepts (those are explained as whole phrases)."""
    return replace(spec, cue_weight=0.0)


_UNIT = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")  # "doesn't" is one word
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def unit_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every word of ``text``; a Chinese/Japanese run contributes its character bigrams."""
    out: list[tuple[int, int]] = []
    for m in _UNIT.finditer(text):
        word_start = m.start()
        pos = 0
        word = m.group()
        for run in _CJK_RUN.finditer(word):
            if run.start() > pos:
                out.append((word_start + pos, word_start + run.start()))
            a, b = word_start + run.start(), word_start + run.end()
            out.extend([(i, i + 2) for i in range(a, b - 1)] if b - a > 1 else [(a, b)])
            pos = run.end()
        if pos < len(word):
            out.append((word_start + pos, m.end()))
    return out
