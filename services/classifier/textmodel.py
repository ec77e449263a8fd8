"""The linear text model: a compact, content-addressed artifact scored with numpy only.

Artifact layout (``services/classifier/model/``): ``weights.npz`` holds the rows of the hashed weight matrix
for buckets seen in training (``cols`` uint32, ``weights`` float16 of shape (rows, classes), ``idf`` float16,
``bias`` float32) written as a zip with fixed timestamps, and ``meta.json`` holds the feature spec, labels and training facts. The version
is a hash of both, so the same training run always yields the same version.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from services.classifier.features import (
    FeatureSpec,
    char_ngrams_of,
    featurize,
    word_feature_index,
)

__all__ = ["DEFAULT_MODEL_DIR", "LABELS", "TextModel", "artifact_version", "write_artifact"]

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
class TextModel:
    """Hashed n-gram linear model over the four labels."""

    spec: FeatureSpec
    weights: npt.NDArray[np.float32]  # (2**bits, classes)
    idf: npt.NDArray[np.float32]  # (2**bits,), 0 for buckets unseen in training
    bias: npt.NDArray[np.float32]
    version: str

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
        return cls(spec=spec, weights=dense, idf=idf, bias=bias, version=artifact_version(raw, meta))

    def logits(self, normed: Sequence[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """Per-text class scores for normalized texts, and the number of active features per text."""
        fb = featurize(normed, self.spec, idf=self.idf, normalized=True)
        n = fb.n_rows
        out = np.empty((n, len(LABELS)), dtype=np.float64)
        contrib = self.weights[fb.cols] * fb.values[:, None]
        for k in range(len(LABELS)):
            out[:, k] = np.bincount(fb.rows, weights=contrib[:, k], minlength=n) + self.bias[k]
        return out, np.bincount(fb.rows, minlength=n)

    def explain(self, normed: str, label: int, top: int = 6) -> list[tuple[str, float]]:
        """Text features that pushed ``normed`` towards ``label`` most, versus the other labels' mean."""
        fb = featurize([normed], self.spec, idf=self.idf, normalized=True)
        w = self.weights[fb.cols]
        margin = w[:, label] - (w.sum(axis=1) - w[:, label]) / (len(LABELS) - 1)
        contrib = dict(zip(fb.cols.tolist(), (margin * fb.values).tolist(), strict=True))
        # Name only the strongest buckets: a bucket's text is the n-gram or word(s) that hashed to it.
        best = {b for b, c in sorted(contrib.items(), key=lambda kv: -kv[1])[: top * 5] if c > 0}
        shown: dict[int, str] = {}
        buckets, starts, lengths = char_ngrams_of(normed, self.spec)
        padded = f" {normed} "
        for i in np.flatnonzero(np.isin(buckets, list(best))).tolist():
            gram = padded[starts[i] : starts[i] + lengths[i]].strip()
            if len(gram) > 1 or (gram and ord(gram) >= 0x2E80):
                shown.setdefault(int(buckets[i]), gram)
        toks = normed.split()
        for words in [[t] for t in toks] + [list(p) for p in itertools.pairwise(toks)]:
            bucket = word_feature_index(words, self.spec.bits)
            if bucket in best:
                shown.setdefault(bucket, " ".join(words))
        seen: dict[str, float] = {}
        for bucket, text in shown.items():
            seen[text] = seen.get(text, 0.0) + contrib[bucket]
        picked: list[tuple[str, float]] = []
        for gram, score in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0])):
            if len(picked) >= top:
                break
            if any(gram in p or p in gram for p, _ in picked):
                continue
            picked.append((gram, round(score, 4)))
        return picked
