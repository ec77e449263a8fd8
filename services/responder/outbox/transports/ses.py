"""Replies through Amazon SES SendRawEmail (aiobotocore)."""

from __future__ import annotations

from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from services.responder.outbox.transports import OutboundMessage, OutcomeUnknown, Throttled
from services.responder.outbox.transports.wire import build_mail
from services.responder.replies.mail import checked_recipient, sender_address
from services.responder.settings import MailSettings
from shared.errors import PermanentError, RetryableError
from shared.settings import AwsSettings

__all__ = ["SesTransport"]

_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException"}


class SesTransport:
    """Deliver with SES; the sender address must be a verified identity."""

    def __init__(self, mail: MailSettings, aws: AwsSettings) -> None:
        self._mail = mail
        self._aws = aws

    async def send(self, message: OutboundMessage) -> None:
        """SendRawEmail with the threaded MIME message."""
        to = checked_recipient(message)  # a relay alias of the marketplace, or PermanentError: never sent
        sender, payload = build_mail(lambda: sender_address(self._mail, message.seller_id), message)
        kwargs: dict[str, Any] = {
            # botocore would repeat a timed-out or 5xx SendRawEmail: the buyer could get it twice.
            "config": AioConfig(retries={"total_max_attempts": 1}),
            "region_name": self._aws.region,
            "aws_access_key_id": self._aws.access_key_id.get_secret_value(),
            "aws_secret_access_key": self._aws.secret_access_key.get_secret_value(),
        }
        if self._aws.endpoint_url:
            kwargs["endpoint_url"] = self._aws.endpoint_url
        async with get_session().create_client("ses", **kwargs) as ses:
            try:
                await ses.send_raw_email(
                    Source=sender,
                    Destinations=[to],
                    RawMessage={"Data": payload},
                )
            except (EndpointConnectionError, ConnectTimeoutError) as exc:
                raise RetryableError("ses unreachable", code="ses_connect") from exc
            except ReadTimeoutError as exc:
                raise OutcomeUnknown("ses timed out after the request was sent") from exc
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code in _THROTTLED:
                    raise Throttled(f"ses throttled: {code}", code="ses_throttled") from exc
                if code == "ServiceUnavailable":
                    raise RetryableError("ses unavailable", code="ses_unavailable") from exc
                if int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0) >= 500:
                    raise OutcomeUnknown(f"ses failed after the request was sent: {code}") from exc
                raise PermanentError(f"ses refused: {code}", code="ses_refused") from exc
