"""Serve an ASGI app with uvicorn on loopback and talk raw HTTP/1.1 to it (declared lengths, endless chunks)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from shared.health import QuietServer
from shared.stack.ports import LOOPBACK

__all__ = ["RawAnswer", "raw_request", "serve_asgi"]


@asynccontextmanager
async def serve_asgi(app: ASGIApp) -> AsyncIterator[int]:
    """Serve ``app`` (lifespan off) on a free loopback port; yields the port."""
    config = uvicorn.Config(app, host=LOOPBACK, port=0, log_config=None, access_log=False, lifespan="off")
    server = QuietServer(config)
    task = asyncio.create_task(server.serve())
    while True:
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task


@dataclass(frozen=True, slots=True)
class RawAnswer:
    """The status and body of the answer, and how many body bytes had been sent when it arrived."""

    status: int
    body: bytes
    sent: int


async def raw_request(
    port: int, head: str, *, body: bytes = b"", chunk: bytes = b"", chunks: int = 0, within: float = 20.0
) -> RawAnswer:
    """Send ``head`` (request line and headers, no blank line), then ``body``, then up to ``chunks`` chunks
    of chunked encoding without the final one, while reading the answer. A server that waits for the rest
    of the body never answers: the read then times out and the test fails.

    Plain sockets, sending and receiving independently: a server that answers and closes before reading
    the body resets the connection, which must not cost the answer already received."""
    loop = asyncio.get_running_loop()
    sock = socket.create_connection((LOOPBACK, port))
    sock.setblocking(False)
    sent = 0

    async def pump() -> None:
        nonlocal sent
        await loop.sock_sendall(sock, head.encode("latin-1") + b"\r\n\r\n" + body)
        sent += len(body)
        for _ in range(chunks):
            await loop.sock_sendall(sock, b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)

    sender = asyncio.create_task(pump())
    received = bytearray()

    async def more() -> None:
        data = await loop.sock_recv(sock, 65536)
        if not data:
            raise ConnectionError("closed before a whole answer arrived")
        received.extend(data)

    try:
        async with asyncio.timeout(within):
            while b"\r\n\r\n" not in received:
                await more()
            sent_then = sent
            head_end = received.index(b"\r\n\r\n")
            lines = bytes(received[:head_end]).decode("latin-1").split("\r\n")
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
            }
            length = int(headers.get("content-length", "0"))
            while len(received) < head_end + 4 + length:
                await more()
        answer_body = bytes(received[head_end + 4 : head_end + 4 + length])
        return RawAnswer(int(lines[0].split()[1]), answer_body, sent_then)
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await sender
        sock.close()
