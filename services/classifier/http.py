"""`POST /v1/classify`: the classifier for internal tools, single or batch, same shapes as the CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from services.classifier.engine import Classifier
from services.classifier.jsonl import line_to_inputs, verdict_to_line
from services.classifier.settings import ClassifierSettings

__all__ = ["ClassifyBatch", "ClassifyItem", "classify_router"]

MAX_BATCH = 1000


class ClassifyItem(BaseModel):
    """One text with optional signals and order context (the fields of `complaints classify` lines)."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=128)
    text: str = Field(default="", max_length=20_000)
    language: str | None = Field(default=None, max_length=8)


class ClassifyBatch(BaseModel):
    """Up to 1,000 items classified in one call."""

    items: list[ClassifyItem] = Field(min_length=1, max_length=MAX_BATCH)


class ClassifyResult(BaseModel):
    """One verdict: category, tags, confidence, language, priority and the reasons."""

    model_config = ConfigDict(extra="allow")

    id: str
    category: str
    confidence: float


class ClassifyResults(BaseModel):
    """Verdicts in input order."""

    items: list[ClassifyResult]


def classify_router(classifier: Classifier, settings: ClassifierSettings) -> APIRouter:
    """Routes bound to a loaded model."""
    router = APIRouter(prefix="/v1", tags=["classify"])

    def run(items: list[ClassifyItem]) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        out = []
        for item in items:
            try:
                signal, context, history = line_to_inputs(item.model_dump(exclude_none=True), now=now)
            except (ValueError, TypeError) as exc:
                raise HTTPException(status_code=400, detail=f"item {item.id}: {exc}") from exc
            verdict = classifier.classify(
                signal, context=context, history=history, now=now, settings=settings
            )
            out.append(verdict_to_line(item.id, verdict))
        return out

    @router.post("/classify", response_model=ClassifyResult)
    async def classify_one(item: ClassifyItem) -> dict[str, Any]:
        """Classify one text (with optional signals)."""
        return run([item])[0]

    @router.post("/classify/batch", response_model=ClassifyResults)
    async def classify_batch(batch: ClassifyBatch) -> dict[str, Any]:
        """Classify up to 1,000 texts in one call."""
        return {"items": run(batch.items)}

    return router
