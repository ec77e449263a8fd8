"""`classify` and `eval` on JSON lines with bad lines: standard input, a reason per line number, the good
lines still processed, exit 1, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from services.classifier.cli import app

HELD_OUT = Path(__file__).resolve().parents[2] / "services" / "classifier" / "data" / "test.jsonl"


def _numbers(stderr: str) -> list[str]:
    return sorted(line.split(": error: ")[0] for line in stderr.splitlines() if ": error: " in line)


def test_classify_reads_standard_input_and_reports_each_bad_line() -> None:
    lines = [
        json.dumps({"id": "a", "text": "My package never arrived.", "language": "en"}).encode(),
        b"not json",
        b"\xff\xfe\x00",
        json.dumps({"id": "c", "text": "x", "order_id": {"nested": 1}}).encode(),
        json.dumps({"text": "no id"}).encode(),
        json.dumps({"id": "d", "text": "The item was broken on arrival.", "language": "en"}).encode(),
    ]
    result = CliRunner().invoke(app, ["classify", "--jsonl", "-", "--out", "-"], input=b"\n".join(lines))
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "d"]
    assert _numbers(result.stderr) == ["<stdin>:2", "<stdin>:3", "<stdin>:4", "<stdin>:5"]
    assert "Traceback" not in result.output


def test_classify_writes_a_file_and_names_a_missing_input(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "My package never arrived."}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["classify", "--jsonl", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["id"] == "a"
    missing = CliRunner().invoke(app, ["classify", "--jsonl", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2
    assert "nope.jsonl" in missing.stderr


def test_eval_scores_the_good_lines_and_fails_on_the_bad_one(tmp_path: Path) -> None:
    good = HELD_OUT.read_text(encoding="utf-8").splitlines()[:40]
    src = tmp_path / "labelled.jsonl"
    src.write_text("\n".join([*good[:20], "{broken", *good[20:]]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--jsonl", str(src), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["n"] == 40
    assert _numbers(result.stderr) == [f"{src}:21"]
    assert "Traceback" not in result.output
