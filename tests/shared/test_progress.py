"""The JSON-lines progress line: only on a terminal, only for work that takes a while, cleared at the end."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from shared.jsonl import file_size, read_lines
from shared.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_quick_work_draws_nothing_then_the_line_is_redrawn_in_place_throttled_and_cleared() -> None:
    screen, clock = _Terminal(), _Clock()
    progress = Progress(screen, 8_000, "rows", clock=clock)
    progress.update(10)
    progress.clear()
    assert screen.getvalue() == ""  # under half a second: nothing drawn, nothing to clear
    clock.now += 0.6
    progress.update(3_000)
    clock.now += 0.05
    progress.update(3_100)  # within 0.1 s of the last draw: skipped
    clock.now += 0.1
    progress.update(4_000)
    progress.clear()
    assert screen.getvalue().split("\r\x1b[K") == [
        "",
        " 37.5% 3,000 of 8,000 rows",
        " 50.0% 4,000 of 8,000 rows",
        "",
    ]


def test_a_report_only_where_a_person_watches_and_the_results_go_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Progress.for_terminal(10, "rows", out="x.jsonl", stream=io.StringIO()) is None  # redirected
    monkeypatch.setattr(sys, "stdout", _Terminal())
    assert Progress.for_terminal(10, "rows", out="-", stream=_Terminal()) is None  # lines on that screen
    assert Progress.for_terminal(10, "rows", out="x.jsonl", stream=_Terminal()) is not None


def test_reading_a_file_reports_its_bytes_and_clears_the_line(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"id": 1}\n\n{"id": 2}\nnot json\n')
    screen, clock = _Terminal(), _Clock()
    progress = Progress(screen, file_size(str(source)), "bytes", clock=clock)
    clock.now += 1.0  # a slow read: the first update is due (the next ones fall inside the 0.1 s throttle)
    lines = list(read_lines(str(source), progress=progress))
    assert [line.number for line in lines] == [1, 3, 4]
    assert lines[2].error is not None
    drawn = screen.getvalue()
    assert drawn == "\r\x1b[K 33.3% 10 of 30 bytes\r\x1b[K"
    assert file_size("-") is None
    assert file_size(str(tmp_path / "missing")) is None
