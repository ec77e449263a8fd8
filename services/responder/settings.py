"""The responder's settings (worker and API): MAIL_*, RESPONDER_* and what they share, validated at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from shared.abuse import DEFAULT_ABUSIVE_THRESHOLD
from shared.settings import (
    MIN_SECRET_CHARS,
    PLACEHOLDER,
    AwsSettings,
    RequiredSecrets,
    ServiceSettings,
    SpApiSettings,
    pii_secrets,
    section_config,
)

__all__ = [
    "AbuseFlagSettings",
    "MailSettings",
    "ResponderApiServiceSettings",
    "ResponderServiceSettings",
    "ResponderSettings",
]


class AbuseFlagSettings(BaseSettings):
    """The buyer view's abusive-returner flag: the same CLASSIFIER_ABUSIVE_THRESHOLD the classifier reads,
    declared here because a service never imports another's settings."""

    model_config = section_config("CLASSIFIER_")

    abusive_threshold: float = Field(default=DEFAULT_ABUSIVE_THRESHOLD, ge=0, le=1)


class MailSettings(BaseSettings):
    """MAIL_*: how replies to buyer-initiated threads leave (SMTP or SES SendRawEmail)."""

    model_config = section_config("MAIL_")

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

    model_config = section_config("RESPONDER_")

    auto_reply: bool = True
    auto_reply_disabled_categories: list[str] = Field(default_factory=list)
    seller_names: dict[str, str] = Field(default_factory=dict, description="seller_id -> sign-off name")
    template_overrides: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="seller_id -> template id (e.g. email/not_received/de) -> Jinja source; linted before use",
    )
    sender_poll_interval_s: float = 0.2
    sender_batch: int = Field(default=500, ge=1, description="Most rows claimed in one transaction.")
    sender_concurrency: int = Field(
        default=4096,
        ge=1,
        description="Most sends in flight (most waiting for their seller's SP-API tokens): at least sellers x "
        "2, or the sellers beyond it wait their turn and the outbound rate falls below Amazon's allowance.",
    )
    sender_record_delay_s: float = Field(
        default=0.1,
        ge=0,
        le=5,
        description="Outcomes wait at most this long to be recorded in one transaction with the others.",
    )
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
    api_key_pepper: SecretStr = SecretStr(PLACEHOLDER)
    pii_encryption_key: SecretStr = Field(
        default=SecretStr(PLACEHOLDER), description="Primary PII key: encrypts, and decrypts."
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


class ResponderServiceSettings(ServiceSettings):
    """Everything `complaints responder` (tickets and the outbox sender) reads."""

    aws: AwsSettings = Field(default_factory=AwsSettings)
    spapi: SpApiSettings = Field(default_factory=SpApiSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    responder: ResponderSettings = Field(default_factory=ResponderSettings)

    def required_secrets(self) -> RequiredSecrets:
        """The PII key ring (tickets, outbox, sealed Kafka PII) and the LWA secret (the messaging transport);
        not the API key pepper, which only the API uses."""
        return {
            "SPAPI_LWA_CLIENT_SECRET": (self.spapi.lwa_client_secret, 1),
            **pii_secrets(self.responder.pii_encryption_key, self.responder.pii_encryption_keys_old),
        }


class ResponderApiServiceSettings(ServiceSettings):
    """Everything `complaints api` reads besides ``ApiSettings`` (RESPONDER_API_*)."""

    responder: ResponderSettings = Field(default_factory=ResponderSettings)
    classifier: AbuseFlagSettings = Field(
        default_factory=AbuseFlagSettings, description="Only abusive_threshold: the buyer view's flag."
    )

    def required_secrets(self) -> RequiredSecrets:
        """The API key pepper and the PII key ring; not the classifier's salt nor the LWA secret."""
        return {
            "RESPONDER_API_KEY_PEPPER": (self.responder.api_key_pepper, MIN_SECRET_CHARS),
            **pii_secrets(self.responder.pii_encryption_key, self.responder.pii_encryption_keys_old),
        }
