"""Free loopback ports for locally started components."""

from __future__ import annotations

import socket

__all__ = ["LOOPBACK", "free_port"]

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # The kernel hands out ephemeral ports round-robin, so a just-released one is rarely reused at once;
        # callers that spawn a server on it still retry on a bind failure.
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
