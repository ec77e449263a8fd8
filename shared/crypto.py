"""Encryption of buyer PII at rest (Fernet: AES-128-CBC + HMAC-SHA256, from the `cryptography` package).

The key is derived from the configured secret so operators manage one opaque string; rotating it means
re-encrypting (or letting the retention job redact) old rows.
"""

from __future__ import annotations

import base64
import hashlib

import orjson
from cryptography.fernet import Fernet, InvalidToken

from shared.errors import PermanentError

__all__ = ["PiiCipher"]


class PiiCipher:
    """Encrypt and decrypt small PII values and JSON documents."""

    def __init__(self, secret: str) -> None:
        key = base64.urlsafe_b64encode(hashlib.sha256(b"complaints-pii:" + secret.encode()).digest())
        self._fernet = Fernet(key)

    def encrypt(self, value: str | None) -> bytes | None:
        """Encrypt text (None stays None)."""
        return None if value is None else self._fernet.encrypt(value.encode())

    def decrypt(self, token: bytes | None) -> str | None:
        """Decrypt text (None stays None)."""
        if token is None:
            return None
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken as exc:
            raise PermanentError("PII ciphertext cannot be decrypted with the configured key") from exc

    def encrypt_json(self, doc: object) -> bytes:
        """Encrypt a JSON-serialisable document."""
        return self._fernet.encrypt(orjson.dumps(doc))

    def decrypt_json(self, token: bytes | None) -> object:
        """Decrypt a JSON document (None stays None)."""
        if token is None:
            return None
        return orjson.loads(self.decrypt(token) or "null")
