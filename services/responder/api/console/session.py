"""Console sessions (pure): a signed cookie carrying the key id, and the per-session CSRF token.

The cookie is ``<base64url JSON {k: key id, s: random session id, e: expiry}>.<HMAC-SHA256>`` under a secret
derived from the API key pepper, so nothing is stored server-side and any API replica accepts it. Each request
loads the key row by id (a revoked key ends its sessions at once); the CSRF token is an HMAC of the random
session id, so it is fixed for one session and unknown to any other origin (synchronizer token, no table).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson

from shared.crypto import digests_equal

__all__ = ["COOKIE", "CSRF_HEADER", "SessionToken", "csrf_matches", "issue", "open_cookie", "session_secret"]

COOKIE = "console_session"
CSRF_HEADER = "x-csrf-token"
LIFETIME = timedelta(hours=8)


def session_secret(pepper: str) -> bytes:
    """The signing secret: a key derived from the pepper for this one purpose."""
    return hmac.new(pepper.encode(), b"console-session-v1", hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class SessionToken:
    """What a valid cookie says: whose key, which session, until when."""

    key_id: uuid.UUID
    session_id: str
    expires_at: datetime

    def csrf(self, secret: bytes) -> str:
        """The session's CSRF token (the same for every page of the session)."""
        return hmac.new(secret, f"csrf|{self.session_id}".encode(), hashlib.sha256).hexdigest()


def _sign(secret: bytes, payload: bytes) -> str:
    return hmac.new(secret, b"cookie|" + payload, hashlib.sha256).hexdigest()


def issue(*, key_id: uuid.UUID, now: datetime, secret: bytes) -> tuple[str, SessionToken]:
    """A new session for the key: the cookie value and what it carries."""
    token = SessionToken(key_id=key_id, session_id=secrets.token_urlsafe(24), expires_at=now + LIFETIME)
    raw = orjson.dumps({"k": str(key_id), "s": token.session_id, "e": int(token.expires_at.timestamp())})
    payload = base64.urlsafe_b64encode(raw).rstrip(b"=")
    return f"{payload.decode()}.{_sign(secret, payload)}", token


def open_cookie(value: str | None, *, now: datetime, secret: bytes) -> SessionToken | None:
    """The session of a cookie with a valid signature that has not expired, else None."""
    if not value or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    if not digests_equal(_sign(secret, payload.encode("utf-8", "surrogatepass")), signature):
        return None
    try:
        doc = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        token = SessionToken(
            key_id=uuid.UUID(str(doc["k"])),
            session_id=str(doc["s"]),
            expires_at=datetime.fromtimestamp(int(doc["e"]), tz=now.tzinfo),
        )
    except (binascii.Error, orjson.JSONDecodeError, KeyError, ValueError, TypeError):
        return None
    return token if token.expires_at > now else None


def csrf_matches(token: SessionToken, presented: str | None, *, secret: bytes) -> bool:
    """Constant-time check of a presented CSRF token against the session's."""
    return bool(presented) and digests_equal(token.csrf(secret), presented or "")
