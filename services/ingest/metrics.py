"""Prometheus metrics of the ingest service (served on /metrics by the health router)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["EVENTS_PUBLISHED", "INPUTS", "REJECTED", "SQS_BATCH_SECONDS", "SQS_RECEIVE_COUNT"]

INPUTS = Counter("ingest_inputs_total", "Raw inputs by source and verdict.", ["source", "verdict"])
EVENTS_PUBLISHED = Counter(
    "ingest_events_published_total", "Events acked by Kafka (duplicates excluded).", ["source", "event_type"]
)
REJECTED = Counter(
    "ingest_rejected_total",
    "Inputs (or report rows) put on the rejected topic, by source and reason (<error class>:<code>).",
    ["source", "reason"],
)
SQS_RECEIVE_COUNT = Histogram(
    "ingest_sqs_approximate_receive_count",
    "ApproximateReceiveCount of received SQS messages (above 1: redelivered).",
    buckets=(1, 2, 3, 5, 10, 20),
)
SQS_BATCH_SECONDS = Histogram("ingest_sqs_batch_seconds", "Time to settle one received SQS batch.")
