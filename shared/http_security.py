"""``SecurityHeaders``: a pure-ASGI wrapper that gives every HTTP response the browser hardening headers.

JSON answers get ``default-src 'none'`` (nothing in them may load or run anything). HTML pages (the offline
API docs today) get a policy that allows only this origin's scripts plus the exact inline scripts the page
carries, by their SHA-256 hash, computed from the body the app sent: a script injected into a page (or a
page changed without its policy) does not run. Styles keep ``'unsafe-inline'`` because Swagger UI sets style
attributes and ReDoc injects its generated stylesheets at run time; no CSS can run code. A response that
already carries a Content-Security-Policy keeps its own.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["API_POLICY", "SecurityHeaders", "page_policy"]

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""For every non-HTML answer: nothing may load, frame or submit."""

_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)
_MAX_PAGE_BYTES = 4 * 1024 * 1024
"""An HTML body larger than this is not buffered for hashing: it gets the policy without inline scripts."""

_COMMON: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_COMMON_NAMES = frozenset(name for name, _ in _COMMON)


def page_policy(html: bytes) -> str:
    """The policy for one HTML page: this origin's scripts and the page's own inline scripts by hash."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    return _PAGE_POLICY.format(hashes=hashes)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    return next((value for key, value in headers if key.lower() == name), None)


class SecurityHeaders:
    """ASGI app: adds the hardening headers, and a Content-Security-Policy fitted to what is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await _Response(send).run(self.app, scope, receive)


class _Response:
    """One response on its way out; an HTML body is held until complete so its inline scripts can be hashed."""

    __slots__ = ("_body", "_held", "_send")

    def __init__(self, send: Send) -> None:
        self._send = send
        self._held: Message | None = None
        self._body: list[bytes] = []

    async def run(self, app: ASGIApp, scope: Scope, receive: Receive) -> None:
        await app(scope, receive, self._forward)

    async def _forward(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _COMMON_NAMES]
            headers.extend(_COMMON)
            message = {**message, "headers": headers}
            if _header(headers, b"content-security-policy") is not None:
                await self._send(message)
                return
            kind = (_header(headers, b"content-type") or b"").split(b";")[0].strip().lower()
            if kind != b"text/html":
                headers.append((b"content-security-policy", API_POLICY.encode()))
                await self._send(message)
                return
            self._held = message
            return
        if message["type"] == "http.response.body" and self._held is not None:
            self._body.append(message.get("body", b""))
            size = sum(len(chunk) for chunk in self._body)
            if message.get("more_body", False) and size <= _MAX_PAGE_BYTES:
                return
            body = b"".join(self._body)
            policy = page_policy(body) if size <= _MAX_PAGE_BYTES else page_policy(b"")
            start, self._held, self._body = self._held, None, []
            await self._send(
                {**start, "headers": [*start["headers"], (b"content-security-policy", policy.encode())]}
            )
            await self._send({**message, "body": body})
            return
        await self._send(message)
