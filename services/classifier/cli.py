"""Operator commands of the classifier: ``classify`` and ``eval`` over JSON-lines files."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from services.classifier.engine import Classifier
from services.classifier.jsonl import line_to_inputs, verdict_to_line
from services.classifier.metrics import EvalReport, evaluate
from services.classifier.textmodel import LABELS
from shared.settings import ClassifierSettings

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False)

JsonlArg = Annotated[
    Path, typer.Option("--jsonl", exists=True, dir_okay=False, help="Input JSON-lines file.")
]
ModelArg = Annotated[
    Path | None, typer.Option("--model", file_okay=False, help="Model directory (default: the shipped one).")
]


def _read(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                row = json.loads(line)
                if "id" not in row:
                    raise typer.BadParameter(f"line {n}: missing 'id'")
                rows.append(row)
    return rows


@app.command("classify")
def classify_cmd(
    jsonl: JsonlArg,
    out: Annotated[Path | None, typer.Option("--out", help="Write results here instead of stdout.")] = None,
    model: ModelArg = None,
) -> None:
    """Classify each line {"id","text","language"?, ...signals}; write one JSON verdict per line."""
    clf = Classifier.load(model)
    settings = ClassifierSettings()
    now = datetime.now(UTC)
    sink = out.open("wb") if out else sys.stdout.buffer
    try:
        for row in _read(jsonl):
            signal, context, history = line_to_inputs(row, now=now)
            verdict = clf.classify(signal, context=context, history=history, now=now, settings=settings)
            sink.write(orjson.dumps(verdict_to_line(str(row["id"]), verdict)) + b"\n")
    finally:
        if out:
            sink.close()


def _rows(report: EvalReport, indent: str = "") -> list[str]:
    out = [
        f"{indent}{c.label:<18}{c.precision:>10.3f}{c.recall:>8.3f}{c.f1:>8.3f}{c.support:>9}"
        for c in report.classes
        if c.support or c.precision
    ]
    out.append(f"{indent}macro-F1 {report.macro_f1:.3f}  accuracy {report.accuracy:.3f}  n={report.n}")
    return out


def _table(report: EvalReport) -> str:
    head = f"{'class':<18}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"
    lines = [head, *_rows(report)]
    for lang, rep in report.by_language.items():
        lines += ["", f"[{lang}]", *_rows(rep, indent="  ")]
    return "\n".join(lines)


@app.command("eval")
def eval_cmd(
    jsonl: JsonlArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    min_macro_f1: Annotated[
        float | None, typer.Option("--min-macro-f1", help="Exit 1 below this macro-F1.")
    ] = None,
    model: ModelArg = None,
) -> None:
    """Score the text model on labelled lines {"id","text","label","language"?}: P/R/F1 per class and language."""
    rows = _read(jsonl)
    bad = sorted({str(r.get("label")) for r in rows} - set(LABELS))
    if bad:
        raise typer.BadParameter(f"unknown labels {bad}; expected {list(LABELS)}")
    clf = Classifier.load(model)
    verdicts = clf.classify_texts([str(r.get("text") or "") for r in rows])
    report = evaluate(
        [r["label"] for r in rows], [v.label for v in verdicts], [r.get("language") for r in rows]
    )
    if as_json:
        body = {**report.as_dict(), "model_version": clf.model_version, "file": str(jsonl)}
        print(json.dumps(body, indent=2))
    else:
        print(f"model {clf.model_version} on {jsonl}")
        print(_table(report))
    if min_macro_f1 is not None and report.macro_f1 < min_macro_f1:
        print(f"macro-F1 {report.macro_f1:.3f} is below the floor {min_macro_f1:.3f}", file=sys.stderr)
        raise typer.Exit(1)
