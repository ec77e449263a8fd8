"""/docs and /redoc render every operation in a real, offline Chromium, under the API's Content-Security-Policy.

The browser cannot leave loopback (tests.plugins.browser): a page that needed a CDN would render nothing,
and a policy that forbade the page's own scripts would leave it blank and log the refusal.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.responder.api.app import served_app
from services.responder.api.config import ApiSettings
from tests.plugins.browser import SCREENSHOTS, OfflineBrowser
from tests.shared.raw_http import serve_asgi

_METHODS = frozenset({"get", "put", "post", "delete", "patch"})


def _operations(app: FastAPI) -> int:
    return sum(1 for item in app.openapi()["paths"].values() for method in item if method in _METHODS)


async def test_swagger_ui_renders_every_operation_offline_under_the_policy(
    app: FastAPI, api_settings: ApiSettings, offline_browser: OfflineBrowser
) -> None:
    async with serve_asgi(served_app(app, api_settings)) as port:
        page = await offline_browser.context.new_page()
        response = await page.goto(f"http://127.0.0.1:{port}/docs")
        assert response is not None
        policy = await response.header_value("content-security-policy") or ""
        await page.wait_for_selector(".opblock", timeout=20_000)
        shown = await page.locator(".opblock").count()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / "api-docs-swagger.png", full_page=False)
    assert shown == _operations(app) > 5
    scripts = policy.split("script-src ")[1].split(";")[0].split()
    assert scripts[0] == "'self'"
    assert scripts[1:]
    assert all(source.startswith("'sha256-") for source in scripts[1:])  # never 'unsafe-inline'
    assert offline_browser.blocked == []
    assert offline_browser.console_errors == []


async def test_redoc_renders_every_operation_offline_under_the_policy(
    app: FastAPI, api_settings: ApiSettings, offline_browser: OfflineBrowser
) -> None:
    async with serve_asgi(served_app(app, api_settings)) as port:
        page = await offline_browser.context.new_page()
        await page.goto(f"http://127.0.0.1:{port}/redoc")
        operations = page.locator("[data-section-id^='operation/']")
        await operations.first.wait_for(timeout=30_000)
        shown = await operations.count()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / "api-docs-redoc.png", full_page=False)
    assert shown == _operations(app)
    assert offline_browser.blocked == []
    assert offline_browser.console_errors == []
    # ReDoc's sidebar shows its maker's logo from their CDN; the policy refuses it before any request leaves.
    assert {url.split("/")[2] for url in offline_browser.refused_outside} <= {"cdn.redoc.ly"}
