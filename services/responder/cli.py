"""Responder command line: lint draft replies and the shipped templates."""

from __future__ import annotations

import sys
from typing import IO, Annotated, Any

import orjson
import typer

from services.responder.replies.compliance import lint
from services.responder.replies.templating import list_templates, render_reply, sample_variables
from shared.jsonl import JsonLine, file_size, line_error, output, read_lines
from shared.progress import Progress

__all__ = ["app"]

app = typer.Typer(help="Responder tools: the compliance linter.", no_args_is_help=True, add_completion=False)


def _emit(row: dict[str, Any], out: IO[str] | None = None) -> None:
    print(orjson.dumps(row).decode(), file=out or sys.stdout)


_OPTIONAL_TEXT = ("locale", "order_id", "subject")


def _check(item: Any) -> str | None:
    """Why a line is not a draft, or None."""
    if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item.get("channel"):
        return "need an object with text and channel"
    wrong = [name for name in _OPTIONAL_TEXT if not isinstance(item.get(name), str | None)]
    return f"{', '.join(wrong)} must be a string" if wrong else None


def _lint_line(line: JsonLine) -> dict[str, Any]:
    error = line.error or _check(line.value)
    if error is not None:
        return {"id": None, "line": line.number, "ok": False, "error": error}
    item: dict[str, Any] = line.value
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
        "violations": [v.as_dict(excerpt=True) for v in result.violations],
    }


@app.command("lint-reply")
def lint_reply(
    jsonl: Annotated[str, typer.Option("--jsonl", help="JSON lines to lint; - for standard input.")],
    out: Annotated[str, typer.Option("--out", help="Where the results go; - for standard output.")] = "-",
) -> None:
    """Lint drafts, one JSON object a line: {"id","text","channel","locale"} (+ order_id, subject).
    A line that is not a draft is reported with its number (also on standard error); exit 1 if any failed."""
    failed = False
    try:
        with output(out) as sink:
            progress = Progress.for_terminal(file_size(jsonl), "bytes", out=out)
            for line in read_lines(jsonl, progress=progress):
                row = _lint_line(line)
                if "error" in row:
                    line_error(jsonl, line, row["error"])
                failed = failed or not row["ok"]
                _emit(row, sink)
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or jsonl}", file=sys.stderr)
        raise typer.Exit(code=2) from None
    if failed:
        raise typer.Exit(code=1)


@app.command("lint-templates")
def lint_templates() -> None:
    """Render every shipped template (and each of its other wordings) with sample variables and lint it for
    its channel and language."""
    failed = False
    for info in list_templates():
        for variant in range(len(info.variants) + 1):
            reply = render_reply(
                category=info.category,
                channel=info.channel,
                buyer_locale=info.language,
                marketplace_id=None,
                variables=sample_variables(info.language),
                variant=variant,
            )
            ok = reply.lint.ok and reply.template_id == info.template_id and reply.variant == variant
            failed = failed or not ok
            _emit(
                {
                    "id": info.template_id + (f"+v{variant}" if variant else ""),
                    "version": info.version,
                    "ok": ok,
                    "violations": [v.as_dict() for v in reply.lint.violations],
                }
            )
    if failed:
        raise typer.Exit(code=1)


if __name__ == "__main__":
    app()
