"""Print the fuzz tally (inputs tried, rejections, events, unclassified crashes) per ingest parser."""

from __future__ import annotations

import pytest

from tests.ingest.parse.fuzz_support import TALLIES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per fuzzed parser; silent when no fuzz test ran."""
    if not TALLIES:
        return
    terminalreporter.section("ingest parser fuzzing")
    for name, tally in sorted(TALLIES.items()):
        terminalreporter.write_line(
            f"{name:<24} inputs tried: {tally.tried:>7}  classified errors: {tally.rejected:>7}  "
            f"valid results: {tally.accepted:>7}  unclassified crashes: {tally.crashes}"
        )
    total = sum(tally.crashes for tally in TALLIES.values())
    terminalreporter.write_line(f"{'all parsers':<24} unclassified crashes: {total}")
