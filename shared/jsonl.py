"""JSON lines for the command line: ``-`` is standard input or output, a bad line is an error of its own.

Every line is read as bytes and decoded on its own, so an undecodable byte, a NUL or broken JSON fails that
line with its number and the reason; the good lines around it are still handed out. A long read can show its
progress on a terminal (``shared.progress``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from shared.progress import Progress, error_line

__all__ = ["JsonLine", "file_size", "line_error", "output", "read_lines"]

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


def file_size(source: str) -> int | None:
    """The size of a JSON-lines source in bytes (None for standard input or what cannot be sized)."""
    if source == "-":
        return None
    try:
        return Path(source).stat().st_size
    except OSError:
        return None


def read_lines(source: str, *, progress: Progress | None = None) -> Iterator[JsonLine]:
    """The JSON lines of a file or of standard input (``-``); blank lines are skipped (raises OSError).

    ``progress`` (``Progress.for_terminal(file_size(source), "bytes")``) follows the bytes read; cleared at the end."""
    handle = _open(source)
    done = 0
    try:
        for number, raw in enumerate(handle, start=1):
            done += len(raw)
            if progress is not None:
                progress.update(done)
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
        if progress is not None:
            progress.clear()
        if handle is not sys.stdin.buffer:
            handle.close()


def line_error(source: str, line: JsonLine | int, reason: str) -> None:
    """Report a failed line on standard error as ``<source>:<line>: error: <reason>``."""
    number = line.number if isinstance(line, JsonLine) else line
    name = "<stdin>" if source == "-" else source
    error_line(f"{name}:{number}: error: {reason}")


@contextmanager
def output(target: str) -> Iterator[IO[str]]:
    """Standard output for ``-``, else the file (created or truncated)."""
    if target == "-":
        yield sys.stdout
        return
    with Path(target).open("w", encoding="utf-8") as handle:
        yield handle
