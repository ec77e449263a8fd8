"""Reports 2021-06-30 in the stand-in: the report lifecycle, documents and their short-lived download URLs."""

from __future__ import annotations

import gzip as gzip_module
import itertools
import secrets
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "DOCUMENT_URL_TTL_S",
    "FINAL_STATUSES",
    "Report",
    "ReportSeed",
    "ReportStore",
    "StoredDocument",
    "iso",
]

# "This URL expires after 5 minutes." (ReportDocument.url in the Reports model)
DOCUMENT_URL_TTL_S = 300.0
FINAL_STATUSES = frozenset({"DONE", "CANCELLED", "FATAL"})


def iso(value: datetime) -> str:
    """ISO 8601 with milliseconds and a ``Z``, as the Reports API writes times."""
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ReportSeed:
    """What reports of one type for one seller produce, and after how many ``getReport`` polls."""

    content: bytes
    gzip: bool = False
    polls_until_done: int = 0
    outcome: Literal["DONE", "FATAL", "CANCELLED"] = "DONE"


@dataclass
class Report:
    """One requested report."""

    report_id: str
    seller_id: str
    report_type: str
    marketplace_ids: list[str]
    created_time: datetime
    data_start_time: datetime
    data_end_time: datetime
    seed: ReportSeed | None
    processing_status: str = "IN_QUEUE"
    polls_left: int = 0
    polled: int = 0
    document_id: str | None = None
    processing_start_time: datetime | None = None
    processing_end_time: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``Report`` object of the model."""
        body: dict[str, Any] = {
            "reportId": self.report_id,
            "reportType": self.report_type,
            "marketplaceIds": list(self.marketplace_ids),
            "dataStartTime": iso(self.data_start_time),
            "dataEndTime": iso(self.data_end_time),
            "createdTime": iso(self.created_time),
            "processingStatus": self.processing_status,
        }
        if self.processing_start_time is not None:
            body["processingStartTime"] = iso(self.processing_start_time)
        if self.processing_end_time is not None:
            body["processingEndTime"] = iso(self.processing_end_time)
        if self.document_id is not None:
            body["reportDocumentId"] = self.document_id
        return body


@dataclass(frozen=True)
class StoredDocument:
    """A report document as stored (gzip-compressed when ``gzip``)."""

    document_id: str
    seller_id: str
    data: bytes
    gzip: bool


class ReportStore:
    """Reports, documents and download grants of every seller."""

    def __init__(self, *, clock: Callable[[], float], now: Callable[[], datetime]) -> None:
        self._clock = clock
        self._now = now
        self._ids = itertools.count(50_000_000_001)
        self.seeds: dict[tuple[str, str], ReportSeed] = {}
        self.reports: dict[str, Report] = {}
        self.documents: dict[str, StoredDocument] = {}
        self._grants: dict[str, tuple[str, float]] = {}

    def create(
        self,
        *,
        seller_id: str,
        report_type: str,
        marketplace_ids: list[str],
        data_start_time: datetime | None,
        data_end_time: datetime | None,
    ) -> Report:
        """Queue a report; with no polls to wait for it is processed at once."""
        now = self._now()
        seed = self.seeds.get((seller_id, report_type))
        report = Report(
            report_id=str(next(self._ids)),
            seller_id=seller_id,
            report_type=report_type,
            marketplace_ids=marketplace_ids,
            created_time=now,
            data_start_time=data_start_time or now,
            data_end_time=data_end_time or now,
            seed=seed,
            polls_left=seed.polls_until_done if seed else 0,
        )
        self.reports[report.report_id] = report
        if report.polls_left <= 0:
            self._finish(report)
        return report

    def get(self, seller_id: str, report_id: str) -> Report | None:
        """A seller's report (report ids are unique only together with the seller)."""
        report = self.reports.get(report_id)
        return report if report is not None and report.seller_id == seller_id else None

    def poll(self, report: Report) -> None:
        """Advance the report by one ``getReport`` call."""
        if report.processing_status in FINAL_STATUSES:
            return
        if report.polls_left > 0:
            report.polls_left -= 1
            if report.polled > 0:
                report.processing_status = "IN_PROGRESS"
                report.processing_start_time = report.processing_start_time or self._now()
            report.polled += 1
            return
        self._finish(report)

    def cancel(self, report: Report) -> bool:
        """Cancel a report still ``IN_QUEUE`` (the only status the API lets you cancel)."""
        if report.processing_status != "IN_QUEUE":
            return False
        report.processing_status = "CANCELLED"
        report.processing_end_time = self._now()
        return True

    def find(
        self,
        seller_id: str,
        *,
        report_types: Collection[str],
        statuses: Collection[str],
        marketplace_ids: Collection[str],
        created_since: datetime,
        created_until: datetime,
    ) -> list[Report]:
        """The seller's reports matching the ``getReports`` filters, newest first."""
        found = [
            report
            for report in self.reports.values()
            if report.seller_id == seller_id
            and (not report_types or report.report_type in report_types)
            and (not statuses or report.processing_status in statuses)
            and (not marketplace_ids or set(report.marketplace_ids) & set(marketplace_ids))
            and created_since <= report.created_time <= created_until
        ]
        return sorted(found, key=lambda r: (r.created_time, int(r.report_id)), reverse=True)

    def document(self, seller_id: str, document_id: str) -> StoredDocument | None:
        """A seller's report document."""
        doc = self.documents.get(document_id)
        return doc if doc is not None and doc.seller_id == seller_id else None

    def grant(self, document_id: str) -> str:
        """A signature for a download URL that works for ``DOCUMENT_URL_TTL_S``."""
        signature = secrets.token_hex(16)
        self._grants[signature] = (document_id, self._clock() + DOCUMENT_URL_TTL_S)
        return signature

    def redeem(self, document_id: str, signature: str) -> StoredDocument | None:
        """The document if the signature is valid and unexpired for it."""
        grant = self._grants.get(signature)
        if grant is None or grant[0] != document_id or self._clock() > grant[1]:
            return None
        return self.documents.get(document_id)

    def _finish(self, report: Report) -> None:
        now = self._now()
        seed = report.seed
        report.processing_start_time = report.processing_start_time or now
        report.processing_end_time = now
        if seed is None:
            # Amazon cancels a report automatically "if there is no data to return".
            report.processing_status = "CANCELLED"
            return
        report.processing_status = seed.outcome
        if seed.outcome != "DONE":
            return
        document_id = f"amzn1.spdoc.1.4.na.{uuid.uuid4()}"
        data = gzip_module.compress(seed.content) if seed.gzip else seed.content
        self.documents[document_id] = StoredDocument(document_id, report.seller_id, data, seed.gzip)
        report.document_id = document_id
