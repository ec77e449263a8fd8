"""What the ingest handlers need, built once in the lifespan and passed explicitly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.ingest.intake import Intake
from services.ingest.settings import IngestSettings
from shared.db.session import Database
from shared.kafka.producer import EventProducer
from shared.spapi.models import Report
from shared.topics import AMAZON_EVENTS, INGEST_REJECTED

__all__ = ["IngestDeps", "ReportsApi"]


class ReportsApi(Protocol):
    """The Reports operations of ``shared.spapi.SpApiClient`` that ingest uses."""

    async def create_report(
        self,
        seller_id: str,
        report_type: str,
        marketplace_ids: Sequence[str],
        *,
        data_start_time: datetime | None = None,
        data_end_time: datetime | None = None,
        report_options: Mapping[str, str] | None = None,
    ) -> str:
        """Request a report; its id."""
        ...

    async def get_report(
        self, seller_id: str, report_id: str, *, marketplace_id: str | None = None
    ) -> Report:
        """A report's status."""
        ...

    async def download_report(
        self, seller_id: str, report_document_id: str, *, marketplace_id: str | None = None
    ) -> bytes:
        """A report document's bytes (decompressed)."""
        ...


@dataclass(frozen=True)
class IngestDeps:
    """Database, producer, parsers' lookups, settings and (optionally) the SP-API reports client."""

    db: Database
    producer: EventProducer
    intake: Intake
    settings: IngestSettings
    reports_api: ReportsApi | None = None
    events_topic: str = AMAZON_EVENTS
    rejected_topic: str = INGEST_REJECTED

    def marketplaces_of(self, seller_id: str) -> list[str]:
        """Marketplaces to request a seller's reports for."""
        return (
            self.settings.report_marketplace_ids.get(seller_id)
            or self.settings.report_default_marketplace_ids
        )
