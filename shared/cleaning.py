"""Outside text made storable: control characters, lone surrogates and overlong values.

PostgreSQL text and JSONB cannot hold NUL, UTF-8 cannot encode a lone surrogate (an e-mail header decoded
with ``surrogateescape`` carries them), and a ``varchar(n)`` refuses n + 1 characters. Every event string
passes through here (``shared.events``), so a buyer's odd bytes never reach a statement that would fail.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "bound_key", "clean_json", "clean_line", "clean_text", "storable_json"]

MAX_JSON_DEPTH = 32
"""Deeper JSON is cut there: nothing this system reads is nested that deep, and PostgreSQL has a stack limit."""

_TOO_DEEP = "[nested too deep]"
# C0 controls except tab and newline, DEL, C1 controls, and surrogates (in a str every one of them is lone)
_TEXT_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS = re.compile("[\t\n\r]+")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_DIGEST_CHARS = 64


def clean_text(value: str) -> str:
    """Free text: line breaks normalised to ``\\n``, tabs kept, every other control and lone surrogate gone."""
    return _TEXT_JUNK.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def clean_line(value: str) -> str:
    """One line: tabs and line breaks become a space, every other control and lone surrogate is gone."""
    return _TEXT_JUNK.sub("", _LINE_BREAKS.sub(" ", value))


def bound_key(value: str, limit: int) -> str:
    """``value`` if it fits ``limit`` characters, else its head and a SHA-256 of the whole (deterministic)."""
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8", errors="surrogatepass")).hexdigest()
    return f"{value[: limit - _DIGEST_CHARS - 1]}~{digest}"


def clean_json(value: Any, *, depth: int = 0) -> Any:
    """A JSON-like value with every string (keys too) cleaned as free text, cut at ``MAX_JSON_DEPTH``."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        if depth >= MAX_JSON_DEPTH:
            return _TOO_DEEP
        return {clean_text(str(k)): clean_json(v, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        if depth >= MAX_JSON_DEPTH:
            return _TOO_DEEP
        return [clean_json(v, depth=depth + 1) for v in value]
    return value


def storable_json(value: Any) -> Any:
    """A JSON-like value without what PostgreSQL's JSONB refuses: NUL (``\\u0000``) and lone surrogates."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("", value)
    if isinstance(value, Mapping):
        return {_UNSTORABLE.sub("", str(k)): storable_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(v) for v in value]
    return value
