"""Prometheus metrics of the responder that answer an operator's questions (the sender's are in
outbox/sender.py and outbox/budget.py, the API's in api/metrics.py)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

__all__ = [
    "OUTBOX_ROWS",
    "OUTBOX_STATES",
    "REPLY_DECISIONS",
    "RETENTION_LAST_SUCCESS",
    "SLA_STATES",
    "TICKETS_SLA",
]

OUTBOX_STATES = ("draft", "blocked", "pending", "sending", "sent", "unknown", "failed")
"""Every state an outbox row may be in (services.responder.tables.OutboxMessage)."""
SLA_STATES = ("due_soon", "breached")

REPLY_DECISIONS = Counter(
    "responder_reply_decisions_total",
    "What the responder did with each new complaint: auto_reply (queued to send), draft or blocked (held for a"
    " person), none (nothing to say). The auto-reply rate is auto_reply over all.",
    ["decision"],
)
OUTBOX_ROWS = Gauge(
    "outbox_rows",
    "Outbox rows by state, counted in the database every RESPONDER_API_GAUGES_INTERVAL_S (unknown: a person"
    " must check whether the buyer got the message; it is never re-sent).",
    ["state"],
)
TICKETS_SLA = Gauge(
    "tickets_sla",
    "Tickets still owed a reply whose deadline is within the SLA window (due_soon) or past (breached), by"
    " marketplace; counted in the database with outbox_rows.",
    ["marketplace", "state"],
)
RETENTION_LAST_SUCCESS = Gauge(
    "retention_last_success_timestamp_seconds",
    "When the PII retention job last finished a pass without error (Unix time; 0: not since start).",
)
