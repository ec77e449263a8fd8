"""Structured logs: JSON lines with the correlation id, PII keys redacted."""

from __future__ import annotations

import json
import logging

from shared.logging import JsonFormatter, bind_correlation_id


def test_json_line_with_correlation_id_and_redacted_pii() -> None:
    record = logging.LogRecord("svc", logging.INFO, __file__, 1, "ticket.opened", (), None)
    record.ticket_id = "t-1"
    record.buyer_alias = "abc123@marketplace.amazon.de"
    record.text = "my package never arrived"
    token = bind_correlation_id("corr-9")
    try:
        line = JsonFormatter().format(record)
    finally:
        bind_correlation_id(None)
        del token
    doc = json.loads(line)
    assert doc["event"] == "ticket.opened"
    assert doc["correlation_id"] == "corr-9"
    assert doc["ticket_id"] == "t-1"
    assert doc["buyer_alias"] == "[redacted]"
    assert doc["text"] == "[redacted]"
    assert "never arrived" not in line
