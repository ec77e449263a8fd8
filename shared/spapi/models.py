"""Typed results of the Reports 2021-06-30 operations the client uses."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["FINAL_STATUSES", "ProcessingStatus", "Report", "ReportDocument"]

ProcessingStatus = Literal["IN_QUEUE", "IN_PROGRESS", "DONE", "CANCELLED", "FATAL"]
FINAL_STATUSES: frozenset[str] = frozenset({"DONE", "CANCELLED", "FATAL"})


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")


class Report(_Model):
    """The model's ``Report``: status and, once ``DONE``, the document to download."""

    report_id: str
    report_type: str
    processing_status: ProcessingStatus
    created_time: datetime
    marketplace_ids: list[str] = []
    data_start_time: datetime | None = None
    data_end_time: datetime | None = None
    report_schedule_id: str | None = None
    processing_start_time: datetime | None = None
    processing_end_time: datetime | None = None
    report_document_id: str | None = None

    @property
    def finished(self) -> bool:
        """Whether polling can stop (DONE, CANCELLED or FATAL)."""
        return self.processing_status in FINAL_STATUSES


class ReportDocument(_Model):
    """The model's ``ReportDocument``: a presigned URL valid for 5 minutes, maybe gzip-compressed."""

    report_document_id: str
    url: str
    compression_algorithm: Literal["GZIP"] | None = None
