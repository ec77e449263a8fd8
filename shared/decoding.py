"""Decode Kafka records into event models; a record that does not match its contract is permanent."""

from __future__ import annotations

import pydantic

from shared.errors import ValidationError
from shared.events import AmazonEvent, ComplaintClassified, parse_amazon_event

__all__ = ["decode_amazon_event", "decode_classified"]


def decode_amazon_event(value: bytes | None) -> AmazonEvent:
    """An event of amazon.events.v1."""
    if not value:
        raise ValidationError("empty record")
    try:
        return parse_amazon_event(value)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"not an amazon event: {_short(exc)}") from exc


def decode_classified(value: bytes | None) -> ComplaintClassified:
    """An event of complaints.classified.v1."""
    if not value:
        raise ValidationError("empty record")
    try:
        return ComplaintClassified.model_validate_json(value)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"not a ComplaintClassified: {_short(exc)}") from exc


def _short(exc: pydantic.ValidationError) -> str:
    errors = exc.errors(include_input=False, include_url=False)[:3]
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
