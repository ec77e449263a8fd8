"""free_port hands out a loopback port that is actually free."""

from __future__ import annotations

import socket

from shared.stack.ports import LOOPBACK, free_port
from tests.shared.stack._net import accepts


async def test_free_port_is_unused_and_bindable() -> None:
    port = free_port()
    assert not await accepts(LOOPBACK, port)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, port))
        sock.listen()
        assert await accepts(LOOPBACK, port)
