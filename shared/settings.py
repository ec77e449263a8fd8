"""Typed settings shared by the services, validated at start-up, passed explicitly (never a module global).

Here: the sections several services read (Kafka, PostgreSQL, AWS, SP-API, the PII key ring) and
``ServiceSettings``, the base of each service's settings (``services/<name>/settings.py``). Each section reads
its own environment prefix; secrets are ``SecretStr`` and may also come from files mounted under
``SECRETS_DIR`` (Kubernetes Secrets), one file per variable name. In ``production`` a service refuses to start
with a placeholder, empty or short secret among those it uses (``ServiceSettings.required_secrets``); the
secrets of other services are not its business.
"""

from __future__ import annotations

import os
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "MIN_SECRET_CHARS",
    "PLACEHOLDER",
    "AwsSettings",
    "DatabaseSettings",
    "KafkaSettings",
    "PiiSettings",
    "RequiredSecrets",
    "ServiceSettings",
    "SpApiSettings",
    "TracingSettings",
    "check_production_secrets",
    "pii_secrets",
    "section_config",
]

PLACEHOLDER = "changeme"
"""Default of every secret: refused in production."""
MIN_SECRET_CHARS = 32
"""Shortest salt, pepper or PII key accepted in production."""
_SECRETS_DIR = os.environ.get("SECRETS_DIR") or None


def section_config(prefix: str) -> SettingsConfigDict:
    """The config of a settings section reading ``prefix``-ed variables (and secret files)."""
    return SettingsConfigDict(
        env_prefix=prefix, extra="ignore", secrets_dir=_SECRETS_DIR, env_file=None, frozen=True
    )


class KafkaSettings(BaseSettings):
    """KAFKA_*: broker connection and client tuning."""

    model_config = section_config("KAFKA_")

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

    model_config = section_config("DATABASE_")

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

    model_config = section_config("AWS_")

    region: str = Field(default="us-east-1", validation_alias="AWS_DEFAULT_REGION")
    endpoint_url: str | None = None
    access_key_id: SecretStr = SecretStr("testing")
    secret_access_key: SecretStr = SecretStr("testing")


class SpApiSettings(BaseSettings):
    """SPAPI_*: Selling Partner API and Login with Amazon."""

    model_config = section_config("SPAPI_")

    endpoint: str = "https://sellingpartnerapi-na.amazon.com"
    lwa_endpoint: str = "https://api.amazon.com/auth/o2/token"
    lwa_client_id: str = PLACEHOLDER
    lwa_client_secret: SecretStr = SecretStr(PLACEHOLDER)
    refresh_tokens: dict[str, SecretStr] = Field(default_factory=dict, description="seller_id -> token")
    timeout_s: float = 10.0
    http_connections: int = Field(
        default=32,
        ge=1,
        le=1024,
        description="Connections to the SP-API (requests on the wire at once; the others wait their turn). "
        "With N sellers each message makes 3 calls at 1/s per seller: about 3 x N x latency in flight.",
    )
    report_max_bytes: int = Field(
        default=64 * 1024 * 1024, gt=0, description="Largest report document downloaded (as stored)."
    )
    report_max_decompressed_bytes: int = Field(
        default=256 * 1024 * 1024, gt=0, description="Largest report once a GZIP document is inflated."
    )


class TracingSettings(BaseSettings):
    """OTEL_*: traces. Nothing is exported unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (shared.tracing)."""

    model_config = section_config("OTEL_")

    exporter_otlp_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP collector base URL (the exporter posts to <url>/v1/traces)."
    )
    service_name: str | None = Field(default=None, description="Default: complaints-<service>.")
    sample_ratio: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="Share of new traces recorded (children follow their parent).",
    )


class PiiSettings(BaseSettings):
    """The PII key ring every service reads: ingest seals buyer PII on Kafka, the consumers open it.

    The variable keeps its historical name ``RESPONDER_PII_ENCRYPTION_KEY`` (the same key encrypts PII at rest),
    so existing deployments need no change; ingest no longer depends on the responder's section to read it.
    """

    model_config = SettingsConfigDict(**section_config(""), populate_by_name=True)

    encryption_key: SecretStr = Field(
        default=SecretStr(PLACEHOLDER), validation_alias="RESPONDER_PII_ENCRYPTION_KEY"
    )
    old_encryption_keys: list[SecretStr] = Field(
        default_factory=list, validation_alias="RESPONDER_PII_ENCRYPTION_KEYS_OLD"
    )


RequiredSecrets = dict[str, tuple[SecretStr, int]]
"""Variable name -> (value, shortest acceptable length) of the secrets a service uses."""


def pii_secrets(key: SecretStr, old: list[SecretStr]) -> RequiredSecrets:
    """The PII key ring's secrets under their variable names."""
    secrets = {"RESPONDER_PII_ENCRYPTION_KEY": (key, MIN_SECRET_CHARS)}
    for i, retired in enumerate(old):
        secrets[f"RESPONDER_PII_ENCRYPTION_KEYS_OLD[{i}]"] = (retired, MIN_SECRET_CHARS)
    return secrets


def check_production_secrets(secrets: RequiredSecrets) -> None:
    """Raise ValueError naming every placeholder, empty or too short secret."""
    placeholder = sorted(n for n, (v, _) in secrets.items() if v.get_secret_value().strip() == PLACEHOLDER)
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


class ServiceSettings(BaseSettings):
    """The base of a service's settings: environment, log level, Kafka and PostgreSQL; subclasses add their
    sections and name the secrets they use, which production start-up checks."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, env_file=None)

    environment: Literal["local", "test", "production"] = Field(
        default="local", validation_alias="ENVIRONMENT"
    )
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_journey: bool = Field(
        default=False,
        validation_alias="LOG_JOURNEY",
        description="One log line per complaint and step (what `complaints trace` follows); `make run` sets it.",
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)

    def required_secrets(self) -> RequiredSecrets:
        """The secrets this service uses (none here); keys, salts and peppers need real entropy."""
        return {}

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> Self:
        if self.environment == "production":
            check_production_secrets(self.required_secrets())
        return self
