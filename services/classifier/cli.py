"""Operator commands of the classifier: ``classify`` and ``eval`` over JSON-lines files."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from services.classifier.engine import Classifier
from services.classifier.jsonl import line_to_inputs, verdict_to_line
from services.classifier.metrics import (
    EvalReport,
    auto_reply_stats,
    confusion,
    evaluate,
    expected_calibration_error,
)
from services.classifier.settings import ClassifierSettings
from services.classifier.textmodel import LABELS
from shared.jsonl import JsonLine, line_error, output, read_lines
from shared.progress import Progress

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False)

JsonlArg = Annotated[str, typer.Option("--jsonl", help="Input JSON-lines file; - for standard input.")]
ModelArg = Annotated[
    Path | None, typer.Option("--model", file_okay=False, help="Model directory (default: the shipped one).")
]


def _read(source: str) -> tuple[list[tuple[int, dict[str, Any]]], bool]:
    """The lines that are objects with an id (and their numbers); whether any other line was reported."""
    rows: list[tuple[int, dict[str, Any]]] = []
    failed = False
    try:
        for line in read_lines(source):
            if line.error is None and not (isinstance(line.value, dict) and "id" in line.value):
                line = JsonLine(line.number, error="need an object with an 'id'")
            if line.error is not None:
                line_error(source, line, line.error)
                failed = True
                continue
            rows.append((line.number, line.value))
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or source}", file=sys.stderr)
        raise typer.Exit(code=2) from None
    return rows, failed


@app.command("classify")
def classify_cmd(
    jsonl: JsonlArg,
    out: Annotated[str, typer.Option("--out", help="Where the verdicts go; - for standard output.")] = "-",
    model: ModelArg = None,
) -> None:
    """Classify each line {"id","text","language"?, ...signals}; write one JSON verdict per line. A bad line is
    reported on standard error with its number and the reason, the others are still classified; exit 1 if any
    failed."""
    settings = ClassifierSettings()
    clf = Classifier.load(model, second_opinion=settings.second_opinion)
    now = datetime.now(UTC)
    rows, failed = _read(jsonl)
    progress = Progress.for_terminal(len(rows), "rows", out=out)
    with output(out) as sink:
        for done, (number, row) in enumerate(rows):
            if progress is not None:
                progress.update(done)
            try:
                signal, context, history = line_to_inputs(row, now=now)
            except (ValueError, TypeError, KeyError) as exc:  # pydantic's ValidationError is a ValueError
                line_error(jsonl, number, f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
                failed = True
                continue
            verdict = clf.classify(signal, context=context, history=history, now=now, settings=settings)
            sink.write(orjson.dumps(verdict_to_line(str(row["id"]), verdict)).decode() + "\n")
    if progress is not None:
        progress.clear()
    if failed:
        raise typer.Exit(code=1)


def _rows(report: EvalReport, indent: str = "") -> list[str]:
    out = [
        f"{indent}{c.label:<18}{c.precision:>10.3f}{c.recall:>8.3f}{c.f1:>8.3f}{c.support:>9}"
        for c in report.classes
        if c.support or c.precision
    ]
    out.append(f"{indent}macro-F1 {report.macro_f1:.3f}  accuracy {report.accuracy:.3f}  n={report.n}")
    return out


@dataclass(frozen=True, slots=True)
class _Extras:
    """Per-row facts behind the calibration, auto-reply and language lines of ``eval``."""

    gold: list[str]
    pred: list[str]
    confidence: list[float]
    answered: list[bool]
    language_ok: list[bool]

    def subset(self, idx: list[int]) -> dict[str, Any]:
        gold = [self.gold[i] for i in idx]
        pred = [self.pred[i] for i in idx]
        auto = auto_reply_stats(gold, pred, [self.answered[i] for i in idx])
        return {
            "confusion": confusion(gold, pred),
            "ece": round(
                expected_calibration_error(
                    [self.confidence[i] for i in idx], [g == p for g, p in zip(gold, pred, strict=True)]
                ),
                4,
            ),
            "auto_reply": {
                "precision": round(auto.precision, 4),
                "answered": auto.answered,
                "coverage": round(auto.coverage, 4),
                "complaints": auto.complaints,
                "complaint_coverage": round(auto.complaint_coverage, 4),
            },
            "language_accuracy": round(sum(self.language_ok[i] for i in idx) / len(idx), 4) if idx else 0.0,
        }


def _extra_lines(facts: dict[str, Any], indent: str = "") -> list[str]:
    short = {"NOT_RECEIVED": "NR", "NOT_AS_DESCRIBED": "NAD", "DEFECTIVE": "DEF", "OTHER": "OTH"}
    lines = [
        f"{indent}confusion (rows gold, columns predicted)  " + " ".join(f"{short[x]:>4}" for x in LABELS)
    ]
    lines += [
        f"{indent}  {short[g]:<39}" + " ".join(f"{n:>4}" for n in row)
        for g, row in zip(LABELS, facts["confusion"], strict=True)
        if any(row)
    ]
    auto = facts["auto_reply"]
    lines.append(
        f"{indent}ECE {facts['ece']:.3f}  auto-reply precision {auto['precision']:.3f} on {auto['answered']} "
        f"(coverage {auto['coverage']:.2f} of rows, {auto['complaint_coverage']:.2f} of "
        f"{auto['complaints']} complaints)  language detected right {facts['language_accuracy']:.3f}"
    )
    return lines


@app.command("eval")
def eval_cmd(
    jsonl: JsonlArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    min_macro_f1: Annotated[
        float | None, typer.Option("--min-macro-f1", help="Exit 1 below this macro-F1.")
    ] = None,
    model: ModelArg = None,
) -> None:
    """Score the text model on labelled lines {"id","text","label","language"?}.

    Prints P/R/F1 per class, and overall and per language: the confusion matrix, the expected calibration
    error, precision and coverage of automatic replies at the model's per-category thresholds, and how
    often the detected language matches the line's ``language``.
    """
    numbered, failed = _read(jsonl)
    rows = [row for _, row in numbered]  # scored without the bad lines, which fail the run below
    bad = sorted({str(r.get("label")) for r in rows} - set(LABELS))
    if bad:
        raise typer.BadParameter(f"unknown labels {bad}; expected {list(LABELS)}")
    settings = ClassifierSettings()
    clf = Classifier.load(model, second_opinion=settings.second_opinion)
    verdicts = clf.classify_texts([str(r.get("text") or "") for r in rows])
    languages = [r.get("language") for r in rows]
    report = evaluate([r["label"] for r in rows], [v.label for v in verdicts], languages)
    extras = _Extras(
        gold=[str(r["label"]) for r in rows],
        pred=[v.label for v in verdicts],
        confidence=[v.confidence for v in verdicts],
        answered=[clf.answers_by_itself(v, settings) for v in verdicts],
        language_ok=[v.language == lang for v, lang in zip(verdicts, languages, strict=True)],
    )
    by_lang = {
        lang: extras.subset([i for i, x in enumerate(languages) if (x or "?") == lang])
        for lang in report.by_language
    }
    overall = extras.subset(list(range(len(rows))))
    if as_json:
        body = {
            **report.as_dict(),
            **overall,
            "extras_by_language": by_lang,
            "model_version": clf.model_version,
            "file": str(jsonl),
        }
        print(json.dumps(body, indent=2))
    else:
        print(f"model {clf.model_version} on {jsonl}")
        lines = [f"{'class':<18}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}", *_rows(report)]
        lines += _extra_lines(overall)
        for lang, rep in report.by_language.items():
            lines += ["", f"[{lang}]", *_rows(rep, indent="  "), *_extra_lines(by_lang[lang], indent="  ")]
        print("\n".join(lines))
    if min_macro_f1 is not None and report.macro_f1 < min_macro_f1:
        print(f"macro-F1 {report.macro_f1:.3f} is below the floor {min_macro_f1:.3f}", file=sys.stderr)
        raise typer.Exit(1)
    if failed:
        raise typer.Exit(1)
