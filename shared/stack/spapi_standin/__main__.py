"""``python -m shared.stack.spapi_standin --port N``: serve the stand-in until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from shared.stack.spapi_standin.server import start_standin
from shared.stack.spapi_standin.state import StandinState

__all__ = ["main"]


async def _serve(host: str, port: int, sellers: list[str]) -> None:
    state = StandinState()
    for spec in sellers:
        seller_id, _, refresh_token = spec.partition("=")
        state.add_seller(seller_id, refresh_token)
    handle = await start_standin(host, port, state=state)
    sys.stdout.write(f"SP-API stand-in on {handle.base_url} (LWA {handle.lwa_url})\n")
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        await handle.stop()


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m shared.stack.spapi_standin")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--seller", action="append", default=[], metavar="SELLER_ID=REFRESH_TOKEN", help="authorise a seller"
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.seller))


if __name__ == "__main__":
    main()
