"""The evidence pack's printable page in a real, offline Chromium: every section on screen and on paper."""

from __future__ import annotations

import re

from fastapi import FastAPI
from playwright.async_api import Page, expect

from services.responder.api.app import served_app
from services.responder.api.config import ApiSettings
from shared.db.session import Database
from tests.plugins.axe import serious_violations
from tests.plugins.browser import SCREENSHOTS, OfflineBrowser
from tests.responder.api.console.seed import SCOPES
from tests.responder.api.evidence_seed import BUYER_TEXT, ORDER, REPLY, TRACKING, seed_claim
from tests.responder.api.helpers import add_key, add_outbox
from tests.shared.raw_http import serve_asgi

SECTIONS = (
    "#ev-deadline",
    "#ev-order",
    "#ev-shipment",
    "#ev-returns",
    "#ev-messages",
    "#ev-replies",
    "#ev-timeline",
)


async def _sign_in(page: Page, base: str, key: str) -> None:
    await page.goto(f"{base}/console/sign-in")
    await page.fill("#api_key", key)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/console/queue$"))


async def test_the_evidence_page_shows_and_prints_every_section(
    app: FastAPI, api_settings: ApiSettings, db: Database, offline_browser: OfflineBrowser
) -> None:
    claim = await seed_claim(db)
    await add_outbox(db, claim.ticket, status="held", body="Hello, the same text as many others.")
    key = await add_key(db, sellers=["SELLER-A"], scopes=SCOPES, name="agent-ana")
    async with serve_asgi(served_app(app, api_settings)) as port:
        base = f"http://127.0.0.1:{port}"
        page = await offline_browser.context.new_page()
        await _sign_in(page, base, key)
        await page.goto(f"{base}/console/tickets/{claim.ticket.id}")
        # a reply held by the identical-message cap says so, for the agent to write their own
        await expect(page.locator("ul.replies")).to_contain_text("held, not sent")
        await page.click("#evidence-link")
        await expect(page).to_have_url(re.compile(rf"/console/tickets/{claim.ticket.id}/evidence$"))
        await expect(page.locator("h1")).to_contain_text(f"A-to-z Guarantee claim · order {ORDER}")
        await expect(page.locator("#ev-deadline")).to_contain_text("62.0 h left")
        await expect(page.locator("#ev-shipment")).to_contain_text(TRACKING)
        await expect(page.locator("#ev-shipment tbody tr td:nth-child(2)")).to_have_text(
            ["SHIPPED", "IN_TRANSIT", "DELIVERED"]
        )
        await expect(page.locator("#ev-shipment")).to_contain_text("(on time)")
        await expect(page.locator("#ev-returns")).to_contain_text("issued")
        await expect(page.locator("#ev-messages")).to_contain_text(BUYER_TEXT)
        await expect(page.locator("#ev-replies")).to_contain_text(REPLY)
        await expect(page.locator("#ev-replies .timeline")).to_contain_text("reply_sent")
        await expect(page.locator("#ev-replies header strong")).to_have_text(["sent", "held"])
        assert await serious_violations(page) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / "console-evidence.png", full_page=True)

        # On paper: the console's navigation goes, every section stays.
        await page.emulate_media(media="print")
        await expect(page.locator("header.top")).to_be_hidden()
        for section in SECTIONS:
            await expect(page.locator(section)).to_be_visible()
        await page.screenshot(path=SCREENSHOTS / "console-evidence-print.png", full_page=True)
        pdf = await page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1
