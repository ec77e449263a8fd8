"""The whole deployment's settings: every section of every service, for the doctor and the deploy checks.

No service starts from it (each validates only its own, ``services/<name>/settings.py``); in production it
refuses what any service would refuse.
"""

from __future__ import annotations

from pydantic import Field

from services.classifier.settings import ClassifierServiceSettings, ClassifierSettings
from services.ingest.settings import IngestServiceSettings, IngestSettings
from services.responder.settings import (
    HelpdeskSettings,
    MailSettings,
    ResponderApiServiceSettings,
    ResponderServiceSettings,
    ResponderSettings,
)
from shared.settings import AwsSettings, PiiSettings, RequiredSecrets, ServiceSettings, SpApiSettings

__all__ = ["Settings"]

_SERVICES: tuple[type[ServiceSettings], ...] = (
    IngestServiceSettings,
    ClassifierServiceSettings,
    ResponderServiceSettings,
    ResponderApiServiceSettings,
)


class Settings(ServiceSettings):
    """All settings; each section reads its own prefix."""

    aws: AwsSettings = Field(default_factory=AwsSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    spapi: SpApiSettings = Field(default_factory=SpApiSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    responder: ResponderSettings = Field(default_factory=ResponderSettings)
    pii: PiiSettings = Field(default_factory=PiiSettings)
    helpdesk: HelpdeskSettings = Field(default_factory=HelpdeskSettings)

    def required_secrets(self) -> RequiredSecrets:
        """Every secret some service uses."""
        secrets: RequiredSecrets = {}
        for service in _SERVICES:
            sections = {name: getattr(self, name) for name in service.model_fields}
            secrets |= service.model_construct(**sections).required_secrets()
        return secrets
