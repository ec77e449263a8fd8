"""Statistics models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.responder.api.schemas.common import Identifier, Instant, Model
from services.responder.api.schemas.health import AccountHealthOut, AsinSpikeOut

__all__ = [
    "AsinReasons",
    "AutoReplyOut",
    "CountRow",
    "FirstResponseOut",
    "KeywordRow",
    "ReasonCount",
    "ReturnReason",
    "SlaOut",
    "SolicitationsOut",
    "StatsCounts",
    "StatsOut",
    "StatsQuery",
]


class StatsQuery(BaseModel):
    """Range (default: the last 30 days), bucket and scope of GET /v1/stats."""

    model_config = ConfigDict(extra="ignore")

    start: Instant | None = Field(default=None, alias="from", description="Inclusive; tickets by creation.")
    end: Instant | None = Field(default=None, alias="to", description="Exclusive (default: now).")
    bucket: Literal["day", "week", "month"] = "day"
    seller_id: list[Identifier] = Field(default_factory=list)
    marketplace_id: list[Identifier] = Field(default_factory=list)
    top: int = Field(default=20, ge=1, le=100, description="How many ASINs, SKUs and keywords to list.")


class CountRow(Model):
    """Tickets created in one bucket with one value of a dimension (null: unknown)."""

    bucket: datetime
    key: str | None
    count: int


class StatsCounts(Model):
    """Ticket counts per bucket by dimension (ASIN and SKU: the ``top`` busiest of the range)."""

    category: list[CountRow]
    priority: list[CountRow]
    marketplace: list[CountRow]
    asin: list[CountRow]
    sku: list[CountRow]


class ReasonCount(Model):
    """A classification reason and the tickets it was given for."""

    rule_id: str
    count: int


class AsinReasons(Model):
    """The three most frequent complaint reasons of an ASIN in a month."""

    asin: str
    month: datetime
    reasons: list[ReasonCount]


class KeywordRow(Model):
    """Tickets whose classification used a keyword (a model feature, never raw buyer text) in a bucket."""

    bucket: datetime
    keyword: str
    count: int


class FirstResponseOut(Model):
    """Time from ticket creation to the first reply sent, over answered tickets."""

    answered: int
    p50_seconds: float | None
    p90_seconds: float | None


class SlaOut(Model):
    """Tickets answered by their first deadline, over those whose outcome is known."""

    measured: int
    within: int
    share: float | None


class AutoReplyOut(Model):
    """Tickets that received an automatic reply (sent), over all tickets of the range."""

    tickets: int
    auto_replied: int
    rate: float | None


class ReturnReason(Model):
    """Return signals by normalized reason."""

    reason: str
    count: int


class SolicitationsOut(Model):
    """Review requests (Solicitations API) of orders first scheduled in the range.

    ``eligible``: orders given a review request (everything not skipped); ``skipped``: by reason
    (``cancelled``, ``not_offered``, ``outside_window``); ``pending``: waiting for their day or in flight;
    ``unknown``: may or may not have reached Amazon, never re-sent.
    """

    eligible: int
    sent: int
    pending: int
    unknown: int
    failed: int
    skipped: dict[str, int]


class StatsOut(Model):
    """Everything GET /v1/stats answers."""

    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    bucket: str
    counts: StatsCounts
    top_reasons_per_asin: list[AsinReasons]
    keyword_trends: list[KeywordRow]
    first_response: FirstResponseOut
    sla: SlaOut
    auto_reply: AutoReplyOut
    returns_by_reason: list[ReturnReason]
    solicitations: SolicitationsOut
    account_health: list[AccountHealthOut] = Field(
        description="Per seller and marketplace: Amazon's account health figures (last report and the range's "
        "series), our running ODR estimate over the 60 days before 'to' beside Amazon's last figure, and "
        "warnings when ours reached 0.5 % or 1 % before Amazon's did."
    )
    asin_spikes: list[AsinSpikeOut] = Field(
        description="ASINs whose complaints in a day far exceeded their own baseline, with the top reasons and "
        "example tickets."
    )
