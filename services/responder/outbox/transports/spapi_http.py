"""The sender's HTTP connections to the SP-API: httpx's interface (``SpApiClient`` is unchanged) over aiohttp.

With a thousand sellers the sender makes about three thousand SP-API calls a second. httpx's own connection
layer (httpcore on anyio, h11 in Python) cost about half the CPU of a call; aiohttp's connection pool and C
response parser do the same work for about half as much (measured against the stand-in: about 300 instead of 520 us of CPU per call).

Failures keep httpx's meaning, which ``shared.spapi.calls`` relies on to never repeat a send that may have
reached Amazon: only a connection that could not be opened (refused, unresolvable, connect timeout) is a
``ConnectError``/``ConnectTimeout`` ("nothing left this host"); every other failure is a ``ReadError``,
``ReadTimeout`` or ``RemoteProtocolError`` (the request may have been sent).
"""

from __future__ import annotations

import ssl
from types import SimpleNamespace

import aiohttp
import httpx

from shared.settings import SpApiSettings

__all__ = ["SpApiTransport", "spapi_http_client"]

# Computed by aiohttp from the body it sends; a copy from httpx would be a second, possibly wrong, value.
_DROPPED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


class SpApiTransport(httpx.AsyncBaseTransport):
    """At most ``limit`` connections, kept alive ``keepalive_expiry_s`` (below the usual 5 s server idle
    timeout, so a connection is not reused just as the server closes it); requests beyond them wait, in
    order, before anything leaves the host."""

    def __init__(self, limit: int, *, keepalive_expiry_s: float = 4.0) -> None:
        self._limit = limit
        self._keepalive_s = keepalive_expiry_s
        self._session: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | None = None
        self.connections = 0
        """Connections opened so far."""

    def _open(self) -> aiohttp.ClientSession:
        # Made on first use: an aiohttp session belongs to the running event loop.
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()  # the same CA bundle as httpx
        trace = aiohttp.TraceConfig()
        trace.on_connection_create_end.append(self._opened)
        connector = aiohttp.TCPConnector(
            limit=self._limit, limit_per_host=0, keepalive_timeout=self._keepalive_s, ssl=self._ssl
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,  # httpx decodes, as with its own transport
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),  # httpx sets its own
            trace_configs=[trace],
        )
        return self._session

    async def _opened(self, _session: aiohttp.ClientSession, _ctx: SimpleNamespace, _params: object) -> None:
        self.connections += 1

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        timeouts = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timeouts.get("connect"), sock_read=timeouts.get("read")
        )
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in _DROPPED]
        body = await request.aread()
        try:
            async with session.request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                timeout=timeout,
                allow_redirects=False,
            ) as answer:
                content = await answer.read()
                return httpx.Response(answer.status, headers=answer.raw_headers, content=content)
        except aiohttp.ConnectionTimeoutError as exc:  # before ClientConnectorError: not one of them
            raise httpx.ConnectTimeout(str(exc), request=request) from exc
        except aiohttp.ClientConnectorError as exc:  # the connection could not be opened: nothing was sent
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        except TimeoutError as exc:  # a read timeout (aiohttp's are TimeoutErrors too)
            raise httpx.ReadTimeout(str(exc) or "read timeout", request=request) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def spapi_http_client(settings: SpApiSettings, *, connections: int | None = None) -> httpx.AsyncClient:
    """The HTTP client for ``SpApiClient(settings, http=...)`` when many sends are in flight at once, with
    ``connections`` (default ``SPAPI_HTTP_CONNECTIONS``) on the wire at most."""
    limit = settings.http_connections if connections is None else connections
    return httpx.AsyncClient(timeout=httpx.Timeout(settings.timeout_s), transport=SpApiTransport(limit))
