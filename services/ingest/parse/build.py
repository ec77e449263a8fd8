"""Construct event models, turning pydantic failures into the project's ValidationError."""

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
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or model.__name__}: {err['msg']}"
            for err in exc.errors()
        )
        raise ValidationError(f"{model.__name__} rejected: {problems}") from exc
