"""`classify` and `eval` over JSON lines, including the macro-F1 floor on the project's held-out set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.classifier.cli import app

REPO = Path(__file__).resolve().parents[2]
HELD_OUT = REPO / "services" / "classifier" / "data" / "test.jsonl"
# The floor CI keeps on the held-out set; the shipped model scores about 0.86.
FLOOR = 0.80

runner = CliRunner()


def test_held_out_set_stays_above_the_floor() -> None:
    result = runner.invoke(app, ["eval", "--jsonl", str(HELD_OUT), "--json", "--min-macro-f1", str(FLOOR)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["macro_f1"] >= FLOOR
    assert set(report["by_language"]) == {"de", "en", "es", "fr", "it", "ja", "zh"}
    assert all(lang["macro_f1"] >= 0.7 for lang in report["by_language"].values())


def test_eval_exits_1_below_the_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLASSIFIER_SECOND_OPINION", "false")  # the floor logic, without the encoder's cost
    result = runner.invoke(app, ["eval", "--jsonl", str(HELD_OUT), "--min-macro-f1", "0.999"])
    assert result.exit_code == 1
    assert "macro-F1" in result.stdout
    assert "NOT_AS_DESCRIBED" in result.stdout


def test_eval_rejects_unknown_labels(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "x", "label": "not_received"}) + "\n")
    result = runner.invoke(app, ["eval", "--jsonl", str(path)])
    assert result.exit_code != 0


def test_classify_writes_one_verdict_per_line_with_signals(tmp_path: Path) -> None:
    lines = [
        {"id": "a", "text": "Das Paket ist nie angekommen.", "language": "de"},
        {"id": "b", "text": "", "kind": "return_report_row", "return_reason_code": "AMZ-PG-BAD-DESC"},
        {
            "id": "c",
            "text": "Where is it?",
            "kind": "a_to_z_claim",
            "tracking_milestones": ["IN_TRANSIT", "LOST"],
            "order_amount": "80.00",
            "currency": "USD",
            "history": {"returns_30d": 6, "contradicting_reasons_90d": 2},
        },
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["classify", "--jsonl", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(rows) == {"a", "b", "c"}
    assert (rows["a"]["category"], rows["a"]["language"]) == ("not_received", "de")
    assert rows["b"]["category"] == "not_as_described"
    assert rows["c"]["priority"] == "P1"
    assert rows["c"]["auto_reply"] is False
    assert "abusive_returner" in {t["name"] for t in rows["c"]["tags"]}
    assert {"tracking.lost", "signal.a_to_z_claim"} <= {r["rule_id"] for r in rows["c"]["reasons"]}
    for row in rows.values():
        assert {"category", "tags", "confidence", "language", "priority", "reasons"} <= set(row)
