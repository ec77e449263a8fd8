"""Responder command line: lint draft replies and the shipped templates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from services.responder.compliance import lint
from services.responder.templating import list_templates, render_reply, sample_variables

__all__ = ["app"]

app = typer.Typer(help="Responder tools: the compliance linter.", no_args_is_help=True, add_completion=False)


def _emit(row: dict[str, Any]) -> None:
    print(orjson.dumps(row).decode())


def _lint_line(line_no: int, line: str) -> dict[str, Any]:
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return {"id": None, "line": line_no, "ok": False, "error": f"invalid JSON: {exc}"}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item.get("channel"):
        return {"id": None, "line": line_no, "ok": False, "error": "need an object with text and channel"}
    result = lint(
        item["text"],
        channel=str(item["channel"]),
        locale=item.get("locale"),
        order_id=item.get("order_id"),
        subject=item.get("subject"),
    )
    return {
        "id": item.get("id"),
        "ok": result.ok,
        "violations": [v.as_dict() for v in result.violations],
    }


@app.command("lint-reply")
def lint_reply(
    jsonl: Annotated[Path, typer.Option("--jsonl", exists=True, dir_okay=False, help="JSON lines to lint.")],
) -> None:
    """Lint drafts, one JSON object a line: {"id","text","channel","locale"} (+ order_id, subject)."""
    failed = False
    with jsonl.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            row = _lint_line(line_no, line)
            failed = failed or not row["ok"]
            _emit(row)
    if failed:
        raise typer.Exit(code=1)


@app.command("lint-templates")
def lint_templates() -> None:
    """Render every shipped template with sample variables and lint it for its channel and language."""
    failed = False
    for info in list_templates():
        reply = render_reply(
            category=info.category,
            channel=info.channel,
            buyer_locale=info.language,
            marketplace_id=None,
            variables=sample_variables(info.language),
        )
        ok = reply.lint.ok and reply.template_id == info.template_id
        failed = failed or not ok
        _emit(
            {
                "id": info.template_id,
                "version": info.version,
                "ok": ok,
                "violations": [v.as_dict() for v in reply.lint.violations],
            }
        )
    if failed:
        raise typer.Exit(code=1)


if __name__ == "__main__":
    app()
