"""`complaints trace`: a ticket's traceparents name its traces; their lines come from every log, in time order."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from complaints.cli import app
from complaints.trace import follow, trace_ids

TRACE = "0af7651916cd43dd8448eb211c80319c"
OTHER = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_trace_ids_come_from_well_formed_traceparents_only() -> None:
    parents = [f"00-{TRACE}-b7ad6b7169203331-01", None, "garbage", f"00-{TRACE}-00f067aa0ba902b7-01"]
    assert trace_ids([*parents, f"00-{OTHER}-00f067aa0ba902b7-00"]) == [TRACE, OTHER]


def test_follow_merges_the_services_logs_in_time_order(tmp_path: Path) -> None:
    def line(ts: str, event: str, cid: str) -> str:
        return json.dumps({"ts": ts, "event": event, "correlation_id": cid})

    (tmp_path / "ingest.log").write_text(
        "\n".join(
            [
                line("2026-12-03T10:00:01", "ingest.x", TRACE),
                "not json",
                line("2026-12-03T10:00:00", "y", OTHER),
            ]
        )
    )
    (tmp_path / "responder.log").write_text(
        "\n".join([line("2026-12-03T10:00:03", "sender.outcome", TRACE), '{"broken": '])
    )
    (tmp_path / "classifier.log").write_text(line("2026-12-03T10:00:02", "classifier.y", TRACE))
    got = [(service, doc["event"]) for service, doc in follow(tmp_path, [TRACE])]
    assert got == [("ingest", "ingest.x"), ("classifier", "classifier.y"), ("responder", "sender.outcome")]


def test_a_ticket_id_that_is_not_a_uuid_is_refused() -> None:
    result = CliRunner().invoke(app, ["trace", "not-a-ticket"])
    assert result.exit_code == 2
    assert "not a ticket id" in result.output
