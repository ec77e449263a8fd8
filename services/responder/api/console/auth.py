"""Console sign-in state per request: the session cookie to a Principal, the CSRF check, form bodies."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, Request

from services.responder.api.console import session as cookies
from services.responder.api.deps import RuntimeDep
from services.responder.api.repositories import keys as keys_repo
from services.responder.api.runtime import ApiRuntime
from services.responder.api.security import Principal

__all__ = [
    "ConsoleCaller",
    "ConsoleSessionDep",
    "NotSignedIn",
    "WriteRefused",
    "WriterDep",
    "form_of",
    "secret_of",
    "signed_in",
    "writer",
]

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class NotSignedIn(Exception):
    """No valid session: pages redirect to the sign-in form, fragments answer 401."""


class WriteRefused(Exception):
    """A write without the session's CSRF token (403)."""


class ConsoleCaller:
    """The signed-in key and its session."""

    __slots__ = ("principal", "token")

    def __init__(self, principal: Principal, token: cookies.SessionToken) -> None:
        self.principal = principal
        self.token = token


def secret_of(runtime: ApiRuntime) -> bytes:
    """The cookie signing secret of this deployment."""
    return cookies.session_secret(runtime.settings.responder.api_key_pepper.get_secret_value())


def secure_transport(request: Request) -> bool | None:
    """True on https, False on plain http to loopback (the demo and tests), None elsewhere (refused)."""
    if request.url.scheme == "https":
        return True
    return False if (request.url.hostname or "") in _LOOPBACK else None


async def signed_in(request: Request, runtime: RuntimeDep) -> ConsoleCaller:
    """The session's principal: a valid cookie whose key still exists and is not revoked."""
    token = cookies.open_cookie(
        request.cookies.get(cookies.COOKIE), now=runtime.clock(), secret=secret_of(runtime)
    )
    if token is None:
        raise NotSignedIn
    async with runtime.db.sessions() as session:
        row = await keys_repo.get_key_by_id(session, key_id=token.key_id)
    if row is None or row.revoked_at is not None:
        raise NotSignedIn
    principal = Principal.of(
        key_id=row.id, name=row.name, prefix=row.prefix, scopes=row.scopes, sellers=row.sellers
    )
    return ConsoleCaller(principal, token)


ConsoleSessionDep = Annotated[ConsoleCaller, Depends(signed_in)]


async def form_of(request: Request) -> dict[str, str]:
    """An url-encoded form body (the last value of each field)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}


async def writer(request: Request, caller: ConsoleSessionDep, runtime: RuntimeDep) -> ConsoleCaller:
    """A signed-in caller whose request carries the session's CSRF token (header or form field)."""
    presented = request.headers.get(cookies.CSRF_HEADER)
    if presented is None and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        presented = (await form_of(request)).get("csrf")
    if not cookies.csrf_matches(caller.token, presented, secret=secret_of(runtime)):
        raise WriteRefused
    return caller


WriterDep = Annotated[ConsoleCaller, Depends(writer)]
