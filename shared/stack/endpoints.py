"""Plain records of where the local stack answers (no heavy imports: the CLI and state file use them)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LOCAL_ACCESS_KEY", "AwsEnvironment", "AwsResources", "StackEndpoints"]

LOCAL_ACCESS_KEY = "testing"
"""moto accepts any credentials; this value is used for both the key id and the secret."""


@dataclass(frozen=True, slots=True)
class AwsResources:
    """Names, URLs and ARNs of the local resources."""

    spapi_queue_url: str
    spapi_queue_arn: str
    ses_topic_arn: str
    ses_queue_url: str
    ses_queue_arn: str
    ses_subscription_arn: str
    ses_raw_delivery: bool
    ses_mail_bucket: str
    ses_sender: str

    @property
    def ingest_queue_urls(self) -> list[str]:
        """The queues the ingest service polls."""
        return [self.spapi_queue_url, self.ses_queue_url]


@dataclass(frozen=True, slots=True)
class AwsEnvironment:
    """Where local AWS answers and what was created there."""

    endpoint_url: str
    region: str
    resources: AwsResources
    access_key_id: str = LOCAL_ACCESS_KEY
    secret_access_key: str = LOCAL_ACCESS_KEY


@dataclass(frozen=True, slots=True)
class StackEndpoints:
    """Where every local component answers."""

    kafka_bootstrap: str
    database_admin_url: str
    database_url: str
    aws_endpoint_url: str
    aws_region: str
    aws: AwsResources
    smtp_host: str
    smtp_port: int
    spapi_endpoint: str | None
    lwa_endpoint: str | None

    @property
    def aws_environment(self) -> AwsEnvironment:
        """The AWS part as one value (endpoint, region, credentials, resources)."""
        return AwsEnvironment(self.aws_endpoint_url, self.aws_region, self.aws)

    def env(self) -> dict[str, str]:
        """The environment variables the services read (see ``shared.settings``)."""
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            "DATABASE_URL": self.database_url,
            "AWS_ENDPOINT_URL": self.aws_endpoint_url,
            "AWS_DEFAULT_REGION": self.aws_region,
            "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": LOCAL_ACCESS_KEY,
            "INGEST_SQS_QUEUE_URLS": json.dumps(self.aws.ingest_queue_urls),
            "MAIL_SMTP_HOST": self.smtp_host,
            "MAIL_SMTP_PORT": str(self.smtp_port),
        }
        if self.spapi_endpoint is not None:
            env["SPAPI_ENDPOINT"] = self.spapi_endpoint
        if self.lwa_endpoint is not None:
            env["SPAPI_LWA_ENDPOINT"] = self.lwa_endpoint
        return env

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for the state file)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StackEndpoints:
        """Inverse of ``to_json``."""
        fields = dict(data)
        fields["aws"] = AwsResources(**fields["aws"])
        return cls(**fields)
