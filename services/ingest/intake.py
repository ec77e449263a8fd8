"""From a decoded envelope to events: fetch what the envelope only points to, then call the pure parsers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from services.ingest.parse import (
    Envelope,
    ReportReady,
    SesMail,
    SesMetadata,
    SesS3Reference,
    SpApiNotification,
    parse_notification,
    parse_relay_email,
    report_ready,
)
from services.ingest.parse.mail_auth import authentication_failure
from shared.errors import ValidationError
from shared.events import AmazonEvent, ComplaintSignalReceived, SignalSource

__all__ = ["Intake", "MailStore", "Parsed"]


class MailStore(Protocol):
    """Where SES S3 actions put mail (``S3MailStore``)."""

    async def fetch(self, bucket: str, key: str) -> bytes:
        """The raw RFC 822 bytes of one stored mail."""
        ...


@dataclass(frozen=True, slots=True)
class Parsed:
    """The events one input carries and the reports it says are ready."""

    events: tuple[AmazonEvent, ...]
    reports: tuple[ReportReady, ...] = ()


@dataclass(frozen=True)
class Intake:
    """Seller lookups and the mail store the parsers need; no Kafka, no database."""

    default_seller_id: str | None = None
    recipient_sellers: Mapping[str, str] = field(default_factory=dict)
    subscription_sellers: Mapping[str, str] = field(default_factory=dict)
    mail_store: MailStore | None = None

    async def parse(self, envelope: Envelope, *, received_at: datetime, correlation_id: str) -> Parsed:
        """Events of one envelope; ValidationError when it cannot be parsed, RetryableError if S3 fails."""
        if isinstance(envelope, SpApiNotification):
            event = parse_notification(
                envelope.document,
                source=envelope.source,
                received_at=received_at,
                correlation_id=correlation_id,
                seller_for_subscription=self.subscription_sellers.get,
                default_seller_id=self.default_seller_id or None,
            )
            ready = report_ready(event)
            return Parsed((event,), (ready,) if ready is not None else ())
        if isinstance(envelope, SesMail):
            raw = envelope.raw
        else:
            raw = await self._fetch(envelope)
        return Parsed((self._mail(raw, envelope.ses, received_at, correlation_id),))

    def mail(
        self,
        raw: bytes,
        *,
        received_at: datetime,
        correlation_id: str,
        recipients: Sequence[str] = (),
        source: SignalSource = SignalSource.EMAIL,
    ) -> ComplaintSignalReceived:
        """One raw relay mail as an event (the inbound-email endpoint's path).

        There is no SES receipt here: the caller is authenticated by the endpoint's API key and is trusted to
        have checked SPF/DKIM/DMARC itself (it is the seller's own mail gateway). What the mail may cause is
        bounded the same way as for SES mail: the reply target is only the From relay alias of the mail's
        marketplace, never a Reply-To, and the responder checks it again.
        """
        return parse_relay_email(
            raw,
            seller_for_recipient=self._seller_for_recipient,
            received_at=received_at,
            correlation_id=correlation_id,
            default_seller_id=self.default_seller_id or None,
            envelope_recipients=recipients,
            source=source,
        )

    def _mail(
        self, raw: bytes, ses: SesMetadata, received_at: datetime, correlation_id: str
    ) -> ComplaintSignalReceived:
        failure = authentication_failure(ses)
        if failure is not None:
            # Malware, spam or a sender SES could not authenticate (a forged relay From): kept for a human on
            # the rejected topic, never handed to the pipeline where it could be answered.
            raise ValidationError(failure, code="ses_verdict")
        return parse_relay_email(
            raw,
            seller_for_recipient=self._seller_for_recipient,
            received_at=ses.timestamp or received_at,
            correlation_id=correlation_id,
            default_seller_id=self.default_seller_id or None,
            envelope_recipients=ses.recipients,
            ses_message_id=ses.message_id,
        )

    async def _fetch(self, ref: SesS3Reference) -> bytes:
        if self.mail_store is None:
            raise ValidationError("SES S3 action but no mail store is configured")
        return await self.mail_store.fetch(ref.bucket, ref.key)

    def _seller_for_recipient(self, address: str) -> str | None:
        return self.recipient_sellers.get(address.strip().lower())
