"""The responder CLI: lint-reply on JSON lines and lint-templates."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from services.responder.cli import app
from services.responder.templating import list_templates

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
    assert len(rows) == len(list_templates())
    assert all(r["ok"] for r in rows)
