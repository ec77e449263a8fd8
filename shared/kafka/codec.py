"""The Kafka wire form of events and raw inputs: buyer PII travels sealed with the PII key ring, never in clear.

Events: the PII fields of an event (``SEALED_FIELDS``) leave the JSON body and travel as one Fernet token of a
JSON object in ``pii_sealed`` (an additive optional field, so ``schema_version`` stays); a ComplaintClassified
seals its own fields and carries its signal in the signal's wire form. Services keep the clear models:
``EventCodec.encode`` seals on the way out, ``EventCodec.open`` restores the fields before the contract is
validated (``shared.decoding``). A record without ``pii_sealed`` is read as it is (records produced before
sealing existed); a token the key ring cannot open is a ``PermanentError`` (dead-lettered with the reason).

Raw inputs (the rejected topic): the body is sealed whole (``seal_raw``) and the record carries the header
``pii.sealed``; ``unseal_raw`` gives the original bytes back to an operator holding the key ring.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from shared.crypto import PiiCipher
from shared.errors import PermanentError, ValidationError
from shared.events import EventBase
from shared.settings import PiiSettings

__all__ = [
    "PII_SEALED",
    "SEALED_FIELDS",
    "SEALED_HEADER",
    "SEALED_RAW",
    "EventCodec",
    "needs_sealing",
]

PII_SEALED = "pii_sealed"
"""The body field holding the sealed PII fields."""

SEALED_HEADER = "pii.sealed"
"""Header of a record whose value is a sealed raw input; its value names the encoding."""

SEALED_RAW = b"fernet+base64"
"""Value of ``SEALED_HEADER``: a Fernet token (PII key ring) of the base64 of the original bytes."""

SEALED_FIELDS: dict[str, frozenset[str]] = {
    # The buyer's words, how to reach them, who they are; attachment names can carry a name too.
    "ComplaintSignalReceived": frozenset(
        {"text", "subject", "buyer_alias", "buyer_name", "reply_to", "attachments"}
    ),
    # The classifier's reasons quote the buyer's text (matched phrases and features).
    "ComplaintClassified": frozenset({"reasons"}),
    # An agent's words to the buyer, which may quote the buyer.
    "HelpdeskUpdateReceived": frozenset({"text"}),
}
"""Per ``event_type``: the fields that travel sealed. Other events carry no buyer PII."""

_NESTED: dict[str, tuple[str, ...]] = {"ComplaintClassified": ("signal",)}
"""Per ``event_type``: fields holding an event that has its own wire form."""


def needs_sealing(event: EventBase) -> bool:
    """True when the event's type has PII fields (it must not be produced without a codec)."""
    return str(getattr(event, "event_type", "")) in SEALED_FIELDS


class EventCodec:
    """Seal and open the PII of events and raw inputs with one PII key ring."""

    def __init__(self, cipher: PiiCipher) -> None:
        self._cipher = cipher

    @classmethod
    def from_settings(cls, settings: PiiSettings) -> EventCodec:
        """The codec of the configured key ring."""
        return cls(PiiCipher.from_secrets(settings.encryption_key, settings.old_encryption_keys))

    def encode(self, event: EventBase) -> bytes:
        """The record value of ``event``: JSON with its PII fields sealed."""
        return orjson.dumps(self._seal(event.model_dump(mode="json")))

    def open(self, value: bytes) -> dict[str, Any]:
        """The JSON object of a record value with its PII fields restored (raises ValidationError,
        PermanentError when a seal cannot be opened)."""
        try:
            doc = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ValidationError(f"record is not JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise ValidationError("record is not a JSON object")
        return self._open(doc, "record")

    def seal_raw(self, body: bytes, *, max_bytes: int) -> tuple[bytes, int]:
        """A sealed raw input of at most ``max_bytes``, and how many leading bytes of ``body`` it holds."""
        kept = min(len(body), max_bytes)  # sealing only grows a body: never seal more than the limit
        while True:
            token = self._cipher.encrypt(base64.b64encode(body[:kept]).decode("ascii")) or b""
            if len(token) <= max_bytes or kept == 0:
                return token, kept
            # Fernet and base64 grow the input by a fixed ratio (plus a constant): shrink to fit, then check.
            kept = max(0, min(kept - 1, kept * max_bytes // len(token) - 256))

    def unseal_raw(self, value: bytes) -> bytes:
        """The original bytes of a ``seal_raw`` value (raises PermanentError)."""
        text = self._cipher.decrypt(value) or ""
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise PermanentError("sealed raw value is not base64 inside", code="pii_seal") from exc

    def _seal(self, doc: dict[str, Any]) -> dict[str, Any]:
        event_type = str(doc.get("event_type"))
        for name in _NESTED.get(event_type, ()):
            if isinstance(doc.get(name), dict):
                doc[name] = self._seal(doc[name])
        fields = SEALED_FIELDS.get(event_type)
        if not fields:
            return doc
        sealed = {name: doc.pop(name) for name in sorted(fields) if name in doc}
        doc[PII_SEALED] = self._cipher.encrypt_json(sealed).decode("ascii")
        return doc

    def _open(self, doc: dict[str, Any], where: str) -> dict[str, Any]:
        event_type = str(doc.get("event_type"))
        for name in _NESTED.get(event_type, ()):
            if isinstance(doc.get(name), dict):
                doc[name] = self._open(doc[name], name)
        token = doc.pop(PII_SEALED, None)
        if token is None:
            return doc
        fields = SEALED_FIELDS.get(event_type, frozenset())
        if not isinstance(token, str) or not fields:
            raise ValidationError(f"{where}: {PII_SEALED} on an event without PII fields or not a string")
        try:
            sealed = self._cipher.decrypt_json(token.encode("ascii", "replace"))
        except PermanentError as exc:
            raise PermanentError(
                f"{where}: sealed PII cannot be opened with the PII key ring", code="pii_seal"
            ) from exc
        except ValueError as exc:  # a token of our key ring that does not hold JSON
            raise ValidationError(f"{where}: sealed PII is not JSON") from exc
        if not isinstance(sealed, dict) or not set(sealed) <= fields:
            raise ValidationError(f"{where}: sealed PII is not an object of PII fields")
        clash = sorted(set(sealed) & set(doc))
        if clash:
            raise ValidationError(f"{where}: PII fields both sealed and in clear: {', '.join(clash)}")
        doc.update(sealed)
        return doc
