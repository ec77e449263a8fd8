"""Typed settings, validated at start-up, passed explicitly (never a module global).

Each section reads its own environment prefix; secrets are ``SecretStr`` and may also come from files mounted
under ``SECRETS_DIR`` (Kubernetes Secrets), one file per variable name. In ``production`` the settings refuse
to start with placeholder secrets.
"""

from __future__ import annotations

import os
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "AwsSettings",
    "ClassifierSettings",
    "DatabaseSettings",
    "IngestSettings",
    "KafkaSettings",
    "MailSettings",
    "PiiSettings",
    "ResponderSettings",
    "Settings",
    "SpApiSettings",
]

_PLACEHOLDER = "changeme"
MIN_SECRET_CHARS = 32
"""Shortest salt, pepper or PII key accepted in production."""
_SECRETS_DIR = os.environ.get("SECRETS_DIR") or None


def _cfg(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, extra="ignore", secrets_dir=_SECRETS_DIR, env_file=None, frozen=True
    )


class KafkaSettings(BaseSettings):
    """KAFKA_*: broker connection and client tuning."""

    model_config = _cfg("KAFKA_")

    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "complaints"
    # Tansu does not implement InitProducerId; real clusters should turn this on.
    enable_idempotence: bool = False
    acks: Literal["all", "1", "0"] = "all"
    linger_ms: int = 5
    fetch_max_wait_ms: int = 50
    max_poll_records: int = 500
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 1_000
    retry_attempts: int = Field(default=5, ge=0, description="In-process retries of a retryable failure.")
    retry_backoff_s: float = Field(default=0.2, gt=0)
    retry_backoff_max_s: float = Field(default=5.0, gt=0)
    max_redeliveries: int = Field(
        default=3,
        ge=0,
        description="Rounds of in-process retries (rewind, poll again) a record failing with an unknown error "
        "gets before it is dead-lettered as 'retries exhausted'; known transient failures are not counted.",
    )


class DatabaseSettings(BaseSettings):
    """DATABASE_*: PostgreSQL."""

    model_config = _cfg("DATABASE_")

    url: SecretStr = SecretStr("postgresql+asyncpg://postgres@127.0.0.1:5432/complaints")
    pool_size: int = 10
    echo: bool = False
    statement_timeout_ms: int = Field(
        default=30_000, ge=0, description="PostgreSQL statement_timeout of every connection (0: none)."
    )
    idle_in_transaction_timeout_ms: int = Field(
        default=60_000, ge=0, description="idle_in_transaction_session_timeout of every connection (0: none)."
    )
    pool_timeout_s: float = Field(
        default=5.0, gt=0, description="How long a request waits for a pooled connection before 503."
    )

    def server_settings(self) -> dict[str, str]:
        """Session settings every connection starts with (asyncpg ``server_settings``)."""
        return {
            "statement_timeout": str(self.statement_timeout_ms),
            "idle_in_transaction_session_timeout": str(self.idle_in_transaction_timeout_ms),
        }


class AwsSettings(BaseSettings):
    """AWS_*: SQS, SNS, SES, S3 (moto on loopback locally)."""

    model_config = _cfg("AWS_")

    region: str = Field(default="us-east-1", validation_alias="AWS_DEFAULT_REGION")
    endpoint_url: str | None = None
    access_key_id: SecretStr = SecretStr("testing")
    secret_access_key: SecretStr = SecretStr("testing")


SQS_MAX_RETENTION_DAYS = 14
"""The longest an SQS queue keeps a message, so the longest a redelivery can come after the first one."""


class IngestSettings(BaseSettings):
    """INGEST_*: sources, the inbound HTTP endpoints, report backfill and seller maps."""

    model_config = _cfg("INGEST_")

    sqs_queue_urls: list[str] = Field(default_factory=list)
    sqs_receivers: int = Field(default=2, ge=1, le=64)
    sqs_wait_seconds: int = Field(default=20, ge=0, le=20)
    sqs_visibility_timeout: int = Field(default=60, ge=5)
    eventbridge_api_keys: list[SecretStr] = Field(default_factory=list)
    eventbridge_api_key_header: str = "x-api-key"
    default_seller_id: str = Field(default="", description="Seller for single-tenant mail/report sources.")
    http_port: int = 8081
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
    max_event_bytes: int = Field(
        default=1024 * 1024, gt=0, description="Largest body of other requests (EventBridge events: 256 KB)."
    )
    auth_failure_burst: float = Field(
        default=10.0, ge=1, description="Failed API-key checks a client address may make before 429."
    )
    auth_failure_global_burst: float = Field(
        default=200.0, ge=1, description="Failed API-key checks the process allows at once, all clients."
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

    @field_validator("eventbridge_api_keys")
    @classmethod
    def _no_empty_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        # An empty key would authenticate a request with an empty header.
        if any(not key.get_secret_value().strip() for key in keys):
            raise ValueError("INGEST_EVENTBRIDGE_API_KEYS must not contain an empty key")
        return keys


class ClassifierSettings(BaseSettings):
    """CLASSIFIER_*: thresholds, clocks and the buyer-hash salt."""

    model_config = _cfg("CLASSIFIER_")

    buyer_hash_salt: SecretStr = SecretStr(_PLACEHOLDER)
    a_to_z_sla_hours: int = 72
    buyer_message_sla_hours: int = 24
    ageing_days: int = 45
    long_use_days: int = Field(
        default=60, ge=1, description="A return this long after delivery counts as long use."
    )
    min_auto_reply_confidence: float = 0.6
    abusive_threshold: float = 0.7
    http_port: int = 8082
    http_max_body_bytes: int = Field(
        default=4 * 1024 * 1024, gt=0, description="Largest request body of /v1/classify (batches included)."
    )


class SpApiSettings(BaseSettings):
    """SPAPI_*: Selling Partner API and Login with Amazon."""

    model_config = _cfg("SPAPI_")

    endpoint: str = "https://sellingpartnerapi-na.amazon.com"
    lwa_endpoint: str = "https://api.amazon.com/auth/o2/token"
    lwa_client_id: str = _PLACEHOLDER
    lwa_client_secret: SecretStr = SecretStr(_PLACEHOLDER)
    refresh_tokens: dict[str, SecretStr] = Field(default_factory=dict, description="seller_id -> token")
    timeout_s: float = 10.0
    report_max_bytes: int = Field(
        default=64 * 1024 * 1024, gt=0, description="Largest report document downloaded (as stored)."
    )
    report_max_decompressed_bytes: int = Field(
        default=256 * 1024 * 1024, gt=0, description="Largest report once a GZIP document is inflated."
    )


class MailSettings(BaseSettings):
    """MAIL_*: how replies to buyer-initiated threads leave (SMTP or SES SendRawEmail)."""

    model_config = _cfg("MAIL_")

    transport: Literal["smtp", "ses"] = "smtp"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_connect_timeout_s: float = Field(
        default=10.0, gt=0, description="Connecting and each step before DATA; a timeout there is retried."
    )
    smtp_data_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Waiting for the answer to DATA; a timeout there is an unknown outcome, never re-sent.",
    )
    sender_addresses: dict[str, str] = Field(
        default_factory=dict, description="seller_id -> authorised sender address registered with Amazon"
    )
    default_sender: str = "support@seller.example"


class ResponderSettings(BaseSettings):
    """RESPONDER_*: ticketing, auto-reply policy and the internal API."""

    model_config = _cfg("RESPONDER_")

    auto_reply: bool = True
    auto_reply_disabled_categories: list[str] = Field(default_factory=list)
    seller_names: dict[str, str] = Field(default_factory=dict, description="seller_id -> sign-off name")
    template_overrides: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="seller_id -> template id (e.g. email/not_received/de) -> Jinja source; linted before use",
    )
    sender_poll_interval_s: float = 0.2
    sender_batch: int = 50
    api_port: int = 8080
    worker_port: int = 8083
    sender_lease_s: float = Field(
        default=120.0, gt=0, description="A send still 'sending' after this is unknown."
    )
    send_budget_per_order: float = Field(
        default=5.0, ge=0, description="Daily budget: messages per order/day."
    )
    send_budget_base: int = Field(default=600, ge=0, description="Daily budget: messages on top of that.")
    average_daily_orders: dict[str, float] = Field(
        default_factory=dict,
        description="seller_id -> orders/day (else counted from 30 days of order context)",
    )
    send_budget_limits: dict[str, int] = Field(
        default_factory=dict, description="seller_id -> explicit daily message limit (overrides the formula)"
    )
    api_key_pepper: SecretStr = SecretStr(_PLACEHOLDER)
    pii_encryption_key: SecretStr = Field(
        default=SecretStr(_PLACEHOLDER), description="Primary PII key: encrypts, and decrypts."
    )
    pii_encryption_keys_old: list[SecretStr] = Field(
        default_factory=list,
        description="Retired PII keys (JSON list), still decrypting rows written before a rotation.",
    )
    pii_retention_days: int = 30
    sender_exclusive_sellers: bool = Field(
        default=True,
        description="Each seller is served by one sender replica at a time (PostgreSQL advisory locks); turn "
        "off only with a single replica: the SP-API pacing and the budget cache assume one sender per seller.",
    )
    sender_seller_release_s: float = Field(
        default=10.0,
        gt=0,
        description="A replica keeps a seller this long after its last work: longer than Amazon needs to "
        "refill the burst (5 tokens at 1/s), so the next owner's fresh rate limiter cannot overrun it.",
    )


class PiiSettings(BaseSettings):
    """The PII key ring every service reads: ingest seals buyer PII on Kafka, the consumers open it.

    The variable keeps its historical name ``RESPONDER_PII_ENCRYPTION_KEY`` (the same key encrypts PII at rest),
    so existing deployments need no change; ingest no longer depends on the responder's section to read it.
    """

    model_config = SettingsConfigDict(**_cfg(""), populate_by_name=True)

    encryption_key: SecretStr = Field(
        default=SecretStr(_PLACEHOLDER), validation_alias="RESPONDER_PII_ENCRYPTION_KEY"
    )
    old_encryption_keys: list[SecretStr] = Field(
        default_factory=list, validation_alias="RESPONDER_PII_ENCRYPTION_KEYS_OLD"
    )


class Settings(BaseSettings):
    """All settings; each section reads its own prefix."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, env_file=None)

    environment: Literal["local", "test", "production"] = Field(
        default="local", validation_alias="ENVIRONMENT"
    )
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    aws: AwsSettings = Field(default_factory=AwsSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    spapi: SpApiSettings = Field(default_factory=SpApiSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    responder: ResponderSettings = Field(default_factory=ResponderSettings)
    pii: PiiSettings = Field(default_factory=PiiSettings)

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> Self:
        if self.environment != "production":
            return self
        # name -> (value, shortest acceptable length); keys, salts and peppers need real entropy.
        secrets = {
            "CLASSIFIER_BUYER_HASH_SALT": (self.classifier.buyer_hash_salt, MIN_SECRET_CHARS),
            "SPAPI_LWA_CLIENT_SECRET": (self.spapi.lwa_client_secret, 1),
            "RESPONDER_API_KEY_PEPPER": (self.responder.api_key_pepper, MIN_SECRET_CHARS),
            "RESPONDER_PII_ENCRYPTION_KEY": (self.responder.pii_encryption_key, MIN_SECRET_CHARS),
        }
        for i, old in enumerate(self.responder.pii_encryption_keys_old):
            secrets[f"RESPONDER_PII_ENCRYPTION_KEYS_OLD[{i}]"] = (old, MIN_SECRET_CHARS)
        placeholder = sorted(
            n for n, (v, _) in secrets.items() if v.get_secret_value().strip() == _PLACEHOLDER
        )
        if placeholder:
            raise ValueError(f"placeholder secrets in production: {', '.join(placeholder)}")
        empty = sorted(n for n, (v, _) in secrets.items() if not v.get_secret_value().strip())
        if empty:
            raise ValueError(f"empty secrets in production: {', '.join(empty)}")
        short = sorted(n for n, (v, least) in secrets.items() if len(v.get_secret_value().strip()) < least)
        if short:
            raise ValueError(
                f"secrets shorter than {MIN_SECRET_CHARS} characters in production: {', '.join(short)}"
            )
        return self
