"""Typed results of the operations the client uses, and how they are read from Amazon's JSON."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import pydantic
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from shared.spapi.errors import SpApiPermanentError

__all__ = ["FINAL_STATUSES", "ProcessingStatus", "Report", "ReportDocument", "action_names", "parse_model"]

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


_M = TypeVar("_M", bound=BaseModel)


def parse_model(model: type[_M], body: Mapping[str, Any], operation: str) -> _M:
    """``body`` as ``model``; a shape Amazon's contract does not allow is a permanent error."""
    try:
        return model.model_validate(body)
    except pydantic.ValidationError as exc:
        raise SpApiPermanentError(f"{operation}: unexpected response shape", operation=operation) from exc


def action_names(body: Mapping[str, Any]) -> list[str]:
    """Action names from a HAL ``get*ActionsForOrder`` body (``_links.actions[].name``)."""
    links = body.get("_links")
    actions = links.get("actions") if isinstance(links, dict) else None
    names: list[str] = []
    for action in actions if isinstance(actions, list) else []:
        if not isinstance(action, dict):
            continue
        name = action.get("name")
        if not name and isinstance(action.get("href"), str):
            # "name" is optional in LinkObject; the href ends with the action's path suffix.
            name = urlsplit(action["href"]).path.rstrip("/").rsplit("/", 1)[-1]
        if isinstance(name, str) and name:
            names.append(name)
    return names
