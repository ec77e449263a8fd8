"""``BodyLimit``: a pure-ASGI wrapper that caps request bodies before any route (or authentication) runs.

A declared ``Content-Length`` above the path's limit is answered 413 at once, without reading a byte of the
body. A body without one (chunked) is counted as the app reads it: at the first chunk past the limit the
wrapper answers 413 itself and tells the app the client went away (``http.disconnect``), so the app stops
reading; whatever the app then tries to send is dropped. Wrap the whole ASGI app with it (outermost), so the
cap holds before authentication, routing and body parsing.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_MAX_BODY_BYTES", "BodyLimit"]

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def _answer(status: int, message: bytes) -> tuple[Message, Message]:
    body = b'{"error":{"code":"%s","message":"%s"}}' % (
        b"payload_too_large" if status == 413 else b"bad_request",
        message,
    )
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            # The rest of the body was never read: the connection cannot carry another request.
            (b"connection", b"close"),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """The Content-Length (None when absent, -1 when malformed) and whether the body is chunked."""
    length: int | None = None
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = int(value) if value.isdigit() and len(value) <= 19 else -1
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


class BodyLimit:
    """ASGI app: ``limits`` maps exact paths to their cap in bytes; every other path gets ``default``."""

    def __init__(self, app: ASGIApp, *, default: int, limits: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.limits = dict(limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        declared, chunked = _framing(scope)
        if declared is not None and (declared < 0 or declared > limit):
            status, text = (400, b"malformed Content-Length") if declared < 0 else (413, b"body too large")
            for message in _answer(status, text):
                await send(message)
            return
        if chunked:
            await _Counted(self.app, limit, receive, send).run(scope)
            return
        # No body, or one of the declared length (within the limit): the server delivers no more than that.
        await self.app(scope, receive, send)


class _Counted:
    """One request without Content-Length: counts the body as it is read."""

    __slots__ = ("_answered", "_app", "_limit", "_over", "_read", "_receive", "_send", "_started")

    def __init__(self, app: ASGIApp, limit: int, receive: Receive, send: Send) -> None:
        self._app = app
        self._limit = limit
        self._receive = receive
        self._send = send
        self._read = 0
        self._started = False
        self._over = False
        self._answered = False

    async def run(self, scope: Scope) -> None:
        await self._app(scope, self.receive, self.send)

    async def receive(self) -> Message:
        if self._over:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self._read += len(message.get("body", b""))
            if self._read > self._limit:
                self._over = True
                if not self._started:
                    self._answered = True
                    for reply in _answer(413, b"body too large"):
                        await self._send(reply)
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self._answered:
            return  # the 413 went out: whatever the app answers after the disconnect is dropped
        if message["type"] == "http.response.start":
            self._started = True
        await self._send(message)
