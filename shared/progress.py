"""A progress line on a terminal for long command-line work, and error lines that do not garble it.

Drawn on standard error only when that is a terminal (and the results are not printed to the same screen),
only once the work has taken half a second, redrawn in place at most every 0.1 s, cleared at the end.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO

__all__ = ["Progress", "error_line"]

_PROGRESS_AFTER_S = 0.5
"""A read that ends sooner draws nothing: short files stay quiet."""
_PROGRESS_EVERY_S = 0.1
_CLEAR = "\r\x1b[K"


class Progress:
    """A one-line progress report on a terminal ("37.5% 3,000 of 8,000 rows"), redrawn in place at most
    every 0.1 s, only once the work has taken 0.5 s, and cleared at the end."""

    def __init__(
        self, stream: IO[str], total: int | None, unit: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = stream
        self._total = total
        self._unit = unit
        self._clock = clock
        self._started = clock()
        self._drawn_at: float | None = None

    @classmethod
    def for_terminal(
        cls, total: int | None, unit: str, *, out: str = "-", stream: IO[str] | None = None
    ) -> Progress | None:
        """A report on ``stream`` (standard error by default) when it is a terminal and the results (``out``)
        do not go to that terminal too (there the printed lines are the progress); else None."""
        stream = sys.stderr if stream is None else stream
        if not stream.isatty() or (out == "-" and sys.stdout.isatty()):
            return None
        return cls(stream, total, unit)

    def update(self, done: int) -> None:
        """``done`` of the total so far (redrawn when due)."""
        now = self._clock()
        if now - self._started < _PROGRESS_AFTER_S:
            return
        if self._drawn_at is not None and now - self._drawn_at < _PROGRESS_EVERY_S:
            return
        self._drawn_at = now
        if self._total:
            text = f"{100 * done / self._total:5.1f}% {done:,} of {self._total:,} {self._unit}"
        else:
            text = f"{done:,} {self._unit}"
        self._stream.write(_CLEAR + text)
        self._stream.flush()

    def clear(self) -> None:
        """Wipe the drawn line (before other output on the stream, and at the end)."""
        if self._drawn_at is not None:
            self._stream.write(_CLEAR)
            self._stream.flush()


def error_line(text: str) -> None:
    """One line on standard error, over a progress line if one is drawn there (it is redrawn after)."""
    if sys.stderr.isatty():
        sys.stderr.write(_CLEAR)
    print(text, file=sys.stderr)  # noqa: T201  # the CLI's error channel
