"""Text normalization and hashed character/word n-gram features, vectorized with numpy.

The same functions serve training and inference so the two can never drift: a text becomes a set of
feature indices (hashed char n-grams over the normalized text, plus hashed word unigrams and bigrams), each
with a block weight, L2-normalized per text. Hashes are stable across processes (no Python ``hash``).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.classifier.lexicon import find_cues

__all__ = [
    "FeatureBatch",
    "FeatureSpec",
    "char_ngram_index",
    "char_ngrams_of",
    "cue_feature_index",
    "featurize",
    "hashed_features",
    "inverse_document_frequency",
    "normalize",
    "word_feature_index",
    "word_tokens",
]

_U64 = np.uint64
_P = 0x100000001B3  # FNV prime: odd, so the polynomial hash spreads well mod 2**64
_MASK64 = (1 << 64) - 1
_CHAR_SEED = 0x9E3779B97F4A7C15
_WORD_SEED = 0xC2B2AE3D27D4EB4F
_BIGRAM_SEED = 0x165667B19E3779F9
_SEP = 0x1  # never survives normalization, so it cleanly separates texts in one buffer

_URL = re.compile(r"https?://\S+|www\.\S+|\[link\]", re.IGNORECASE)
_MENTION = re.compile(r"@[A-Za-z0-9_]+")
_DIGITS = re.compile(r"\d+")
_PUNCT = re.compile(r"[^\w\s?!]|_")
_QUESTION = re.compile(r"([?!])")
_SPACES = re.compile(r"\s+")
_LATIN_MARKS = re.compile(r"[\u0300-\u036f]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CUE_SEED = 0xD6E8FEB86659FD93


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """Hashing layout; stored in the model metadata so inference matches training."""

    bits: int = 18
    char_min: int = 1
    char_max: int = 4
    word_weight: float = 2.0
    char_weight: float = 1.0
    cjk_bigrams: bool = False  # Chinese/Japanese runs become overlapping character bigrams (their "words")
    cue_weight: float = 0.0  # block weight of the lexicon concept features (0: off)


@dataclass(frozen=True, slots=True)
class FeatureBatch:
    """Sparse rows in coordinate form: row ``rows[i]`` has value ``values[i]`` at column ``cols[i]``."""

    rows: npt.NDArray[np.int64]
    cols: npt.NDArray[np.int64]
    values: npt.NDArray[np.float32]
    n_rows: int
    norms: npt.NDArray[np.float64] | None = None  # per text, the L2 norm divided out (featurize only)


def normalize(text: str) -> str:
    """Fold width, case and Latin accents; mask URLs, mentions and digits; keep ? and ! as tokens."""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = _URL.sub(" url ", t)
    t = _MENTION.sub(" @ ", t)
    # Strip only Latin combining marks: Japanese voicing marks (U+3099/309A) must survive NFKD.
    t = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", t)))
    t = _DIGITS.sub("0", t)
    t = _PUNCT.sub(" ", t)
    t = _QUESTION.sub(r" \1 ", t)
    return _SPACES.sub(" ", t).strip()


def _mix(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64 finalizer, so that similar n-grams land in unrelated buckets."""
    z = z ^ (z >> _U64(30))
    z = z * _U64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> _U64(27))
    z = z * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def _mix_int(z: int) -> int:
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & _MASK64
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB & _MASK64
    return z ^ (z >> 31)


def char_ngram_index(gram: str, bits: int) -> int:
    """Bucket of one char n-gram (pure-Python twin of the vectorized hash, used for explanations)."""
    h = 0
    for ch in gram:
        h = (h * _P + ord(ch)) & _MASK64
    return _mix_int((h + len(gram) * _CHAR_SEED) & _MASK64) >> (64 - bits)


def word_feature_index(words: Sequence[str], bits: int) -> int:
    """Bucket of a word unigram or bigram (pure-Python twin of the vectorized hash)."""
    crcs = [zlib.crc32(w.encode()) for w in words]
    if len(crcs) == 1:
        return _mix_int((crcs[0] + _WORD_SEED) & _MASK64) >> (64 - bits)
    return _mix_int((crcs[0] * _P + crcs[1] + _BIGRAM_SEED) & _MASK64) >> (64 - bits)


def char_ngrams_of(
    normed: str, spec: FeatureSpec
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Buckets, start offsets and lengths of every char n-gram of ``f" {normed} "`` (for explanations)."""
    padded = f" {normed} "
    cps = np.frombuffer(padded.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    shift = _U64(64 - spec.bits)
    buckets: list[npt.NDArray[np.int64]] = []
    starts: list[npt.NDArray[np.int64]] = []
    lengths: list[npt.NDArray[np.int64]] = []
    h = np.zeros(len(cps), dtype=np.uint64)
    for n in range(1, spec.char_max + 1):
        span = len(cps) - n + 1
        if span <= 0:
            break
        h = h[:span] * _U64(_P) + cps[n - 1 : n - 1 + span]
        if n >= spec.char_min:
            buckets.append((_mix(h + _U64((n * _CHAR_SEED) & _MASK64)) >> shift).astype(np.int64))
            starts.append(np.arange(span, dtype=np.int64))
            lengths.append(np.full(span, n, dtype=np.int64))
    if not buckets:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    return np.concatenate(buckets), np.concatenate(starts), np.concatenate(lengths)


def _char_features(
    normed: Sequence[str], spec: FeatureSpec
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    buf = "\x01" + "\x01".join(f" {t} " for t in normed) + "\x01"
    cps = np.frombuffer(buf.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    if len(normed) == 1:  # one text: no window can hold a separator but those at its two ends
        doc = np.zeros(len(cps), dtype=np.int64)
        seps = None
    else:
        is_sep = cps == _SEP
        doc = np.cumsum(is_sep) - 1  # index of the text each position belongs to
        seps = np.concatenate(([0], np.cumsum(is_sep)))
    rows: list[npt.NDArray[np.int64]] = []
    hashes: list[npt.NDArray[np.uint64]] = []
    h = np.zeros(len(cps), dtype=np.uint64)
    for n in range(1, spec.char_max + 1):
        span = len(cps) - n + 1
        if span <= 0:
            break
        h = h[:span] * _U64(_P) + cps[n - 1 : n - 1 + span]
        if n < spec.char_min:
            continue
        if seps is None:
            ok = slice(1, span - 1)  # windows between the leading and the trailing separator
            rows.append(doc[ok])
        else:
            ok = (seps[n : n + span] - seps[:span]) == 0  # window holds no separator
            rows.append(doc[:span][ok])
        hashes.append(h[ok] + _U64((n * _CHAR_SEED) & _MASK64))
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # One mix over every n at once: per-call overhead, not arithmetic, dominates a single short text.
    cols = (_mix(np.concatenate(hashes)) >> _U64(64 - spec.bits)).astype(np.int64)
    return np.concatenate(rows), cols


def word_tokens(normed: str, *, cjk_bigrams: bool) -> list[str]:
    """The word tokens of a normalized text; with ``cjk_bigrams`` a CJK run yields its character bigrams."""
    toks = normed.split()
    if not cjk_bigrams or not _CJK.search(normed):
        return toks
    out: list[str] = []
    for tok in toks:
        if _CJK.search(tok) and len(tok) > 2:
            out.extend(tok[i : i + 2] for i in range(len(tok) - 1))
        else:
            out.append(tok)
    return out


def cue_feature_index(concept: str, bits: int) -> int:
    """Bucket of one lexicon concept feature."""
    return _mix_int((zlib.crc32(concept.encode()) + _CUE_SEED) & _MASK64) >> (64 - bits)


def _cue_features(
    normed: Sequence[str], spec: FeatureSpec
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    rows: list[int] = []
    cols: list[int] = []
    for i, t in enumerate(normed):
        for concept in {c.concept for c in find_cues(t, folded=True)}:
            rows.append(i)
            cols.append(cue_feature_index(concept, spec.bits))
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def _word_features(
    normed: Sequence[str], spec: FeatureSpec
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    crcs: list[int] = []
    docs: list[int] = []
    for i, t in enumerate(normed):
        toks = word_tokens(t, cjk_bigrams=spec.cjk_bigrams)
        crcs.extend(zlib.crc32(w.encode()) for w in toks)
        docs.extend([i] * len(toks))
    if not crcs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    c = np.asarray(crcs, dtype=np.uint64)
    d = np.asarray(docs, dtype=np.int64)
    shift = _U64(64 - spec.bits)
    uni = _mix(c + _U64(_WORD_SEED)) >> shift
    same = d[1:] == d[:-1]
    bi = _mix(c[:-1][same] * _U64(_P) + c[1:][same] + _U64(_BIGRAM_SEED)) >> shift
    return (
        np.concatenate((d, d[:-1][same])),
        np.concatenate((uni.astype(np.int64), bi.astype(np.int64))),
    )


def _dedup(rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], bits: int) -> npt.NDArray[np.int64]:
    # np.sort + neighbour compare: np.unique is an order of magnitude slower here.
    keys = np.sort((rows << np.int64(bits)) | cols)
    keep = np.ones(len(keys), dtype=bool)
    keep[1:] = keys[1:] != keys[:-1]
    return keys[keep]


def hashed_features(texts: Sequence[str], spec: FeatureSpec, *, normalized: bool = False) -> FeatureBatch:
    """Binary hashed features per text with their block weights, not yet IDF-weighted or normalized."""
    normed = list(texts) if normalized else [normalize(t) for t in texts]
    mask = np.int64((1 << spec.bits) - 1)
    keys = []
    weights = []
    blocks = [
        (_char_features, spec.char_weight),
        (_word_features, spec.word_weight),
        (_cue_features, spec.cue_weight),
    ]
    for block, w in blocks:
        if w <= 0:
            continue
        r, c = block(normed, spec)
        if len(r) == 0:
            continue
        k = _dedup(r, c, spec.bits)
        keys.append(k)
        weights.append(np.full(len(k), w, dtype=np.float32))
    if not keys:
        empty = np.zeros(0, np.int64)
        return FeatureBatch(empty, empty, np.zeros(0, np.float32), len(normed))
    key = np.concatenate(keys)
    return FeatureBatch(key >> np.int64(spec.bits), key & mask, np.concatenate(weights), len(normed))


def inverse_document_frequency(batch: FeatureBatch, bits: int) -> npt.NDArray[np.float32]:
    """Smoothed IDF per bucket, ``ln((1 + N) / (1 + df)) + 1``; 0 for buckets never seen in training."""
    df = np.bincount(batch.cols, minlength=1 << bits).astype(np.float64)
    idf = np.log((1.0 + batch.n_rows) / (1.0 + df)) + 1.0
    return np.where(df > 0, idf, 0.0).astype(np.float32)


def featurize(
    texts: Sequence[str],
    spec: FeatureSpec,
    *,
    idf: npt.NDArray[np.float32] | None = None,
    normalized: bool = False,
) -> FeatureBatch:
    """Hashed features, IDF-weighted (unseen buckets dropped) and L2-normalized per text."""
    fb = hashed_features(texts, spec, normalized=normalized)
    rows, cols, val = fb.rows, fb.cols, fb.values
    if idf is not None:
        val = val * idf[cols]
        keep = val > 0
        rows, cols, val = rows[keep], cols[keep], val[keep]
    norms = np.sqrt(np.bincount(rows, weights=val.astype(np.float64) ** 2, minlength=fb.n_rows))
    val = (val / np.maximum(norms[rows], 1e-12)).astype(np.float32)
    return FeatureBatch(rows, cols, val, fb.n_rows, norms)
