"""Report document downloads from their presigned URLs, gzip aware, streamed and capped.

Two caps, both applied while the bytes arrive: ``max_bytes`` on what the store sends (after any
Content-Encoding, itself decoded with the same bounded inflater), ``max_decompressed`` on the report once a
GZIP document is inflated. Inflating goes through ``zlib.decompressobj`` in bounded steps, so a gzip bomb
(a few hundred KB that would inflate to gigabytes) stops at its cap with a ``SpApiPermanentError`` saying
why, having held at most the cap in memory.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx

from shared.spapi.calls import RetryPolicy
from shared.spapi.errors import ServiceUnavailableError, SpApiConnectionError, SpApiError, SpApiPermanentError
from shared.spapi.models import ReportDocument

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "DEFAULT_MAX_DOCUMENT_BYTES",
    "decode_document",
    "fetch_document",
]

_OPERATION = "downloadReportDocument"
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # gzip header and trailer, not raw deflate
_STEP = 64 * 1024  # inflate at most this much per step (and feed it this much at a time)
DEFAULT_MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024


def _too_large(what: str, limit: int) -> SpApiPermanentError:
    return SpApiPermanentError(f"{_OPERATION}: {what} larger than {limit} bytes", operation=_OPERATION)


def _invalid(reason: str) -> SpApiPermanentError:
    return SpApiPermanentError(f"{_OPERATION}: {reason}", operation=_OPERATION)


class _Gunzip:
    """Bounded gzip inflater: ``feed`` compressed bytes, then ``finish`` for the output (members concatenated,
    trailing zero padding allowed, as ``gzip.decompress`` does)."""

    def __init__(self, limit: int, what: str) -> None:
        self._limit = limit
        self._what = what
        self._inflater = zlib.decompressobj(_GZIP_WBITS)
        self._out = bytearray()
        self._padding = False

    def feed(self, data: bytes) -> None:
        if self._padding:
            if data.strip(b"\x00"):
                raise _invalid("bytes after the gzip data")
            return
        try:
            while True:
                if self._inflater.eof:
                    rest = self._inflater.unused_data + data
                    if not rest:
                        return
                    if not rest.strip(b"\x00"):
                        self._padding = True
                        return
                    if not _GZIP_MAGIC.startswith(rest[:2]):
                        raise _invalid("bytes after the gzip data")
                    self._inflater = zlib.decompressobj(_GZIP_WBITS)
                    data = rest
                if not data:
                    return
                # At most _STEP bytes out per call: the rest of the input waits in unconsumed_tail.
                self._out += self._inflater.decompress(data, _STEP)
                if len(self._out) > self._limit:
                    raise _too_large(self._what, self._limit)
                data = self._inflater.unconsumed_tail
        except zlib.error as exc:
            raise _invalid(f"not valid gzip ({exc})") from None

    def finish(self) -> bytes:
        self.feed(b"")  # whatever followed the last member's end
        if not (self._padding or self._inflater.eof):
            raise _invalid("truncated gzip data")
        return bytes(self._out)


async def fetch_document(
    http: httpx.AsyncClient,
    url: str,
    retry: RetryPolicy,
    *,
    max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> bytes:
    """The stored bytes behind a presigned URL; 5xx and connection failures are retried (a read is safe)."""
    # A presigned storage URL: no SP-API token goes there, and no usage plan applies.
    for attempt in range(1, retry.max_attempts + 1):
        failure: SpApiError
        try:
            async with http.stream("GET", url) as response:
                status = response.status_code
                if status < 300:
                    return await _read_capped(response, max_bytes)
        except httpx.TransportError as exc:
            failure = SpApiConnectionError(f"{_OPERATION}: {type(exc).__name__}", operation=_OPERATION)
        else:
            if status < 500:
                # Typically the 5-minute URL expired: fetch a new one with getReportDocument.
                raise SpApiPermanentError(
                    f"{_OPERATION}: HTTP {status} from {urlsplit(url).hostname}",
                    operation=_OPERATION,
                    status=status,
                )
            failure = ServiceUnavailableError(
                f"{_OPERATION}: HTTP {status}", operation=_OPERATION, status=status
            )
        if attempt >= retry.max_attempts:
            raise failure
        await sleep(retry.delay(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, raw bytes counted as they arrive; a Content-Encoding: gzip body inflated within the cap."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large("document", max_bytes)
    if response.is_stream_consumed:
        # Built in memory (a transport that is not the network): httpx already holds it decoded.
        if len(response.content) > max_bytes:
            raise _too_large("document", max_bytes)
        return response.content
    encoding = response.headers.get("content-encoding", "").strip().lower()
    # httpx would inflate Content-Encoding without any bound: read raw and inflate here.
    inflater = _Gunzip(max_bytes, "document") if encoding in ("gzip", "x-gzip") else None
    body = bytearray()
    received = 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        if received > max_bytes:
            raise _too_large("document", max_bytes)
        if inflater is None:
            body += chunk
        else:
            inflater.feed(chunk)
    return inflater.finish() if inflater is not None else bytes(body)


def decode_document(
    document: ReportDocument, data: bytes, *, max_decompressed: int = DEFAULT_MAX_DECOMPRESSED_BYTES
) -> bytes:
    """The report contents: gunzipped (within ``max_decompressed``) when ``compressionAlgorithm`` is GZIP and
    the bytes still are gzip."""
    # A store that also sends Content-Encoding: gzip has had the transfer encoding inflated already.
    if document.compression_algorithm == "GZIP" and data.startswith(_GZIP_MAGIC):
        inflater = _Gunzip(max_decompressed, "decompressed report")
        view = memoryview(data)
        for start in range(0, len(data), _STEP):
            inflater.feed(bytes(view[start : start + _STEP]))
        return inflater.finish()
    return data
