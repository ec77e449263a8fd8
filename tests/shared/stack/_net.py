"""Small network probes shared by the stack tests."""

from __future__ import annotations

import asyncio

__all__ = ["accepts"]


async def accepts(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    await writer.wait_closed()
    return True
