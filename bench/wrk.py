"""Drive an HTTP endpoint with wrk (a C load generator), so the Python client is not the bottleneck."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["WrkResult", "have_wrk", "run_wrk"]

_REQS = re.compile(r"Requests/sec:\s+([\d.]+)")
_PCT = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_ERRORS = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_TOTAL = re.compile(r"(\d+) requests in")
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def have_wrk() -> bool:
    """Whether wrk is installed (Debian: apt-get install wrk)."""
    return shutil.which("wrk") is not None


class WrkResult:
    """Requests/s, p50 and p99 in ms, and the count of non-2xx answers."""

    def __init__(self, output: str) -> None:
        reqs = _REQS.search(output)
        total = _TOTAL.search(output)
        if reqs is None or total is None:
            raise RuntimeError(f"unexpected wrk output: {output[-500:]}")
        self.per_second = float(reqs.group(1))
        self.requests = int(total.group(1))
        pct = {m.group(1): float(m.group(2)) * _UNIT[m.group(3)] for m in _PCT.finditer(output)}
        self.p50_ms, self.p99_ms = pct.get("50", 0.0), pct.get("99", 0.0)
        errors = _ERRORS.search(output)
        self.errors = int(errors.group(1)) if errors else 0


async def run_wrk(
    base: str, paths: Sequence[str], *, token: str, seconds: int = 10, connections: int = 32
) -> WrkResult:
    """GET a random path of ``paths`` per request for ``seconds`` with ``connections`` open connections."""
    lua_paths = ",".join(f'"{p}"' for p in paths)
    script = (
        f"local paths = {{{lua_paths}}}\n"
        "math.randomseed(42)\n"
        "request = function()\n"
        f'  return wrk.format("GET", paths[math.random(#paths)], {{["Authorization"] = "Bearer {token}"}})\n'
        "end\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "paths.lua"
        lua.write_text(script, encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(lua),
            base,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
    return WrkResult(out.decode(errors="replace"))
