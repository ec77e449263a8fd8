"""Versioned topic names. Every input topic has a dead-letter topic named ``<topic>.dlq``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALL_TOPICS",
    "AMAZON_EVENTS",
    "CLASSIFIED",
    "DEAD_LETTER_RETENTION_HOURS",
    "HEALTH_ALERTS",
    "INGEST_REJECTED",
    "SLA_ALERTS",
    "TopicSpec",
    "dlq",
]


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic with its partition count and retention."""

    name: str
    partitions: int
    retention_hours: int


def dlq(topic: str) -> str:
    """Dead-letter topic of an input topic."""
    return f"{topic}.dlq"


AMAZON_EVENTS = "amazon.events.v1"
"""Ingest output: normalized events from SQS, EventBridge, relayed e-mail and reports (the raw topic)."""

CLASSIFIED = "complaints.classified.v1"
"""Classifier output: one ComplaintClassified per ComplaintSignalReceived."""

INGEST_REJECTED = "ingest.rejected.v1"
"""Inputs ingest could not parse (SQS bodies, HTTP posts), with original body, headers and the reason."""

SLA_ALERTS = "tickets.sla-alerts.v1"
"""Pre-breach and breach alerts raised by the responder."""

HEALTH_ALERTS = "account-health.alerts.v1"
"""Account-health warnings raised by the responder: complaint spikes per ASIN, ODR thresholds crossed early."""

DEAD_LETTER_RETENTION_HOURS = 168
"""Dead-letter and rejected topics hold raw inputs (buyer mail included): kept a week for an operator to look
at or replay, not longer. Deployments set it per topic in ``deploy/base/topics`` (a test keeps them equal)."""

ALL_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(AMAZON_EVENTS, 6, 168),
    TopicSpec(dlq(AMAZON_EVENTS), 1, DEAD_LETTER_RETENTION_HOURS),
    TopicSpec(CLASSIFIED, 6, 168),
    TopicSpec(dlq(CLASSIFIED), 1, DEAD_LETTER_RETENTION_HOURS),
    TopicSpec(INGEST_REJECTED, 1, DEAD_LETTER_RETENTION_HOURS),
    TopicSpec(SLA_ALERTS, 3, 168),
    TopicSpec(HEALTH_ALERTS, 3, 168),
)
