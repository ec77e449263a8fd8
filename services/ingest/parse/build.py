"""Construct event models, turning pydantic failures into the project's ValidationError.

The models clean every string and bound it to its column (``shared.events``): keys keep a digest, text is cut,
identifiers that do not fit are refused. Here, an optional identifier that does not fit (an oversized ASIN,
currency or fulfillment type in a buyer mail or a notification) is left out instead, so the rest of the input
still becomes an event; a required one that does not fit rejects the input with the reason.
"""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic

from shared.errors import ValidationError

__all__ = ["build_event"]

_M = TypeVar("_M", bound=pydantic.BaseModel)


def build_event(model: type[_M], **fields: Any) -> _M:
    """Instantiate ``model`` or raise ValidationError naming the offending fields."""
    try:
        return model(**fields)
    except pydantic.ValidationError as exc:
        dropped = _overlong_optionals(model, exc)
        if dropped:
            return build_event(model, **{**fields, **dict.fromkeys(dropped)})
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or model.__name__}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)
        )
        raise ValidationError(f"{model.__name__} rejected: {problems}") from exc


def _overlong_optionals(model: type[pydantic.BaseModel], exc: pydantic.ValidationError) -> list[str]:
    """Fields whose only problem is an overlong value and that may be absent; empty when anything else fails."""
    names: list[str] = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = err["loc"]
        if err["type"] != "string_too_long" or len(loc) != 1 or not isinstance(loc[0], str):
            return []
        info = model.model_fields.get(loc[0])
        if info is None or info.is_required() or info.default is not None:
            return []
        names.append(loc[0])
    return names
