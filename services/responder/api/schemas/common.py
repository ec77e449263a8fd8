"""Shared field types and the error envelope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "EARLIEST",
    "LATEST",
    "Code",
    "ErrorDetail",
    "ErrorResponse",
    "Identifier",
    "Instant",
    "Line",
    "Model",
    "PriorityCode",
    "Text",
    "error_responses",
]

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
"""Machine codes: categories, tags, languages, rule ids."""

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
"""Seller, marketplace, ASIN and SKU identifiers."""

# Control characters (NUL above all) are refused: PostgreSQL text and JSONB cannot hold NUL.
Line = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{1,200}$")]
"""One line of human text (assignee, subject)."""

Text = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$", max_length=20_000)]
"""Multi-line human text (replies)."""

PriorityCode = Annotated[str, StringConstraints(pattern=r"^P[1-4]$")]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _plausible(value: datetime) -> datetime:
    # Year 1 at +14:00 is year 0 in UTC: PostgreSQL's driver cannot even encode it.
    if not EARLIEST <= value <= LATEST:
        raise ValueError("must lie between 1970 and 9000")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_plausible)]
"""A timezone-aware timestamp between 1970 and 9000."""


class Model(BaseModel):
    """Base of every API model: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Model):
    """Stable machine code, a human message and optional details (e.g. validation errors, violations)."""

    code: str = Field(examples=["ticket_not_found"])
    message: str
    details: list[Any] | None = None
    draft_id: str | None = Field(default=None, description="reply_blocked: the outbox row kept as a draft.")


class ErrorResponse(Model):
    """Every error the API answers."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses (503: the database is unreachable)."""
    return {s: {"model": ErrorResponse} for s in (*statuses, 503)}
