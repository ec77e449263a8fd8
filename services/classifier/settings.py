"""The classifier's settings: its CLASSIFIER_* section and what it shares with the others, validated at start-up."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from shared.abuse import DEFAULT_ABUSIVE_THRESHOLD
from shared.settings import (
    MIN_SECRET_CHARS,
    PLACEHOLDER,
    PiiSettings,
    RequiredSecrets,
    ServiceSettings,
    pii_secrets,
    section_config,
)

__all__ = ["ClassifierServiceSettings", "ClassifierSettings"]


class ClassifierSettings(BaseSettings):
    """CLASSIFIER_*: thresholds, clocks and the buyer-hash salt."""

    model_config = section_config("CLASSIFIER_")

    buyer_hash_salt: SecretStr = SecretStr(PLACEHOLDER)
    a_to_z_sla_hours: int = 72
    buyer_message_sla_hours: int = 24
    ageing_days: int = 45
    long_use_days: int = Field(
        default=60, ge=1, description="A return this long after delivery counts as long use."
    )
    min_auto_reply_confidence: float = 0.6
    second_opinion: bool = Field(
        default=True,
        description="Ask the fine-tuned encoder (model/encoder/) about texts below the auto-reply threshold.",
    )
    abusive_threshold: float = DEFAULT_ABUSIVE_THRESHOLD
    http_port: int = 8082
    http_max_body_bytes: int = Field(
        default=4 * 1024 * 1024, gt=0, description="Largest request body of /v1/classify (batches included)."
    )


class ClassifierServiceSettings(ServiceSettings):
    """Everything `complaints classifier` reads; each section reads its own prefix."""

    pii: PiiSettings = Field(default_factory=PiiSettings)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)

    def required_secrets(self) -> RequiredSecrets:
        """The buyer-hash salt and the PII key ring (it opens the PII sealed on Kafka and seals its output)."""
        return {
            "CLASSIFIER_BUYER_HASH_SALT": (self.classifier.buyer_hash_salt, MIN_SECRET_CHARS),
            **pii_secrets(self.pii.encryption_key, self.pii.old_encryption_keys),
        }
