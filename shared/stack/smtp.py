"""A recording SMTP server on loopback (aiosmtpd in its own thread) for outgoing buyer mail.

Faults for the next messages can be injected (``inject``): ``hang`` holds the answer to DATA for a while (the
client times out), ``drop`` closes the connection during DATA without answering. Either way the message is
recorded as delivered unless ``deliver=False``: a relay that went quiet may well have passed the mail on,
which is exactly the case a sender must treat as an unknown outcome and never send again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from shared.stack.ports import LOOPBACK

__all__ = [
    "MailFilter",
    "ReceivedMail",
    "SmtpFault",
    "SmtpFaultKind",
    "SmtpServer",
    "smtp_server",
    "start_smtp",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    """One message as the server received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes
    received_at: float = field(default_factory=time.time)  # epoch seconds


MailFilter = Callable[[ReceivedMail], bool]

SmtpFaultKind = Literal["hang", "drop"]


@dataclass(frozen=True, slots=True)
class SmtpFault:
    """What happens to one message at DATA; see the module docstring."""

    kind: SmtpFaultKind
    hang_s: float = 30.0
    deliver: bool = True


def _accept_any_login(*_args: Any) -> AuthResult:
    # Local stand-in for a relay: any credentials work, so services configured with SMTP auth still send.
    return AuthResult(success=True)


class _Controller(Controller):
    """Controller that may bind port 0 and then learns the port the kernel chose."""

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call] # aiosmtpd leaves this method unannotated


class SmtpServer:
    """Records every message (thread-safe); may also write ``<n>.eml`` + ``<n>.json`` into ``eml_dir``."""

    def __init__(self, *, host: str = LOOPBACK, port: int = 0, eml_dir: Path | None = None):
        self.eml_dir = eml_dir
        self._lock = threading.Lock()
        self._received: list[ReceivedMail] = []
        self._faults: list[SmtpFault] = []
        self.faults_applied: list[tuple[SmtpFault, float]] = []  # with the epoch time each one hit
        self._waiters: list[tuple[int, MailFilter, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._controller = _Controller(
            self,
            hostname=host,
            port=port,
            # A fixed name: the default is socket.getfqdn(), which can stall on hosts without DNS.
            server_hostname="localhost",
            authenticator=_accept_any_login,
            auth_require_tls=False,
        )
        self._running = False

    @property
    def host(self) -> str:
        """Address the server listens on."""
        host: str = self._controller.hostname
        return host

    @property
    def port(self) -> int:
        """Port the server listens on (known once started)."""
        port: int = self._controller.port
        return port

    @property
    def messages(self) -> list[ReceivedMail]:
        """A snapshot of everything received so far, oldest first."""
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        """Forget the messages received so far (files in ``eml_dir`` stay)."""
        with self._lock:
            self._received.clear()

    def inject(
        self, kind: SmtpFaultKind, *, count: int = 1, hang_s: float = 30.0, deliver: bool = True
    ) -> None:
        """Apply a fault to each of the next ``count`` messages (thread-safe)."""
        with self._lock:
            self._faults.extend(SmtpFault(kind, hang_s, deliver) for _ in range(count))

    def clear_faults(self) -> None:
        """Drop the faults not applied yet."""
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> int:
        """How many injected faults wait for a message."""
        with self._lock:
            return len(self._faults)

    async def start(self) -> None:
        """Bind and serve in a background thread."""
        if self.eml_dir is not None:
            self.eml_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self._controller.start)
        self._running = True
        log.info("smtp started host=%s port=%s", self.host, self.port)

    async def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._running:
            self._running = False
            await asyncio.to_thread(self._controller.stop)
            log.info("smtp stopped host=%s port=%s", self.host, self.port)

    async def wait_for(
        self,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline is the point of this helper
        *,
        predicate: MailFilter | None = None,
    ) -> list[ReceivedMail]:
        """Wait until at least ``count`` messages (matching ``predicate``, if given) are recorded; return those."""
        match: MailFilter = predicate or _any_mail
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if _matching(self._received, match) >= count:
                return [m for m in self._received if match(m)]
            waiter = (count, match, loop, future)
            self._waiters.append(waiter)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            got = _matching(self.messages, match)
            raise TimeoutError(f"got {got} of {count} messages within {timeout}s") from None
        finally:
            with self._lock:
                self._waiters.remove(waiter)
        return [m for m in self.messages if match(m)]

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """aiosmtpd hook: parse, store and acknowledge one message."""
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        mail = ReceivedMail(envelope.mail_from or "", tuple(envelope.rcpt_tos), message, raw)
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
            if fault is not None:
                self.faults_applied.append((fault, time.time()))
        if fault is None or fault.deliver:
            if self.eml_dir is not None:
                self._write_files(mail)
            self._record(mail)
        if fault is not None and fault.kind == "hang":
            await asyncio.sleep(fault.hang_s)
        if (
            fault is not None
            and fault.kind == "drop"
            and isinstance(server.transport, asyncio.WriteTransport)
        ):
            server.transport.abort()  # no reply to DATA: the client cannot know whether it was delivered
        return "250 OK"

    def _record(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._received.append(mail)
            ready = [
                (loop, fut)
                for count, match, loop, fut in self._waiters
                if _matching(self._received, match) >= count
            ]
        for loop, fut in ready:
            loop.call_soon_threadsafe(_resolve, fut)

    def _write_files(self, mail: ReceivedMail) -> None:
        assert self.eml_dir is not None
        with self._lock:
            stem = f"{len(self._received) + 1:06d}-{uuid.uuid4().hex[:8]}"
        envelope = {"mail_from": mail.mail_from, "rcpt_tos": list(mail.rcpt_tos)}
        _atomic_write(self.eml_dir / f"{stem}.json", json.dumps(envelope).encode())
        # The .eml lands last, so a reader that sees it can rely on the envelope file being complete.
        _atomic_write(self.eml_dir / f"{stem}.eml", mail.raw)


def _any_mail(_mail: ReceivedMail) -> bool:
    return True


def _matching(messages: list[ReceivedMail], match: MailFilter) -> int:
    return sum(1 for mail in messages if match(mail))


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


async def start_smtp(*, host: str = LOOPBACK, port: int = 0, eml_dir: Path | None = None) -> SmtpServer:
    """Start a recording SMTP server (port 0 = a free one)."""
    server = SmtpServer(host=host, port=port, eml_dir=eml_dir)
    await server.start()
    return server


@asynccontextmanager
async def smtp_server(
    *, host: str = LOOPBACK, port: int = 0, eml_dir: Path | None = None
) -> AsyncIterator[SmtpServer]:
    """``start_smtp`` as a context manager."""
    server = await start_smtp(host=host, port=port, eml_dir=eml_dir)
    try:
        yield server
    finally:
        await server.stop()
