"""The responder's settings (worker and API): MAIL_*, RESPONDER_* and what they share, validated at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
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
    "WEBHOOK_EVENTS",
    "AbuseFlagSettings",
    "HelpdeskSettings",
    "MailSettings",
    "ResponderApiServiceSettings",
    "ResponderServiceSettings",
    "ResponderSettings",
    "WebhookSubscription",
    "ZendeskAccount",
]

WebhookEvent = Literal["ticket.created", "ticket.updated", "reply.sent"]
WEBHOOK_EVENTS: tuple[WebhookEvent, ...] = ("ticket.created", "ticket.updated", "reply.sent")


class WebhookSubscription(BaseModel):
    """A receiver of signed ticket and reply events (``RESPONDER_WEBHOOKS``, a JSON list of these)."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    url: str = Field(pattern=r"^https?://", max_length=2048)
    secret: SecretStr = Field(
        description="HMAC-SHA256 key of X-Complaints-Signature; at least 16 characters."
    )
    events: list[WebhookEvent] = Field(default_factory=lambda: list(WEBHOOK_EVENTS), min_length=1)
    sellers: list[str] = Field(default_factory=list, description="Only these sellers' events (empty: all).")

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("a webhook secret needs at least 16 characters")
        return value

    def wants(self, event_type: str, seller_id: str) -> bool:
        """Whether this subscription receives ``event_type`` of ``seller_id``."""
        return event_type in self.events and (not self.sellers or seller_id in self.sellers)


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
    solicit_reviews: bool = Field(
        default=False,
        description="Ask every eligible order for a review and seller feedback (Solicitations API), once.",
    )
    solicitation_sellers: list[str] = Field(
        default_factory=list,
        description="With solicit_reviews: only these sellers' orders (empty: every seller's). Per seller, "
        "never per buyer: all of a seller's orders are treated alike.",
    )
    solicitation_day: int = Field(
        default=7,
        ge=0,
        le=60,
        description="Days after the earliest delivery date to ask; clamped into Amazon's window (day 5 after "
        "the earliest to day 30 after the latest delivery date). The same for every order.",
    )
    webhooks: list[WebhookSubscription] = Field(
        default_factory=list,
        description="Signed ticket.created / ticket.updated / reply.sent webhooks (name, url, secret, events).",
    )
    sender_seller_release_s: float = Field(
        default=10.0,
        gt=0,
        description="A replica keeps a seller this long after its last work: longer than Amazon needs to "
        "refill the burst (5 tokens at 1/s), so the next owner's fresh rate limiter cannot overrun it.",
    )
    identical_message_cap: int = Field(
        default=50,
        ge=1,
        description="Automatic messages with the same normalised body a seller sends per UTC day; the next "
        "one is held (status 'held') for a person instead of sent as-is.",
    )
    stalled_check_interval_s: float = Field(
        default=900.0, gt=0, description="How often the stalled-shipment check runs (0 < s)."
    )
    stalled_check_enabled: bool = True
    stalled_after_days: float = Field(
        default=4.0, gt=0, description="Days without a new tracking milestone after which a shipment stalls."
    )
    stalled_after_days_by: dict[str, float] = Field(
        default_factory=dict,
        description="Overrides of stalled_after_days per 'CARRIER', 'MARKETPLACE' or 'CARRIER|MARKETPLACE' "
        '(the most specific wins), e.g. {"UPS|ATVPDKIKX0DER": 3}.',
    )


class ZendeskAccount(BaseModel):
    """One seller's Zendesk: where, who (API token auth), which custom fields carry order and SLA due time."""

    subdomain: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    email: str = Field(min_length=3, max_length=254, description="The agent the API token belongs to.")
    api_token: SecretStr
    base_url: str | None = Field(default=None, description="Instead of https://<subdomain>.zendesk.com.")
    order_field_id: int | None = Field(default=None, description="Custom field for the Amazon order id.")
    sla_due_field_id: int | None = Field(default=None, description="Custom field for the SLA due time.")
    requests_per_minute: int = Field(
        default=100, ge=1, description="Our budget, below the plan's limit (Team 200/min) for other tools."
    )

    @property
    def api_url(self) -> str:
        """The account's base URL."""
        return (self.base_url or f"https://{self.subdomain}.zendesk.com").rstrip("/")


class HelpdeskSettings(BaseSettings):
    """HELPDESK_*: the optional per-seller Zendesk sync, run by the API process."""

    model_config = section_config("HELPDESK_")

    zendesk: dict[str, ZendeskAccount] = Field(
        default_factory=dict,
        description="seller_id -> Zendesk account (JSON); sellers not listed do not sync",
    )
    interval_s: float = Field(default=1.0, gt=0)
    batch: int = Field(default=50, ge=1)
    timeout_s: float = Field(default=15.0, gt=0)
    backoff_s: float = Field(default=5.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0, description="Longest wait between two attempts.")
    lease_s: float = Field(
        default=120.0, gt=0, description="A change still 'sending' after this is re-checked."
    )
    give_up_after_s: float = Field(
        default=3 * 86400.0,
        gt=0,
        description="A change Zendesk keeps refusing as transient fails after this.",
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
    helpdesk: HelpdeskSettings = Field(default_factory=HelpdeskSettings)

    def required_secrets(self) -> RequiredSecrets:
        """The API key pepper and the PII key ring; not the classifier's salt nor the LWA secret."""
        return {
            "RESPONDER_API_KEY_PEPPER": (self.responder.api_key_pepper, MIN_SECRET_CHARS),
            **pii_secrets(self.responder.pii_encryption_key, self.responder.pii_encryption_keys_old),
        }
