"""Small helpers for reading Amazon JSON documents whose key casing varies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.errors import ValidationError

__all__ = ["ci_get", "ci_mapping", "ci_str", "parse_timestamp", "without_keys"]


def _lookup(obj: Mapping[str, Any], name: str) -> Any:
    if name in obj:
        return obj[name]
    wanted = name.lower()
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == wanted:
            return value
    return None


def ci_get(obj: object, *path: str) -> Any:
    """Value at a key path, each key matched case-insensitively; None when any step is missing."""
    current: Any = obj
    for name in path:
        if not isinstance(current, Mapping):
            return None
        current = _lookup(current, name)
        if current is None:
            return None
    return current


def ci_mapping(obj: object, *path: str) -> Mapping[str, Any] | None:
    """Like ``ci_get`` but only returns JSON objects."""
    value = ci_get(obj, *path)
    return value if isinstance(value, Mapping) else None


def ci_str(obj: object, *path: str) -> str | None:
    """Like ``ci_get`` but returns a stripped non-empty string (numbers are stringified)."""
    value = ci_get(obj, *path)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


def without_keys(obj: Mapping[str, Any] | None, *names: str) -> dict[str, Any]:
    """Shallow copy of a JSON object minus the named keys (case-insensitive), original casing kept."""
    if obj is None:
        return {}
    dropped = {name.lower() for name in names}
    return {key: value for key, value in obj.items() if key.lower() not in dropped and value is not None}


def parse_timestamp(value: object, *, field: str) -> datetime | None:
    """ISO 8601 string or epoch milliseconds to an aware UTC datetime; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(f"{field}: expected a timestamp, got a boolean")
    if isinstance(value, int | float):
        # Legacy ORDER_STATUS_CHANGE sends PurchaseDate as epoch milliseconds.
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValidationError(f"{field}: epoch value {value!r} is out of range") from exc
    if not isinstance(value, str):
        raise ValidationError(f"{field}: expected a timestamp string, got {type(value).__name__}")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(f"{field}: {text!r} is not an ISO 8601 timestamp") from exc
    try:
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except OverflowError as exc:  # year 1 or 9999 shifted by its offset leaves the datetime range
        raise ValidationError(f"{field}: {text!r} is out of range once converted to UTC") from exc
