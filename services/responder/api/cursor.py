"""Opaque keyset cursors: base64url JSON of (sort key, direction, last value, last id)."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import orjson

__all__ = ["Cursor", "CursorError", "SortKey", "decode_cursor", "encode_cursor"]

SortKey = Literal["created_at", "updated_at", "due_at", "priority"]
_DATETIME_KEYS = frozenset({"created_at", "updated_at", "due_at"})
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class CursorError(ValueError):
    """The cursor is malformed or belongs to another sort order."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """The position after the last row of a page."""

    sort: str
    descending: bool
    value: datetime | str | None
    id: uuid.UUID


def encode_cursor(cursor: Cursor) -> str:
    """Opaque token for the next page."""
    value = cursor.value.isoformat() if isinstance(cursor.value, datetime) else cursor.value
    raw = orjson.dumps({"k": cursor.sort, "d": cursor.descending, "v": value, "i": str(cursor.id)})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(token: str, *, sort: str, descending: bool) -> Cursor:
    """Parse a token; it must have been made for the same sort key and direction."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        doc = orjson.loads(raw)
        if not isinstance(doc, dict):
            raise CursorError("cursor is not an object")
        key, desc, value, ident = doc["k"], doc["d"], doc["v"], uuid.UUID(str(doc["i"]))
    except (binascii.Error, orjson.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
        raise CursorError("cursor is not valid") from exc
    if key != sort or desc is not descending:
        raise CursorError("cursor was issued for another sort order")
    if value is None:
        return Cursor(sort, descending, None, ident)
    if not isinstance(value, str):
        raise CursorError("cursor value is not valid")
    if sort in _DATETIME_KEYS:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise CursorError("cursor value is not valid") from exc
        if parsed.tzinfo is None or not _EARLIEST <= parsed <= _LATEST:
            raise CursorError("cursor value is not valid")
        return Cursor(sort, descending, parsed, ident)
    return Cursor(sort, descending, value, ident)
