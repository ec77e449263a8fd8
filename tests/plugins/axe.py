"""An accessibility scan of a page with axe-core 4.14.1, vendored (``npm pack axe-core@4``, MPL-2.0).

The script is evaluated through Playwright's protocol channel, which the page's Content-Security-Policy does
not govern, so pages keep their strict policy while they are scanned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

__all__ = ["serious_violations"]

_AXE = Path(__file__).parent / "vendor" / "axe.min.js"


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """The page's serious and critical WCAG violations: rule id, impact and the offending nodes' selectors."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(_AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = await page.evaluate(
        "axe.run(document, {resultTypes: ['violations'], runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
