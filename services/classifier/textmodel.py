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
from dataclasses import asdict, dataclass, field, replace
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
from services.classifier.segment import CJK_RUN, cjk_chunks, has_kana

__all__ = [
    "DEFAULT_MODEL_DIR",
    "LABELS",
    "MIN_SHARE",
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
    _cache: dict[str, tuple[float, ...]] = field(default_factory=dict, repr=False, compare=False)

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

    def _unit_vectors(self, units: Sequence[str]) -> list[tuple[float, ...]]:
        """Per unit (a folded word or CJK chunk): its features' summed class scores, before the text's norm.

        A unit's vector depends on the unit alone, and words repeat across messages (Zipf), so vectors are
        kept in a bounded per-model cache: a warm explanation is a dictionary lookup per word.
        """
        cache = self._cache
        # A local snapshot: another thread clearing the shared cache meanwhile cannot lose a vector here.
        found = {u: cache.get(u) for u in units}
        missing = [u for u, vec in found.items() if vec is None]
        if missing:
            fb = hashed_features(missing, _without_cues(self.spec), normalized=True)
            contrib = self.weights[fb.cols] * (fb.values * self.idf[fb.cols])[:, None]
            sums = np.zeros((len(missing), len(LABELS)), dtype=np.float64)
            np.add.at(sums, fb.rows, contrib)
            fresh = dict(zip(missing, map(tuple, sums.tolist()), strict=True))
            found.update(fresh)
            if len(cache) + len(fresh) > _UNIT_CACHE_MAX:
                cache.clear()
            cache.update(fresh)
        return [vec for u in units if (vec := found[u]) is not None]

    def prime(self, texts: Sequence[str]) -> None:
        """Fill the unit cache for the words of many texts in one pass (before explaining each of them)."""
        units: list[str] = []
        for text in texts:
            folded = fold(text)
            units.extend(_unit_key(folded[a:b]) for a, b in unit_spans(text) if b - a >= 2)
        self._unit_vectors(units)

    def explain(self, text: str, label: int, top: int = 5, *, norm: float | None = None) -> list[Explanation]:
        """Words and cue phrases of ``text`` that pushed it towards ``label`` most, with offsets into ``text``.

        A word's weight is the sum of its own features (the word, its character n-grams) times the model's
        margin for ``label`` over the other labels' mean, scaled like the text's own features; a cue phrase's
        weight is its lexicon concept's. ``norm`` is the text's feature norm from :meth:`logits` (computed
        when not given). Chinese and Japanese runs are explained by whole chunks of two or more characters
        (see ``segment.py``), never by a single character or a bigram cut out of two words. Only whole
        words, chunks or cue phrases are returned, strongest first, never overlapping, each phrase once,
        and none weaker than :data:`MIN_SHARE` of the strongest.
        """
        if norm is None:
            normed = normalize(text)
            if not normed:
                return []
            norm = float(self.logits([normed])[1][0])
        norm = norm or 1.0
        folded = fold(text)
        cands: list[Explanation] = []
        all_spans = unit_spans(text)
        spans = [(a, b) for a, b in all_spans if b - a >= 2]
        if spans:
            units = [_unit_key(folded[a:b]) for a, b in spans]
            others = len(LABELS) - 1
            for (a, b), unit, vec in zip(spans, units, self._unit_vectors(units), strict=True):
                sc = (vec[label] - (sum(vec) - vec[label]) / others) / norm
                if sc > 0 and unit.strip("0"):
                    cands.append(Explanation(text[a:b], a, b, round(sc, 4), None))
        if self.spec.cue_weight > 0:
            w = self.weights
            for cue in find_cues(folded, folded=True):
                b = cue_feature_index(cue.concept, self.spec.bits)
                margin = float(w[b, label]) - (float(w[b].sum()) - float(w[b, label])) / (len(LABELS) - 1)
                sc = self.spec.cue_weight * float(self.idf[b]) * margin / norm
                start, end = _whole(cue.start, cue.end, text, all_spans)
                if sc > 0 and end - start >= 2:
                    cands.append(Explanation(text[start:end], start, end, round(sc, 4), cue.concept))
        return _pick(cands, top)


def _whole(start: int, end: int, text: str, spans: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """A Chinese/Japanese cue made whole: one character ("吗") widens to the chunks it touches, and a
    kanji stem ("まだ届") keeps its okurigana ("まだ届いていない"); Latin cues are whole words already."""
    if not CJK_RUN.search(text, start, end):
        return start, end
    short = end - start < 2
    stem = end < len(text) and _HIRAGANA.match(text, end) is not None
    for a, b in spans:
        if short and a <= start < b:
            start = a
        if (short or stem) and a < end < b:
            end = b
    return start, end


_HIRAGANA = re.compile("[\u3041-\u309f]")


MIN_SHARE = 0.15  # weaker pieces ("to", "and") say nothing a reader can use


def _pick(cands: Sequence[Explanation], top: int) -> list[Explanation]:
    """The strongest candidates: no overlaps, each phrase once (case-folded), none below MIN_SHARE."""
    picked: list[Explanation] = []
    seen: set[str] = set()
    for cand in sorted(cands, key=lambda c: (-c.weight, c.start)):
        if len(picked) >= top or (picked and cand.weight < MIN_SHARE * picked[0].weight):
            break
        key = cand.phrase.casefold()
        if key in seen or any(cand.start < p.end and p.start < cand.end for p in picked):
            continue
        seen.add(key)
        picked.append(cand)
    return picked


_UNIT_CACHE_MAX = 100_000
_DIGITS = re.compile(r"\d+")


def _unit_key(folded_unit: str) -> str:
    """A word as the model sees it: fold() keeps offsets, so it is a slice of the folded text, and digits
    collapse as in normalize() (str.isalpha skips the regex for the usual digit-free word)."""
    return folded_unit if folded_unit.isalpha() else _DIGITS.sub("0", folded_unit)


@lru_cache(maxsize=8)
def _without_cues(spec: FeatureSpec) -> FeatureSpec:
    """Single words are scored without lexicon concepts (those are explained as whole phrases)."""
    return replace(spec, cue_weight=0.0)


_UNIT = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")  # "doesn't" is one word


def unit_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every word of ``text``; a Chinese/Japanese run contributes its chunks (segment.py)."""
    if not CJK_RUN.search(text):
        return [m.span() for m in _UNIT.finditer(text)]
    out: list[tuple[int, int]] = []
    japanese: bool | None = None
    for m in _UNIT.finditer(text):
        word_start = m.start()
        pos = 0
        word = m.group()
        for run in CJK_RUN.finditer(word):
            if japanese is None:
                japanese = has_kana(text)
            if run.start() > pos:
                out.append((word_start + pos, word_start + run.start()))
            base = word_start + run.start()
            out.extend((base + a, base + b) for a, b in cjk_chunks(run.group(), japanese=japanese))
            pos = run.end()
        if pos < len(word):
            out.append((word_start + pos, m.end()))
    return out
