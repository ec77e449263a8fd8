"""Ingest's settings: its INGEST_* section and what it shares with the others, validated at start-up."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings

from shared.settings import (
    AwsSettings,
    PiiSettings,
    RequiredSecrets,
    ServiceSettings,
    SpApiSettings,
    pii_secrets,
    section_config,
)

__all__ = ["SQS_MAX_RETENTION_DAYS", "IngestServiceSettings", "IngestSettings"]

SQS_MAX_RETENTION_DAYS = 14
"""The longest an SQS queue keeps a message, so the longest a redelivery can come after the first one."""


MIN_WEBHOOK_SECRET_CHARS = 16
"""Zendesk's generated signing secrets are far longer; a short one is a typo or a placeholder."""


class IngestSettings(BaseSettings):
    """INGEST_*: sources, the inbound HTTP endpoints, report backfill and seller maps."""

    model_config = section_config("INGEST_")

    sqs_queue_urls: list[str] = Field(default_factory=list)
    sqs_receivers: int = Field(default=2, ge=1, le=64)
    sqs_wait_seconds: int = Field(default=20, ge=0, le=20)
    sqs_visibility_timeout: int = Field(default=60, ge=5)
    eventbridge_api_keys: list[SecretStr] = Field(default_factory=list)
    eventbridge_api_key_header: str = "x-api-key"
    default_seller_id: str = Field(default="", description="Seller for single-tenant mail/report sources.")
    http_port: int = 8081
    report_backfill_hours: float = Field(
        default=6.0,
        ge=0,
        description="Request the returns, feedback and account health reports this often; 0 turns it off.",
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
    max_event_bytes: int = Field(
        default=1024 * 1024, gt=0, description="Largest body of other requests (EventBridge events: 256 KB)."
    )
    auth_failure_burst: float = Field(
        default=10.0, ge=1, description="Failed API-key checks a client address may make before 429."
    )
    auth_failure_global_burst: float = Field(
        default=200.0, ge=1, description="Failed API-key checks the process allows at once, all clients."
    )
    zendesk_webhook_secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="seller_id -> signing secret of the seller's Zendesk webhook (JSON).",
    )
    zendesk_webhook_tolerance_s: float = Field(
        default=300.0, gt=0, description="Replay window: a signature timestamp further from now is refused."
    )
    seen_retention_days: int = Field(
        default=90,
        ge=1,
        description="Dedup keys (ingest_seen) older than this are pruned. Must outlast every redelivery: SQS "
        "keeps a message up to 14 days and each report backfill re-reads report_backfill_days.",
    )
    seen_prune_interval_s: float = Field(
        default=3600.0, gt=0, description="How often old dedup keys are pruned."
    )

    @model_validator(mode="after")
    def _seen_outlasts_redelivery(self) -> Self:
        if self.seen_retention_days <= self.report_backfill_days + SQS_MAX_RETENTION_DAYS:
            raise ValueError(
                "INGEST_SEEN_RETENTION_DAYS must exceed INGEST_REPORT_BACKFILL_DAYS + 14 (SQS retention): "
                "a key pruned earlier lets a redelivered input through twice"
            )
        return self

    @field_validator("zendesk_webhook_secrets")
    @classmethod
    def _no_weak_webhook_secrets(cls, secrets: dict[str, SecretStr]) -> dict[str, SecretStr]:
        # Anyone could sign with an empty or short secret.
        if any(
            len(secret.get_secret_value().strip()) < MIN_WEBHOOK_SECRET_CHARS for secret in secrets.values()
        ):
            raise ValueError(
                f"INGEST_ZENDESK_WEBHOOK_SECRETS: every secret needs {MIN_WEBHOOK_SECRET_CHARS}+ characters"
            )
        return secrets

    @field_validator("eventbridge_api_keys")
    @classmethod
    def _no_empty_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        # An empty key would authenticate a request with an empty header.
        if any(not key.get_secret_value().strip() for key in keys):
            raise ValueError("INGEST_EVENTBRIDGE_API_KEYS must not contain an empty key")
        return keys


class IngestServiceSettings(ServiceSettings):
    """Everything `complaints ingest` reads; each section reads its own prefix."""

    aws: AwsSettings = Field(default_factory=AwsSettings)
    spapi: SpApiSettings = Field(default_factory=SpApiSettings)
    pii: PiiSettings = Field(default_factory=PiiSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)

    def required_secrets(self) -> RequiredSecrets:
        """The PII key ring (buyer PII leaves ingest sealed on Kafka); the LWA secret only when report backfill
        calls SP-API (refresh tokens configured). No classifier salt, no API pepper: ingest never uses them."""
        secrets = pii_secrets(self.pii.encryption_key, self.pii.old_encryption_keys)
        if self.spapi.refresh_tokens:
            secrets["SPAPI_LWA_CLIENT_SECRET"] = (self.spapi.lwa_client_secret, 1)
        return secrets
