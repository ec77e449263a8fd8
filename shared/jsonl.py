"""JSON lines for the command line: ``-`` is standard input or output, a bad line is an error of its own.

Every line is read as bytes and decoded on its own, so an undecodable byte, a NUL or broken JSON fails that
line with its number and the reason; the good lines around it are still handed out.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

__all__ = ["JsonLine", "line_error", "output", "read_lines"]

MAX_LINE_BYTES = 10 * 1024 * 1024
"""A longer line is refused (its number and size reported) rather than parsed."""


@dataclass(frozen=True, slots=True)
class JsonLine:
    """One non-blank line: its number and either its JSON value or why it could not be read."""

    number: int
    value: Any = None
    error: str | None = None


def _open(source: str) -> IO[bytes]:
    if source == "-":
        return sys.stdin.buffer
    return Path(source).open("rb")


def read_lines(source: str) -> Iterator[JsonLine]:
    """The JSON lines of a file or of standard input (``-``); blank lines are skipped (raises OSError)."""
    handle = _open(source)
    try:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            if len(raw) > MAX_LINE_BYTES:
                yield JsonLine(number, error=f"line of {len(raw)} bytes is longer than {MAX_LINE_BYTES}")
                continue
            try:
                yield JsonLine(number, orjson.loads(raw))
            except orjson.JSONDecodeError as exc:  # also invalid UTF-8
                yield JsonLine(number, error=f"invalid JSON: {exc}")
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def line_error(source: str, line: JsonLine | int, reason: str) -> None:
    """Report a failed line on standard error as ``<source>:<line>: error: <reason>``."""
    number = line.number if isinstance(line, JsonLine) else line
    name = "<stdin>" if source == "-" else source
    print(f"{name}:{number}: error: {reason}", file=sys.stderr)  # noqa: T201  # the CLI's error channel


@contextmanager
def output(target: str) -> Iterator[IO[str]]:
    """Standard output for ``-``, else the file (created or truncated)."""
    if target == "-":
        yield sys.stdout
        return
    with Path(target).open("w", encoding="utf-8") as handle:
        yield handle
