"""RESPONDER_API_*: settings of the API process beyond ``ResponderSettings`` (limits, alerts, retention)."""

from __future__ import annotations

import os
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ApiSettings"]


class ApiSettings(BaseSettings):
    """Typed, validated at start-up, passed explicitly."""

    model_config = SettingsConfigDict(
        env_prefix="RESPONDER_API_",
        extra="ignore",
        secrets_dir=os.environ.get("SECRETS_DIR") or None,
        env_file=None,
        frozen=True,
    )

    host: str = "0.0.0.0"  # containers listen on all interfaces; the Service fronts it
    rate_limit_per_s: float = Field(
        default=20.0, gt=0, description="Default refill rate of each key's bucket."
    )
    rate_limit_burst: float = Field(default=60.0, ge=1, description="Bucket size: requests allowed at once.")
    key_cache_s: float = Field(default=5.0, ge=0, description="How long a verified key is trusted unchanged.")
    max_page_size: int = Field(default=200, ge=1, le=1000)
    max_body_bytes: int = Field(
        default=1024 * 1024, gt=0, description="Largest request body; larger ones get 413 before auth."
    )
    auth_failure_burst: float = Field(
        default=10.0, ge=1, description="Failed key checks a client address may make before 429."
    )
    auth_failure_global_burst: float = Field(
        default=200.0, ge=1, description="Failed key checks the process allows at once, all clients."
    )
    sla_window_hours: float = Field(default=4.0, gt=0, description="'due soon' = due within this window.")
    sla_alerts_enabled: bool = True
    sla_alert_interval_s: float = Field(default=60.0, gt=0)
    sla_webhook_url: str | None = None
    sla_webhook_secret: SecretStr | None = None
    webhook_max_attempts: int = Field(default=5, ge=1, le=20)
    webhook_backoff_s: float = Field(default=1.0, gt=0)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    spike_alerts_enabled: bool = Field(
        default=True,
        description="Complaint spikes per ASIN to Kafka, the webhook (the SLA one) and /metrics.",
    )
    spike_alert_interval_s: float = Field(default=300.0, gt=0)
    spike_min_count: int = Field(default=5, ge=2, description="Fewer complaints in a day are never a spike.")
    spike_alpha: float = Field(
        default=1e-5, gt=0, lt=0.05, description="p-value below which a day is a spike."
    )
    spike_baseline_days: int = Field(default=28, ge=7, le=90, description="Days an ASIN's baseline covers.")
    retention_enabled: bool = True
    retention_interval_s: float = Field(default=3600.0, gt=0)
    gauges_interval_s: float = Field(
        default=30.0, gt=0, description="How often outbox_rows and tickets_sla are counted in the database."
    )
    processed_events_retention_days: int = Field(
        default=30,
        ge=14,
        description="Processed-event keys older than this are pruned; at least twice the input topics' "
        "retention (7 days), so a redelivered or replayed record still finds its key.",
    )
    drain_s: float = Field(default=2.0, ge=0, description="Readiness is 503 this long before shutdown.")
    graceful_shutdown_s: float = Field(default=20.0, ge=0)

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Self:
        if self.sla_webhook_url and self.sla_webhook_secret is None:
            raise ValueError(
                "RESPONDER_API_SLA_WEBHOOK_SECRET is required with RESPONDER_API_SLA_WEBHOOK_URL"
            )
        return self
