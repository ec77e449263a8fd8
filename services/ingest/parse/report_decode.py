"""Report document bytes to text: gunzip when compressed, then decode whatever charset Amazon used."""

from __future__ import annotations

import re
import zlib

from shared.errors import ValidationError

__all__ = ["decode_report", "gunzip", "is_gzip"]

_GZIP_MAGIC = b"\x1f\x8b"
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff61-\uff9f]")
_CHARSET_ALIASES = {
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "iso-8859-1": "cp1252",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "ms932": "cp932",
    "x-sjis": "cp932",
    "utf8": "utf-8",
}
_MAX_SIZE = 512 * 1024 * 1024  # a returns report covers at most 60 days; anything bigger is not one


def is_gzip(data: bytes) -> bool:
    """True when ``data`` starts with the gzip magic bytes."""
    return data[:2] == _GZIP_MAGIC


def gunzip(data: bytes) -> bytes:
    """Bounded gunzip of every member, so a decompression bomb cannot exhaust memory."""
    chunks: list[bytes] = []
    remaining = data
    while remaining[:2] == _GZIP_MAGIC:
        decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        budget = _MAX_SIZE - sum(len(chunk) for chunk in chunks)
        try:
            chunks.append(decompressor.decompress(remaining, budget))
        except zlib.error as exc:
            raise ValidationError(f"report is gzip-compressed but does not decompress: {exc}") from exc
        if decompressor.unconsumed_tail:
            raise ValidationError("report is larger than the size limit once decompressed")
        if not decompressor.eof:
            raise ValidationError("report gzip stream is truncated")
        remaining = decompressor.unused_data
    return b"".join(chunks)


def _normalize_charset(charset: str | None) -> str | None:
    if not charset:
        return None
    label = charset.strip().strip('"').lower()
    return _CHARSET_ALIASES.get(label, label)


def decode_report(data: bytes, *, charset: str | None = None, japanese: bool = False) -> str:
    """Decode a report document: gzip aware, BOM aware, UTF-8 first, then Shift_JIS (JP) or Windows-1252."""
    if is_gzip(data):
        data = gunzip(data)
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    declared = _normalize_charset(charset)
    candidates = [declared] if declared else []
    candidates += ["utf-8", "cp932"] if japanese else ["utf-8"]
    for name in candidates:
        try:
            return data.decode(name)
        except (ValueError, LookupError):
            # Undecodable bytes, an unknown label, or a codec that always fails ("undefined", "idna").
            continue
    # Without a hint, a strict Shift_JIS decode that yields Japanese text beats the Latin fallback.
    try:
        text = data.decode("cp932")
        if _JAPANESE.search(text):
            return text
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")
