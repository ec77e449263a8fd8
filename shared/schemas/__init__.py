"""JSON Schemas of the event contracts, exported into this folder and kept in step by a test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shared.events import (
    AccountHealthReported,
    AsinComplaintSpikeDetected,
    ComplaintClassified,
    ComplaintSignalReceived,
    HelpdeskUpdateReceived,
    NotificationReceived,
    OdrThresholdCrossed,
    OrderContextUpdated,
    SellerAccountStatusChanged,
    SlaAlertRaised,
)

__all__ = ["EXPORTED", "SCHEMA_DIR", "render", "schema_path", "write_all"]

SCHEMA_DIR = Path(__file__).resolve().parent
EXPORTED: tuple[type[BaseModel], ...] = (
    ComplaintSignalReceived,
    OrderContextUpdated,
    SellerAccountStatusChanged,
    NotificationReceived,
    ComplaintClassified,
    SlaAlertRaised,
    HelpdeskUpdateReceived,
    AccountHealthReported,
    AsinComplaintSpikeDetected,
    OdrThresholdCrossed,
)


def schema_path(model: type[BaseModel]) -> Path:
    """Where a model's schema lives: ``<Name>.v<schema_version>.json``."""
    version = model.model_fields["schema_version"].default
    return SCHEMA_DIR / f"{model.__name__}.v{version}.json"


def render(model: type[BaseModel]) -> str:
    """The schema as stable, pretty JSON text."""
    doc: dict[str, Any] = model.model_json_schema(mode="serialization")
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all() -> list[Path]:
    """Export every event schema; returns the paths written."""
    paths = []
    for model in EXPORTED:
        path = schema_path(model)
        path.write_text(render(model), encoding="utf-8")
        paths.append(path)
    return paths
