"""Encryption of buyer PII at rest and on Kafka, with a key ring (Fernet: AES-128-CBC + HMAC-SHA256).

Each configured secret is an opaque string an operator manages; the Fernet key is derived from it. The ring is
``cryptography.fernet.MultiFernet``: the primary (first) key encrypts everything new, every key of the ring
decrypts. Rotation: make the new secret primary (``RESPONDER_PII_ENCRYPTION_KEY``) and move the old one to
``RESPONDER_PII_ENCRYPTION_KEYS_OLD``; rows written under the old key stay readable, and once the retention
job has redacted them (``RESPONDER_PII_RETENTION_DAYS``) the old key can be dropped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from shared.errors import PermanentError

__all__ = ["PiiCipher", "digests_equal"]


def digests_equal(expected: str, presented: str) -> bool:
    """Constant-time equality of a digest we computed and one a request presented. Compared as bytes:
    ``hmac.compare_digest`` raises TypeError on ``str`` with non-ASCII characters, which a forged header or
    cookie may carry (lone surrogates included)."""
    return hmac.compare_digest(expected.encode(), presented.encode("utf-8", "surrogatepass"))


def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"complaints-pii:" + secret.encode()).digest()))


class PiiCipher:
    """Encrypt (primary key) and decrypt (any key of the ring) small PII values and JSON documents."""

    def __init__(self, secret: str, *, old: Iterable[str] = ()) -> None:
        ring = [secret, *(s for s in old if s and s != secret)]
        self._fernet = MultiFernet([_fernet(s) for s in ring])

    @classmethod
    def from_secrets(cls, primary: SecretStr, old: Iterable[SecretStr] = ()) -> PiiCipher:
        """The ring of configured secrets: ``primary`` encrypts, all decrypt."""
        return cls(primary.get_secret_value(), old=[s.get_secret_value() for s in old])

    def encrypt(self, value: str | None) -> bytes | None:
        """Encrypt text (None stays None)."""
        return None if value is None else self._fernet.encrypt(value.encode())

    def decrypt(self, token: bytes | None) -> str | None:
        """Decrypt text (None stays None); a token no key of the ring opens is a PermanentError."""
        if token is None:
            return None
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except (InvalidToken, UnicodeDecodeError, TypeError, ValueError) as exc:
            raise PermanentError(
                "PII ciphertext cannot be decrypted with any configured key", code="pii_key"
            ) from exc

    def encrypt_json(self, doc: object) -> bytes:
        """Encrypt a JSON-serialisable document."""
        return self._fernet.encrypt(orjson.dumps(doc))

    def decrypt_json(self, token: bytes | None) -> object:
        """Decrypt a JSON document (None stays None)."""
        if token is None:
            return None
        return orjson.loads(self.decrypt(token) or "null")
