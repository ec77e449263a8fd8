"""Ingest runtime settings not (yet) in ``shared.settings.IngestSettings``: reports backfill and seller maps.

Read with the same ``INGEST_`` prefix, so moving these fields into ``IngestSettings`` later changes no
environment variable.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["IngestRuntimeSettings"]


class IngestRuntimeSettings(BaseSettings):
    """INGEST_*: reports backfill cadence, report marketplaces, recipient and subscription seller maps."""

    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore", env_file=None, frozen=True)

    report_backfill_hours: float = Field(
        default=6.0, ge=0, description="Request the returns and feedback reports this often; 0 turns it off."
    )
    report_backfill_days: int = Field(
        default=30, ge=1, le=60, description="Data window of each backfill request (Amazon allows 60 days)."
    )
    report_marketplace_ids: dict[str, list[str]] = Field(
        default_factory=dict, description="seller_id -> marketplaces to request reports for."
    )
    report_default_marketplace_ids: list[str] = Field(
        default_factory=lambda: ["ATVPDKIKX0DER"],
        description="Marketplaces for sellers missing from report_marketplace_ids.",
    )
    report_poll_interval_s: float = Field(default=30.0, gt=0, description="getReport polling interval.")
    report_check_interval_s: float = Field(
        default=60.0, gt=0, description="How often the backfill loop looks for due or pending reports."
    )
    recipient_sellers: dict[str, str] = Field(
        default_factory=dict, description="Seller mailbox address (lower case) -> seller_id, for relay mail."
    )
    subscription_sellers: dict[str, str] = Field(
        default_factory=dict,
        description="SP-API subscription id -> seller_id, for notifications without one.",
    )
    max_email_bytes: int = Field(
        default=40 * 1024 * 1024, gt=0, description="Largest raw mail the inbound-email endpoint accepts."
    )
