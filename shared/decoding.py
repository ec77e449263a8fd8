"""Decode Kafka records into event models; a record that does not match its contract is permanent.

The record's PII fields are unsealed first (``shared.kafka.codec``); a seal the key ring cannot open is a
``PermanentError`` too, so the record goes to the dead-letter topic with the reason.
"""

from __future__ import annotations

import pydantic

from shared.errors import ValidationError
from shared.events import AmazonEvent, ComplaintClassified
from shared.kafka.codec import EventCodec

__all__ = ["decode_amazon_event", "decode_classified"]

_AMAZON_EVENT: pydantic.TypeAdapter[AmazonEvent] = pydantic.TypeAdapter(AmazonEvent)


def decode_amazon_event(value: bytes | None, *, codec: EventCodec) -> AmazonEvent:
    """An event of amazon.events.v1."""
    if not value:
        raise ValidationError("empty record")
    doc = codec.open(value)
    try:
        return _AMAZON_EVENT.validate_python(doc)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"not an amazon event: {_short(exc)}") from exc


def decode_classified(value: bytes | None, *, codec: EventCodec) -> ComplaintClassified:
    """An event of complaints.classified.v1."""
    if not value:
        raise ValidationError("empty record")
    doc = codec.open(value)
    try:
        return ComplaintClassified.model_validate(doc)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"not a ComplaintClassified: {_short(exc)}") from exc


def _short(exc: pydantic.ValidationError) -> str:
    errors = exc.errors(include_input=False, include_url=False)[:3]
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
