"""The responder CLI: lint-reply on JSON lines and lint-templates."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from services.responder.cli import app
from services.responder.replies.templating import list_templates

ORDER = "123-1234567-1234567"


def _write(path: Path, rows: list[object | str]) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
        encoding="utf-8",
    )
    return path


def test_lint_reply_prints_one_line_per_input_and_fails_on_violations(tmp_path: Path) -> None:
    good = f"We are sorry: the carrier lost your parcel for order {ORDER}. We will send a replacement today."
    bad = f"Bestellung {ORDER}: Rufen Sie uns an unter 030 12345678!"
    src = _write(
        tmp_path / "drafts.jsonl",
        [
            {"id": "a", "text": good, "channel": "messaging:unexpectedProblem", "locale": "en-US"},
            {"id": "b", "text": bad, "channel": "email", "locale": "de-DE", "order_id": ORDER},
            "not json",
        ],
    )
    result = CliRunner().invoke(app, ["lint-reply", "--jsonl", str(src)])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["ok"]) for r in rows] == [("a", True), ("b", False), (None, False)]
    spans = {(v["rule_id"], v["excerpt"]) for v in rows[1]["violations"]}
    assert spans == {("contact.off_amazon", "Rufen Sie uns"), ("contact.phone", "030 12345678")}
    assert bad[rows[1]["violations"][0]["start"] : rows[1]["violations"][0]["end"]] in (
        "Rufen Sie uns",
        "030 12345678",
    )
    assert "error" in rows[2]


def test_lint_reply_exits_zero_when_all_pass(tmp_path: Path) -> None:
    text = f"Thank you for your message about order {ORDER}. We will send a replacement today."
    src = _write(tmp_path / "ok.jsonl", [{"id": 1, "text": text, "channel": "email", "locale": "en"}])
    result = CliRunner().invoke(app, ["lint-reply", "--jsonl", str(src)])
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout) == {"id": 1, "ok": True, "violations": []}


def test_lint_templates_passes_on_the_shipped_templates() -> None:
    result = CliRunner().invoke(app, ["lint-templates"])
    assert result.exit_code == 0, result.stdout
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == sum(1 + len(t.variants) for t in list_templates())  # other wordings too
    assert any(r["id"].endswith("+v1") for r in rows)
    assert all(r["ok"] for r in rows)


def test_lint_reply_reads_standard_input_and_reports_bad_lines_by_number() -> None:
    text = f"Thank you for your message about order {ORDER}. We will send a replacement today."
    good = json.dumps({"id": "g", "text": text, "channel": "email", "locale": "en"}).encode()
    lines = [
        good,
        b"\xff\xfe not utf-8",
        b'{"id": "n", "text": "a\x00b", "channel": "email"}',
        b"",
        json.dumps({"id": "t", "text": text, "channel": "email", "locale": 7}).encode(),
        good,
    ]
    result = CliRunner().invoke(app, ["lint-reply", "--jsonl", "-", "--out", "-"], input=b"\n".join(lines))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["ok"]) for r in rows] == [
        ("g", True),
        (None, False),
        (None, False),
        (None, False),
        ("g", True),
    ]
    assert [r.get("line") for r in rows] == [None, 2, 3, 5, None]
    assert "locale must be a string" in rows[3]["error"]
    errors = result.stderr.splitlines()
    assert [e.split(": error: ")[0] for e in errors] == ["<stdin>:2", "<stdin>:3", "<stdin>:5"]
    assert "Traceback" not in result.output


def test_lint_reply_writes_to_a_file_and_names_a_missing_input(tmp_path: Path) -> None:
    text = f"Thank you for your message about order {ORDER}. We will send a replacement today."
    src = _write(tmp_path / "ok.jsonl", [{"id": 1, "text": text, "channel": "email", "locale": "en"}])
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["lint-reply", "--jsonl", str(src), "--out", str(out)])
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["ok"] is True
    missing = CliRunner().invoke(app, ["lint-reply", "--jsonl", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2
    assert "nope.jsonl" in missing.stderr
