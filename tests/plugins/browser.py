"""A real browser for pages people use: Debian's Chromium driven by Playwright, never a download at test time.

``make test`` installs the ``chromium`` package when it is missing (``make browser``). Without it the browser
tests skip locally and fail under CI, like the reference material (tests.reference): a skip must not let CI
pass without the pages ever being rendered. The browser is offline: any request that leaves loopback is
aborted and recorded, so a page that needs the internet shows it.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, ConsoleMessage, Route, async_playwright

from tests.reference import in_ci

__all__ = ["SCREENSHOTS", "OfflineBrowser", "chromium_path"]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
"""Screenshots of the main pages, kept as test artifacts (``build/`` is not tracked)."""

_REFUSED = re.compile(r"^Loading the \w+ '([^']+)' violates the following Content Security Policy directive")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def chromium_path() -> str | None:
    """The system Chromium: ``CHROMIUM`` if set, else the first of Debian's names on PATH."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured
    return next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)


@dataclass
class OfflineBrowser:
    """One browser context with no way out of loopback; what it tried to reach and what its console said."""

    context: BrowserContext
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    refused_outside: list[str] = field(default_factory=list)
    """Console reports of the page's policy refusing a non-loopback address: the policy doing its job (the
    request never left, so it is not in ``blocked``), kept apart from real errors."""

    async def _route(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in _LOOPBACK:
            await route.continue_()
            return
        self.blocked.append(route.request.url)
        await route.abort("internetdisconnected")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        refused = _REFUSED.search(message.text)
        if refused and (urlsplit(refused.group(1)).hostname or "") not in _LOOPBACK:
            self.refused_outside.append(refused.group(1))
            return
        self.console_errors.append(message.text)


@pytest_asyncio.fixture
async def offline_browser() -> AsyncIterator[OfflineBrowser]:
    """A headless Chromium context that cannot leave loopback; fails under CI when Chromium is missing."""
    path = chromium_path()
    if path is None:
        reason = "Chromium is not installed (make browser installs Debian's chromium)"
        if in_ci():
            pytest.fail(f"{reason}; CI must render the pages", pytrace=False)
        pytest.skip(reason)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 800})
            offline = OfflineBrowser(context)
            await context.route("**/*", offline._route)
            context.on("console", offline._console)
            yield offline
            await context.close()
        finally:
            await browser.close()
