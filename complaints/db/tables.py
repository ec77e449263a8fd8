"""Import every service's tables so the metadata is complete (Alembic, tests)."""

from __future__ import annotations

from services.classifier import tables as classifier_tables
from services.ingest import tables as ingest_tables
from services.responder import tables as responder_tables
from services.responder.api import tables as api_tables
from services.responder.buyers import tables as buyer_tables
from services.responder.health import tables as health_tables
from services.responder.helpdesk import tables as helpdesk_tables
from services.responder.outbox import identical_tables
from services.responder.shipments import tables as shipment_tables
from shared.db import idempotency
from shared.db.base import Base

__all__ = [
    "Base",
    "api_tables",
    "buyer_tables",
    "classifier_tables",
    "health_tables",
    "helpdesk_tables",
    "idempotency",
    "identical_tables",
    "ingest_tables",
    "responder_tables",
    "shipment_tables",
]
