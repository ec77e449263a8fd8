"""Replies by SMTP, step by step so a failure says whether the message could have been accepted."""

from __future__ import annotations

import asyncio
import smtplib
from datetime import UTC, datetime

from services.responder.mail import sender_address, wire_reply
from services.responder.transports import OutboundMessage, OutcomeUnknown
from shared.errors import PermanentError, RetryableError
from shared.settings import MailSettings

__all__ = ["SmtpTransport"]


class SmtpTransport:
    """Deliver through an SMTP relay (the seller's authorised sender)."""

    def __init__(self, settings: MailSettings, *, timeout_s: float = 15.0) -> None:
        self._settings = settings
        self._timeout = timeout_s

    def sender_for(self, seller_id: str) -> str:
        """The authorised sender address registered with Amazon for this seller."""
        return sender_address(self._settings, seller_id)

    async def send(self, message: OutboundMessage) -> None:
        """Send in a worker thread (smtplib is blocking)."""
        if not message.to:
            raise PermanentError("reply has no recipient", code="no_recipient")
        sender = self.sender_for(message.seller_id)
        payload = wire_reply(message, sender=sender, now=datetime.now(UTC))
        await asyncio.to_thread(self._deliver, sender, message.to, payload)

    def _deliver(self, sender: str, to: str, payload: bytes) -> None:
        s = self._settings
        try:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self._timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise RetryableError(f"smtp connect failed: {type(exc).__name__}", code="smtp_connect") from exc
        try:
            self._envelope(client, sender, to)
            try:
                code, resp = client.data(payload)
            except smtplib.SMTPDataError as exc:
                if 400 <= exc.smtp_code < 500:
                    raise RetryableError(f"smtp data deferred {exc.smtp_code}", code="smtp_4xx") from exc
                raise PermanentError(f"smtp data refused {exc.smtp_code}", code="smtp_5xx") from exc
            except (TimeoutError, OSError, smtplib.SMTPException) as exc:
                # The payload went out; the server may have queued it before the connection died.
                raise OutcomeUnknown(f"smtp connection lost during DATA: {type(exc).__name__}") from exc
            if 400 <= code < 500:
                raise RetryableError(f"smtp data deferred {code}", code="smtp_4xx")
            if 500 <= code < 600:
                raise PermanentError(f"smtp data refused {code}: {resp[:100]!r}", code="smtp_5xx")
            if code != 250:
                raise OutcomeUnknown(f"unexpected smtp reply {code}: {resp[:100]!r}")
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    def _envelope(self, client: smtplib.SMTP, sender: str, to: str) -> None:
        s = self._settings
        try:
            client.ehlo()
            if s.smtp_starttls:
                client.starttls()
                client.ehlo()
            if s.smtp_username and s.smtp_password:
                client.login(s.smtp_username, s.smtp_password.get_secret_value())
            code, _ = client.mail(sender)
            if code != 250:
                raise _refused(code, "MAIL FROM")
            code, _ = client.rcpt(to)
            if code not in (250, 251):
                raise _refused(code, "RCPT TO")
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(f"smtp login refused {exc.smtp_code}", code="smtp_auth") from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            # Nothing of the message has left yet: safe to try again later.
            raise RetryableError(f"smtp failed before DATA: {type(exc).__name__}", code="smtp_drop") from exc


def _refused(code: int, stage: str) -> Exception:
    if 400 <= code < 500:
        return RetryableError(f"smtp {stage} deferred {code}", code="smtp_4xx")
    return PermanentError(f"smtp {stage} refused {code}", code="smtp_5xx")
