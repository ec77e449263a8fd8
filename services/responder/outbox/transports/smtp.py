"""Replies by SMTP, step by step so a failure says whether the message could have been accepted.

Every socket operation is bounded: connecting and each command before DATA by ``MAIL_SMTP_CONNECT_TIMEOUT_S``
(a timeout there is retried: nothing of the message has left), DATA and its answer by
``MAIL_SMTP_DATA_TIMEOUT_S`` (a timeout there is an unknown outcome: the relay may have queued it).
"""

from __future__ import annotations

import asyncio
import smtplib

from services.responder.outbox.transports import OutboundMessage, OutcomeUnknown
from services.responder.outbox.transports.wire import build_mail
from services.responder.replies.mail import checked_recipient, sender_address
from services.responder.settings import MailSettings
from shared.errors import PermanentError, RetryableError

__all__ = ["SmtpTransport"]


class SmtpTransport:
    """Deliver through an SMTP relay (the seller's authorised sender)."""

    def __init__(self, settings: MailSettings) -> None:
        self._settings = settings

    def sender_for(self, seller_id: str) -> str:
        """The authorised sender address registered with Amazon for this seller."""
        return sender_address(self._settings, seller_id)

    async def send(self, message: OutboundMessage) -> None:
        """Send in a worker thread (smtplib is blocking)."""
        to = checked_recipient(message)  # a relay alias of the marketplace, or PermanentError: never sent
        sender, payload = build_mail(lambda: self.sender_for(message.seller_id), message)
        await asyncio.to_thread(self._deliver, sender, to, payload)

    def _deliver(self, sender: str, to: str, payload: bytes) -> None:
        s = self._settings
        try:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_connect_timeout_s)
        except (OSError, smtplib.SMTPException) as exc:
            raise RetryableError(f"smtp connect failed: {type(exc).__name__}", code="smtp_connect") from exc
        try:
            self._envelope(client, sender, to)
            self._data(client, payload)
        except BaseException:
            client.close()  # no QUIT on a connection in an unknown state: it could hang again
            raise
        try:
            if client.sock is not None:
                client.sock.settimeout(s.smtp_connect_timeout_s)
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()  # the message was accepted already; a lost goodbye changes nothing

    def _data(self, client: smtplib.SMTP, payload: bytes) -> None:
        if client.sock is not None:
            client.sock.settimeout(self._settings.smtp_data_timeout_s)
        try:
            code, resp = client.data(payload)
        except smtplib.SMTPDataError as exc:
            if 400 <= exc.smtp_code < 500:
                raise RetryableError(f"smtp data deferred {exc.smtp_code}", code="smtp_4xx") from exc
            raise PermanentError(f"smtp data refused {exc.smtp_code}", code="smtp_5xx") from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            # The payload went out; the server may have queued it before the connection died or went quiet.
            raise OutcomeUnknown(f"smtp connection lost during DATA: {type(exc).__name__}") from exc
        if 400 <= code < 500:
            raise RetryableError(f"smtp data deferred {code}", code="smtp_4xx")
        if 500 <= code < 600:
            raise PermanentError(f"smtp data refused {code}: {resp[:100]!r}", code="smtp_5xx")
        if code != 250:
            raise OutcomeUnknown(f"unexpected smtp reply {code}: {resp[:100]!r}")

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
