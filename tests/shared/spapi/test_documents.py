"""Report documents are streamed and capped: gzip bombs stop at the cap with a clear reason, memory bounded."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest

from shared.spapi import SpApiClient
from shared.spapi.documents import decode_document
from shared.spapi.errors import SpApiPermanentError
from shared.spapi.models import ReportDocument
from tests.shared.spapi.mock_amazon import FAST_LIMITS, FAST_RETRY, MockAmazon

MIB = 1024 * 1024
CAP = 8 * MIB


def _bomb(expanded: int = 256 * MIB) -> bytes:
    """gzip of ``expanded`` zero bytes, built a MiB at a time (never held expanded)."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MIB)
    parts = [deflater.compress(zeros) for _ in range(expanded // MIB)]
    return b"".join(parts) + deflater.flush()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = _bomb()
    assert len(data) < 400_000  # a few hundred KB that would inflate to 256 MiB
    return data


class _Streamed(httpx.AsyncByteStream):
    """A body that arrives in 64 KiB pieces, as from the network (httpx reads in-memory bodies at once)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._data), 65536):
            yield self._data[start : start + 65536]


def _streamed(data: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(200, stream=_Streamed(data), headers=headers)


def _doc(algorithm: str | None = "GZIP") -> ReportDocument:
    return ReportDocument(report_document_id="d1", url="https://s3.test/doc", compression_algorithm=algorithm)


def test_a_gzip_bomb_stops_at_the_cap_with_bounded_memory(bomb: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(SpApiPermanentError, match=f"decompressed report larger than {CAP} bytes"):
            decode_document(_doc(), bomb, max_decompressed=CAP)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * CAP


def _client(amazon: MockAmazon, *, max_bytes: int = CAP, max_decompressed: int = CAP) -> SpApiClient:
    settings = amazon.settings().model_copy(
        update={"report_max_bytes": max_bytes, "report_max_decompressed_bytes": max_decompressed}
    )
    http = httpx.AsyncClient(transport=httpx.MockTransport(amazon.handle))
    return SpApiClient(settings, http=http, retry=FAST_RETRY, rate_limits=FAST_LIMITS)


async def test_downloads_are_capped_as_stored_and_as_transfer_encoded(bomb: bytes) -> None:
    amazon = MockAmazon()
    amazon.queue(
        "/doc",
        _streamed(bomb),  # a GZIP report that inflates past the cap
        _streamed(bomb, {"content-encoding": "gzip"}),  # a bomb as the transfer encoding
        _streamed(b"x" * (CAP + 1)),  # plainly too large, no length announced
        _streamed(b"x" * 10, {"content-length": str(CAP + 1)}),  # announced too large
        _streamed(gzip.compress(b"a\tb\n"), {"content-encoding": "gzip"}),  # within the caps
    )
    async with _client(amazon) as client:
        with pytest.raises(SpApiPermanentError, match="decompressed report larger than"):
            await client.download_report_document(_doc("GZIP"))
        for _ in range(3):
            with pytest.raises(SpApiPermanentError, match="document larger than"):
                await client.download_report_document(_doc(None))
        assert await client.download_report_document(_doc("GZIP")) == b"a\tb\n"


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (gzip.compress(b"a\tb\n") + gzip.compress(b"c\td\n"), b"a\tb\nc\td\n"),  # two members
        (gzip.compress(b"a\tb\n") + bytes(16), b"a\tb\n"),  # zero padding after the data
    ],
)
def test_well_formed_gzip_variants_decode_like_gzip_decompress(stored: bytes, expected: bytes) -> None:
    assert decode_document(_doc(), stored, max_decompressed=CAP) == gzip.decompress(stored) == expected


@pytest.mark.parametrize(
    ("stored", "reason"),
    [
        (gzip.compress(b"a\tb\n" * 1000)[:-12], "truncated gzip data"),
        (gzip.compress(b"a\tb\n") + b"garbage", "bytes after the gzip data"),
        (b"\x1f\x8b\x08\x00" + b"\xff" * 40, "not valid gzip"),
    ],
)
def test_broken_gzip_is_a_permanent_error_with_its_reason(stored: bytes, reason: str) -> None:
    with pytest.raises(SpApiPermanentError, match=reason):
        decode_document(_doc(), stored, max_decompressed=CAP)
