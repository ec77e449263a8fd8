"""Live client connections of the stand-in, so a fault can drop one without sending a byte back."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["Connections", "peer_of", "protocol_class"]


class Connections:
    """Transports by peer address (what an ASGI scope calls ``client``)."""

    def __init__(self) -> None:
        self._live: dict[tuple[str, int], tuple[asyncio.Transport, asyncio.Event]] = {}

    def opened(self, peer: tuple[str, int], transport: asyncio.Transport) -> None:
        """Remember a new connection."""
        self._live[peer] = (transport, asyncio.Event())

    def closed(self, peer: tuple[str, int]) -> None:
        """Forget a connection and wake whoever waits for it to go."""
        entry = self._live.pop(peer, None)
        if entry is not None:
            entry[1].set()

    async def drop(self, peer: tuple[str, int] | None) -> bool:
        """Abort the connection (RST, no response) and wait until the server has noticed."""
        entry = self._live.get(peer) if peer is not None else None
        if entry is None:
            return False
        transport, gone = entry
        transport.abort()
        # The protocol learns of the abort on a later loop turn; once it has, it discards our response.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(gone.wait(), timeout=1.0)
        return True


def protocol_class(connections: Connections) -> type[H11Protocol]:
    """uvicorn's h11 protocol, reporting connections to ``connections``."""

    class _TrackedH11Protocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if self.client is not None:
                connections.opened(self.client, transport)

        def connection_lost(self, exc: Exception | None) -> None:
            if self.client is not None:
                connections.closed(self.client)
            super().connection_lost(exc)

    return _TrackedH11Protocol


def peer_of(scope_client: Any) -> tuple[str, int] | None:
    """The ``(host, port)`` of an ASGI scope's ``client`` entry."""
    if isinstance(scope_client, (tuple, list)) and len(scope_client) == 2:
        return (str(scope_client[0]), int(scope_client[1]))
    return None
