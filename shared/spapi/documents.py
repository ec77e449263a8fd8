"""Report document downloads from their presigned URLs, gzip aware."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx

from shared.spapi.calls import RetryPolicy
from shared.spapi.errors import ServiceUnavailableError, SpApiConnectionError, SpApiError, SpApiPermanentError
from shared.spapi.models import ReportDocument

__all__ = ["decode_document", "fetch_document"]

_OPERATION = "downloadReportDocument"
_GZIP_MAGIC = b"\x1f\x8b"


async def fetch_document(
    http: httpx.AsyncClient,
    url: str,
    retry: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> bytes:
    """The stored bytes behind a presigned URL; 5xx and connection failures are retried (a read is safe)."""
    # A presigned storage URL: no SP-API token goes there, and no usage plan applies.
    for attempt in range(1, retry.max_attempts + 1):
        failure: SpApiError
        try:
            response = await http.get(url)
        except httpx.TransportError as exc:
            failure = SpApiConnectionError(f"{_OPERATION}: {type(exc).__name__}", operation=_OPERATION)
        else:
            status = response.status_code
            if status < 300:
                return response.content
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


def decode_document(document: ReportDocument, data: bytes) -> bytes:
    """The report contents: gunzipped when ``compressionAlgorithm`` is GZIP and the bytes still are gzip."""
    # A store that also sends Content-Encoding: gzip has had httpx decompress the body already.
    if document.compression_algorithm == "GZIP" and data.startswith(_GZIP_MAGIC):
        return gzip.decompress(data)
    return data
