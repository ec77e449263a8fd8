"""The agent console in a real, offline Chromium: sign in, filter, read a ticket, reply, tenancy, CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from fastapi import FastAPI
from playwright.async_api import Page, expect
from sqlalchemy import select

from services.responder.api.app import served_app
from services.responder.api.config import ApiSettings
from services.responder.api.console.queue import PAGE
from services.responder.outbox.sender import OutboxSender, SenderConfig
from services.responder.outbox.transports.smtp import SmtpTransport
from services.responder.settings import MailSettings
from services.responder.tables import OutboxMessage, Ticket, TicketEvent
from shared.db.session import Database, unit_of_work
from shared.stack.smtp import SmtpServer
from tests.plugins.axe import serious_violations
from tests.plugins.browser import SCREENSHOTS, OfflineBrowser
from tests.responder.api.conftest import Clock
from tests.responder.api.console.seed import GOOD, ORDER, PHRASE, SCOPES, seed
from tests.responder.api.helpers import CIPHER, T0, add_key, add_ticket
from tests.shared.raw_http import serve_asgi

BAD = (
    f"Hello, sorry for the delay with order {ORDER}. Call us at +1 555 123 4567 or visit "
    "https://shop.example.com/help for help. Kind regards, Northwind Home"
)


async def _sign_in(page: Page, base: str, key: str) -> None:
    await page.goto(f"{base}/console")
    await expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    await page.fill("#api_key", key)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(re.compile(r"/console/queue$"))
    await page.wait_for_load_state("load")  # the URL changes before the stylesheet and scripts are in


async def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"console-{name}.png", full_page=True)


async def test_sign_in_filter_open_and_reply_through_the_outbox(
    app: FastAPI,
    api_settings: ApiSettings,
    db: Database,
    clock: Clock,
    offline_browser: OfflineBrowser,
    smtp_server: SmtpServer,
) -> None:
    s = await seed(db)
    async with serve_asgi(served_app(app, api_settings)) as port:
        base = f"http://127.0.0.1:{port}"
        page = await offline_browser.context.new_page()
        response = await page.goto(f"{base}/console/sign-in")
        assert response is not None
        policy = await response.header_value("content-security-policy") or ""
        scans = {"sign-in": await serious_violations(page)}
        await _sign_in(page, base, s.key_a)
        rows = page.locator("tbody#rows tr.row")
        await expect(rows).to_have_count(2)
        # Sorted by SLA due time: the overdue one first, then the one with 4 h 12 m left.
        await expect(rows.nth(0).locator("td.sla")).to_have_text("overdue + 2 h 0 m")
        await expect(rows.nth(1).locator("td.sla")).to_have_text("4 h 12 m left")
        await _shot(page, "queue")
        scans["queue"] = await serious_violations(page)
        await page.fill("input[name=category]", "not_received")
        await page.click("form.filters button[type=submit]")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text(ORDER)

        await rows.first.locator("a").click()
        await expect(page).to_have_url(re.compile(rf"/console/tickets/{s.late.id}$"))
        await expect(page.locator("mark.phrase")).to_have_text(PHRASE)
        await expect(page.locator("ul.reasons").first).to_contain_text("text.feature")
        await expect(page.locator("#buyer")).to_contain_text("2 with your sellers")
        await expect(page.locator("#abuse-reasons")).to_contain_text("abuse.returns_90d")
        await _shot(page, "ticket")
        await page.click("form.inline button[type=submit]")  # the ticket's category and language template
        await expect(page.locator("#text")).to_have_value(re.compile(re.escape(ORDER)))

        await page.fill("#text", BAD)
        violations = page.locator("#lint .violations code.rule")
        await expect(violations).to_have_text(["contact.off_amazon", "contact.phone", "link.url"])
        await expect(page.locator("#lint mark.bad").nth(1)).to_have_text("+1 555 123 4567")
        await page.click("#send")
        await expect(page.locator("#send-result .blocked code.rule")).to_have_text(
            ["contact.off_amazon", "contact.phone", "link.url"]
        )
        await _shot(page, "reply-blocked")
        scans["ticket"] = await serious_violations(page)
        await page.fill("#text", GOOD)
        await expect(page.locator("#lint .lint-ok")).to_be_visible()
        await page.click("#send")
        await expect(page.locator("#send-result .queued")).to_be_visible()
        await _shot(page, "reply-queued")
        await page.reload()
        await expect(page.locator("#status")).to_have_text("awaiting_reply")
        await expect(page.locator("ul.replies")).to_contain_text("pending by agent-ana")
        await _shot(page, "ticket-after-reply")
        # The outbox sender (the worker's, on the API's clock) delivers it to the loopback SMTP server.
        transport = SmtpTransport(MailSettings(smtp_host=smtp_server.host, smtp_port=smtp_server.port))
        sender = OutboxSender(
            db=db, transports={"email": transport}, cipher=CIPHER, config=SenderConfig(), clock=clock
        )
        assert await sender.tick() == 1
        (mail,) = smtp_server.messages
        assert mail.rcpt_tos == ("buyer-x@marketplace.amazon.com",)
        assert mail.message["To"] == "buyer-x@marketplace.amazon.com"
        assert mail.message.get_content().strip() == GOOD
        assert mail.message["In-Reply-To"] == "<m1@relay.example>"
        await page.reload()
        await expect(page.locator("#status")).to_have_text("replied")
        await expect(page.locator("ul.replies li strong")).to_have_text(["blocked", "sent"])
        await expect(page.locator("ul.replies")).to_contain_text("sent by agent-ana")
        await expect(page.locator("ol.timeline li").last).to_contain_text("reply_sent by agent-ana")
        await _shot(page, "ticket-after-send")
        await expect(page.locator("#lint .hint")).to_be_visible()
        await page.close()  # no lint request may race the server's shutdown

    assert scans == {"sign-in": [], "queue": [], "ticket": []}
    scripts = policy.split("script-src ")[1].split(";")[0].split()
    assert scripts == ["'self'"]
    assert offline_browser.blocked == []
    assert offline_browser.console_errors == []
    async with unit_of_work(db) as session:
        outbox = list((await session.execute(select(OutboxMessage))).scalars())
        ticket = await session.get(Ticket, s.late.id)
        kinds = list(
            (
                await session.execute(select(TicketEvent.kind).where(TicketEvent.ticket_id == s.late.id))
            ).scalars()
        )
    assert sorted(row.status for row in outbox) == ["blocked", "sent"]
    [queued] = [row for row in outbox if row.status == "sent"]
    assert (CIPHER.decrypt(queued.body_enc), queued.created_by) == (GOOD, "agent-ana")
    assert CIPHER.decrypt(queued.to_enc) == "buyer-x@marketplace.amazon.com"
    assert ticket is not None
    assert ticket.status == "replied"
    assert kinds[-3:] == ["reply_blocked", "reply_queued", "reply_sent"]


async def test_a_second_sellers_session_never_sees_the_first_sellers_tickets(
    app: FastAPI, api_settings: ApiSettings, db: Database, offline_browser: OfflineBrowser
) -> None:
    s = await seed(db)
    async with serve_asgi(served_app(app, api_settings)) as port:
        base = f"http://127.0.0.1:{port}"
        page_a = await offline_browser.context.new_page()
        await _sign_in(page_a, base, s.key_a)
        await offline_browser.context.clear_cookies()
        page_b = await offline_browser.context.new_page()
        await _sign_in(page_b, base, s.key_b)
        rows = page_b.locator("tbody#rows tr.row")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("not_as_described")
        other = await page_b.goto(f"{base}/console/tickets/{s.late.id}")
        assert other is not None
        assert other.status == 404
        await page_b.goto(f"{base}/console/queue?view=all&category=not_received")
        await expect(page_b.locator("tbody#rows tr.row")).to_have_count(0)


async def test_writes_without_the_sessions_csrf_token_are_refused(
    app: FastAPI, api_settings: ApiSettings, db: Database
) -> None:
    s = await seed(db)
    async with (
        serve_asgi(served_app(app, api_settings)) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client,
    ):
        signed = await client.post("/console/sign-in", data={"api_key": s.key_a})
        assert signed.status_code == 303
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        url = f"/console/tickets/{s.late.id}/reply"
        assert (await client.post(url, data={"text": GOOD})).status_code == 403
        forged = await client.post(url, data={"text": GOOD}, headers={"X-CSRF-Token": "0" * 64})
        assert forged.status_code == 403
        page = (await client.get(f"/console/tickets/{s.late.id}")).text
        token = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
        assert token is not None
        accepted = await client.post(url, data={"text": GOOD, "csrf": token.group(1)})
        assert accepted.status_code == 200
        client.cookies.clear()
        assert (await client.post(url, data={"text": GOOD, "csrf": token.group(1)})).status_code == 303
    async with unit_of_work(db) as session:
        outbox = list((await session.execute(select(OutboxMessage))).scalars())
    assert [row.status for row in outbox] == ["pending"]


async def test_queue_refreshes_itself_pages_by_cursor_and_moves_by_keyboard(
    app: FastAPI, api_settings: ApiSettings, db: Database, offline_browser: OfflineBrowser
) -> None:
    s = await seed(db)
    async with serve_asgi(served_app(app, api_settings)) as port:
        base = f"http://127.0.0.1:{port}"
        page = await offline_browser.context.new_page()
        await _sign_in(page, base, s.key_a)
        rows = page.locator("tbody#rows tr.row")
        await expect(rows).to_have_count(2)
        await add_ticket(db, category="defective", due_at=T0 + timedelta(minutes=30))
        # No reload: the rows poll every 5 s.
        await expect(rows).to_have_count(3, timeout=15_000)
        await expect(rows.nth(1).locator("td.sla")).to_have_text("30 m left")
        for _ in range(PAGE):
            await add_ticket(db, category="not_as_described", due_at=T0 + timedelta(days=2))
        await page.goto(f"{base}/console/queue?view=unassigned")
        await expect(rows).to_have_count(PAGE)
        await page.click("#next-page")
        await expect(rows).to_have_count(3)
        await expect(page.locator("#next-page")).to_have_count(0)
        await page.goto(f"{base}/console/queue")
        await page.keyboard.press("?")
        await expect(page.locator("#help")).to_be_visible()
        await page.keyboard.press("j")
        await page.keyboard.press("j")
        await page.keyboard.press("k")
        await expect(rows.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(re.compile(rf"/console/tickets/{s.defective.id}$"))
        await expect(page.locator("#lint .hint")).to_be_visible()  # the empty draft's first lint answered
        await page.close()  # no poll or lint request may race the server's shutdown
    assert offline_browser.console_errors == []


async def test_sla_filter_holds_across_the_live_refresh_and_the_next_page(
    app: FastAPI, api_settings: ApiSettings, db: Database, offline_browser: OfflineBrowser
) -> None:
    s = await seed(db)
    async with serve_asgi(served_app(app, api_settings)) as port:
        base = f"http://127.0.0.1:{port}"
        page = await offline_browser.context.new_page()
        await _sign_in(page, base, s.key_a)
        rows = page.locator("tbody#rows tr.row")
        await expect(rows).to_have_count(2)
        await page.select_option("select[name=sla]", "breached")
        await page.click("form.filters button[type=submit]")
        await expect(page).to_have_url(re.compile(r"[?&]sla=breached"))
        await expect(rows).to_have_count(1)
        await expect(rows.first.locator("td.sla")).to_have_text("overdue + 2 h 0 m")
        await expect(page.locator("select[name=sla]")).to_have_value("breached")
        # The poll asks for the same filter: of two new tickets only the breached one appears.
        await add_ticket(db, category="defective", due_at=T0 + timedelta(minutes=30))
        await add_ticket(db, category="damaged", due_at=T0 - timedelta(hours=1))
        await expect(rows).to_have_count(2, timeout=15_000)
        await expect(rows.locator("td.sla")).to_have_text(["overdue + 2 h 0 m", "overdue + 1 h 0 m"])
        for _ in range(PAGE):
            await add_ticket(db, category="not_as_described", due_at=T0 - timedelta(minutes=5))
        await page.reload()
        await expect(rows).to_have_count(PAGE)
        await page.click("#next-page")
        await expect(page).to_have_url(re.compile(r"[?&]sla=breached"))
        await expect(rows).to_have_count(2)
        await expect(rows.locator("td.sla")).to_have_text(["overdue + 5 m", "overdue + 5 m"])
        await expect(page.locator("select[name=sla]")).to_have_value("breached")
        await page.select_option("select[name=sla]", "due_soon")
        await page.click("form.filters button[type=submit]")
        await expect(rows.locator("td.sla")).to_have_text(["30 m left"])
        await page.select_option("select[name=sla]", "ok")
        await page.click("form.filters button[type=submit]")
        await expect(rows.locator("td.sla")).to_have_text(["4 h 12 m left"])
        await page.close()  # no poll may race the server's shutdown
    assert offline_browser.console_errors == []


async def test_a_to_z_claims_carry_a_badge_and_a_red_countdown(
    app: FastAPI, api_settings: ApiSettings, db: Database, offline_browser: OfflineBrowser
) -> None:
    s = await seed(db)
    claim = await add_ticket(
        db,
        priority="P1",
        category="not_received",
        due_at=T0 + timedelta(hours=70),  # 72 h from the claim, 2 h ago
        reasons=[
            {"rule_id": "priority.a_to_z_claim", "detail": "A-to-z Guarantee claim"},
            {"rule_id": "sla.a_to_z", "detail": "72 h from signal"},
        ],
    )
    await add_ticket(db, category="not_as_described", due_at=T0 + timedelta(hours=71))
    async with serve_asgi(served_app(app, api_settings)) as port:
        base = f"http://127.0.0.1:{port}"
        page = await offline_browser.context.new_page()
        await _sign_in(page, base, s.key_a)
        rows = page.locator("tbody#rows tr.row")
        await expect(rows).to_have_count(4)
        marked = page.locator("tbody#rows tr.row:has(.badge-a-to-z)")
        await expect(marked).to_have_count(1)
        await expect(marked.locator(".badge-a-to-z")).to_have_text("A-to-z")
        await expect(marked).to_have_attribute("data-href", f"/console/tickets/{claim.id}")
        await expect(marked.locator("td.sla")).to_have_text("2 d 22 h left")
        await expect(marked.locator("td.sla")).to_have_css("color", "rgb(179, 38, 30)")  # --red
        await expect(rows.nth(3).locator("td.sla")).to_have_text("2 d 23 h left")
        await expect(rows.nth(3).locator("td.sla")).not_to_have_css("color", "rgb(179, 38, 30)")
        await _shot(page, "queue-a-to-z")
        assert await serious_violations(page) == []
        await page.close()  # no poll may race the server's shutdown
    assert offline_browser.console_errors == []


async def test_assign_to_me_and_status_change_land_on_the_timeline(
    app: FastAPI, api_settings: ApiSettings, db: Database, offline_browser: OfflineBrowser
) -> None:
    s = await seed(db)
    async with serve_asgi(served_app(app, api_settings)) as port:
        base = f"http://127.0.0.1:{port}"
        page = await offline_browser.context.new_page()
        await _sign_in(page, base, s.key_a)
        await page.goto(f"{base}/console/queue?view=mine")
        await expect(page.locator("tbody#rows tr.row")).to_have_count(0)
        await page.goto(f"{base}/console/tickets/{s.late.id}")
        await page.keyboard.press("a")
        await expect(page.locator("#assignee")).to_have_text("agent-ana")
        await page.select_option("#priority_override", "P2")
        await page.click("form[action$='/priority'] button")
        await expect(page.locator("#priority")).to_have_text("P2 (override of P1)")
        await page.select_option("#new-status", "escalated")
        await page.click("form[action$='/status'] button")
        await expect(page.locator("#status")).to_have_text("escalated")
        await page.goto(f"{base}/console/queue?view=mine")
        await expect(page.locator("tbody#rows tr.row")).to_have_count(1)
        await page.goto(f"{base}/console/queue?view=escalated")
        await expect(page.locator("tbody#rows tr.row")).to_have_count(1)
        await page.goto(f"{base}/console/queue?view=unassigned")
        await expect(page.locator("tbody#rows tr.row")).to_have_count(1)
        await page.goto(f"{base}/console/tickets/{s.defective.id}")
        await page.click("#no-response")
        await expect(page.locator("#status")).to_have_text("no_response_needed")
        await expect(page.locator("#no-response")).to_have_count(0)
        await page.click("form.signout button")
        await expect(page).to_have_url(re.compile(r"/console/sign-in$"))
        await page.goto(f"{base}/console/queue")
        await expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    async with unit_of_work(db) as session:
        entries = list(
            (
                await session.execute(
                    select(TicketEvent.kind, TicketEvent.actor).where(TicketEvent.ticket_id == s.late.id)
                )
            ).all()
        )
    assert [tuple(e) for e in entries[-3:]] == [
        ("assignee_changed", "agent-ana"),
        ("priority_overridden", "agent-ana"),
        ("status_changed", "agent-ana"),
    ]


async def test_queue_and_ticket_fit_a_phone_width(
    app: FastAPI, api_settings: ApiSettings, db: Database, offline_browser: OfflineBrowser
) -> None:
    s = await seed(db)
    async with serve_asgi(served_app(app, api_settings)) as port:
        base = f"http://127.0.0.1:{port}"
        page = await offline_browser.context.new_page()
        await page.set_viewport_size({"width": 390, "height": 844})
        await _sign_in(page, base, s.key_a)
        widths = {"queue": await page.evaluate("document.documentElement.scrollWidth")}
        await _shot(page, "queue-phone")
        await page.goto(f"{base}/console/tickets/{s.late.id}")
        await expect(page.locator("mark.phrase")).to_have_text(PHRASE)
        widths["ticket"] = await page.evaluate("document.documentElement.scrollWidth")
        await _shot(page, "ticket-phone")
        scan = await serious_violations(page)
    assert widths == {"queue": 390, "ticket": 390}  # no sideways scrolling of the page itself
    assert scan == []


async def test_stats_page_draws_its_charts_from_the_sellers_figures(
    app: FastAPI, api_settings: ApiSettings, db: Database, offline_browser: OfflineBrowser
) -> None:
    s = await seed(db)
    await add_ticket(
        db,
        category="defective",
        status="replied",
        due_at=T0 - timedelta(days=8),
        first_response_at=T0 - timedelta(days=9),
        created_at=T0 - timedelta(days=10),
    )
    await add_ticket(db, category="not_received", created_at=T0 - timedelta(days=10))
    async with unit_of_work(db) as session:  # one review request sent, one skipped: no ticket of their own
        for order, status in (("111-0000000-0000001", "sent"), ("111-0000000-0000002", "skipped")):
            session.add(
                OutboxMessage(
                    idempotency_key=f"solicitation:SELLER-A:{order}",
                    seller_id="SELLER-A",
                    order_id=order,
                    channel="solicitation",
                    status=status,
                    last_error="cancelled: decided when scheduling" if status == "skipped" else None,
                    created_at=T0 - timedelta(days=3),
                )
            )
    async with serve_asgi(served_app(app, api_settings)) as port:
        base = f"http://127.0.0.1:{port}"
        page = await offline_browser.context.new_page()
        await _sign_in(page, base, s.key_a)
        await page.click("header nav a[href='/console/stats']")
        bars = page.locator("svg#by-category > rect")
        # Tickets created before now: the seeded defective one last week, and two weeks ago a defective one
        # stacked on a not_received one.
        await expect(bars).to_have_count(3)
        await expect(page.locator("ul.legend li")).to_have_text(["defective", "not_received"])
        await expect(page.locator("#p50")).to_have_text("24.0 h")
        await expect(page.locator("#reviews-sent")).to_have_text("1")
        await expect(page.locator("#reviews-sent").locator("..")).to_contain_text("1 eligible, 1 skipped")
        await _shot(page, "stats")
        scan = await serious_violations(page)
    assert scan == []
    assert offline_browser.console_errors == []


async def test_a_second_agent_on_the_same_ticket_is_announced(
    app: FastAPI, api_settings: ApiSettings, db: Database, offline_browser: OfflineBrowser
) -> None:
    s = await seed(db)
    colleague = await add_key(db, sellers=["SELLER-A"], scopes=SCOPES, name="agent-bo")
    browser = offline_browser.context.browser
    assert browser is not None
    other_context = await browser.new_context()  # cookies of its own
    try:
        async with serve_asgi(served_app(app, api_settings)) as port:
            base = f"http://127.0.0.1:{port}"
            ana = await offline_browser.context.new_page()
            await _sign_in(ana, base, s.key_a)
            await ana.goto(f"{base}/console/tickets/{s.late.id}")
            bo = await other_context.new_page()
            await _sign_in(bo, base, colleague)
            await bo.goto(f"{base}/console/tickets/{s.late.id}")
            await expect(bo.locator("#presence .warning")).to_contain_text("agent-ana")
            await expect(ana.locator("#presence .warning")).to_contain_text("agent-bo", timeout=15_000)
            await _shot(ana, "ticket-presence")
            await bo.goto(f"{base}/console/tickets/{s.defective.id}")
            await expect(bo.locator("#presence .warning")).to_have_count(0)
            await ana.close()
            await bo.close()
    finally:
        await other_context.close()
    assert offline_browser.console_errors == []
