"""Closing in real Chromium: the visitor ends the chat, rates it 4 with a comment by keyboard,
downloads the transcript; the agent sees the rating; the reports page charts a known history."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.app.reports.history import seed_history
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
XSS = "<img src=x onerror=\"document.title='pwned'\">"


async def new_page(browser: Browser, viewport: dict[str, int], **kw: object) -> Page:
    ctx = await browser.new_context(viewport=viewport, **kw)  # type: ignore[arg-type]
    page = await ctx.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    return page


async def sign_in(page: Page, server: RunningServer) -> None:
    await page.goto(f"{server.url}/console")
    await page.get_by_test_id("login-email").fill(ADMIN_EMAIL)
    await page.get_by_test_id("login-password").fill(ADMIN_PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_be_visible()


async def chat_and_end(page: Page, host_site: str, question: str) -> None:
    await page.goto(f"{host_site}/index.html")
    await page.get_by_test_id("parley-launcher").click()
    await page.get_by_test_id("parley-input").fill(question)
    await page.get_by_test_id("parley-input").press("Enter")
    bot = page.locator('[data-testid="parley-message"][data-sender="bot"]:not([data-streaming])')
    await expect(bot.last).to_contain_text("gift", timeout=30_000)
    # End chat, with a confirm step that can be cancelled.
    await page.get_by_test_id("parley-end").click()
    await expect(page.get_by_test_id("parley-end-confirm")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.get_by_test_id("parley-end-ask")).to_be_hidden()
    await expect(page.get_by_test_id("parley-end")).to_be_focused()
    await expect(page.get_by_test_id("parley-panel")).to_be_visible()  # Escape stayed in the step
    await page.get_by_test_id("parley-end").click()
    await page.get_by_test_id("parley-end-confirm").click()
    await expect(page.get_by_test_id("parley-status")).to_contain_text("Conversation closed")
    await expect(page.get_by_test_id("parley-closing")).to_be_visible()
    await expect(page.get_by_test_id("parley-end")).to_be_hidden()


async def test_visitor_ends_rates_and_downloads_and_the_agent_sees_it(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    page = await new_page(browser, DESKTOP, accept_downloads=True)
    await chat_and_end(page, host_site, "do gift cards expire?")
    await shot(page, "closing-widget-csat-desktop")

    # Only the stars at first; the comment comes once one is chosen.
    await expect(page.get_by_test_id("parley-csat-comment")).to_be_hidden()
    await expect(page.get_by_test_id("parley-human")).to_be_hidden()
    # Rate 4 with the keyboard: arrows move through the stars.
    await page.get_by_test_id("parley-csat-1").focus()
    for _ in range(3):
        await page.keyboard.press("ArrowRight")
    await expect(page.get_by_test_id("parley-csat-4")).to_be_checked()
    await page.keyboard.press("Tab")
    await expect(page.get_by_test_id("parley-csat-comment")).to_be_focused()
    await page.keyboard.type("Quick answer " + XSS)
    await page.keyboard.press("Tab")
    await expect(page.get_by_test_id("parley-csat-submit")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("parley-csat-thanks")).to_contain_text("4 out of 5")
    await expect(page.get_by_test_id("parley-csat-submit")).to_be_hidden()
    await shot(page, "closing-widget-thanks-desktop")

    # The transcript: a file, the conversation in it, the payload as text.
    async with page.expect_download() as info:
        await page.get_by_test_id("parley-transcript").click()
    download = await info.value
    path = await download.path()
    assert path is not None
    html = Path(path).read_text(encoding="utf-8")
    assert download.suggested_filename.endswith(".html")
    assert "do gift cards expire?" in html and "Conversation closed by the visitor." in html
    assert "Rating" in html and "4/5" in html and "&lt;img" in html and "<script" not in html

    # A reload shows the same state: closed, rated, nothing asked again.
    await page.reload()
    await page.get_by_test_id("parley-launcher").click()
    await expect(page.get_by_test_id("parley-csat-thanks")).to_contain_text("4 out of 5")
    assert await page.title() != "pwned"
    assert page.errors == []  # type: ignore[attr-defined]
    conv_id = await page.evaluate(
        """async () => {
            const key = Object.keys(localStorage).find((k) => /^parley:[^:]+$/.test(k));
            const r = await fetch(document.querySelector('script[src*="loader.js"]').src
                .replace('/widget/loader.js', '/api/v1/widget/conversation'),
                {headers: {Authorization: 'Bearer ' + localStorage.getItem(key)}});
            return (await r.json()).conversation.id;
        }"""
    )

    # On a phone: the full-screen panel with the rating request.
    phone = await new_page(browser, PHONE, is_mobile=True, has_touch=True)
    await chat_and_end(phone, host_site, "do gift cards expire?")
    await phone.locator("label[for='pl-cl-r5']").tap()
    await expect(phone.get_by_test_id("parley-csat-5")).to_be_checked()
    await phone.wait_for_timeout(300)  # the stars' colour transition
    await shot(phone, "closing-widget-csat-phone")

    # The agent sees the rating and the comment, as text.
    agent = await new_page(browser, DESKTOP, accept_downloads=True)
    await sign_in(agent, server)
    await agent.goto(f"{server.url}/console#/closed/{conv_id}")
    csat = agent.get_by_test_id("conv-csat")
    await expect(csat).to_be_visible()
    await expect(agent.get_by_test_id("conv-csat-rating")).to_contain_text("4/5")
    await expect(agent.get_by_test_id("conv-csat-comment")).to_have_text("Quick answer " + XSS)
    await shot(agent, "closing-console-csat")
    # The agent's transcript download: a menu (HTML or JSON) opened from the header.
    await agent.get_by_test_id("transcript-download").click()
    await expect(agent.get_by_test_id("transcript-html")).to_be_focused()
    await agent.keyboard.press("ArrowDown")
    await expect(agent.get_by_test_id("transcript-json")).to_be_focused()
    async with agent.expect_download() as info:
        await agent.keyboard.press("Enter")
    exported = json.loads(Path(await (await info.value).path()).read_text(encoding="utf-8"))
    assert exported["format"] == "parley.transcript/1" and exported["audience"] == "agent"
    assert exported["conversation"]["csat"]["rating"] == 4
    assert exported["conversation"]["csat"]["comment"] == "Quick answer " + XSS
    assert agent.errors == []  # type: ignore[attr-defined]


async def test_reports_page_charts_the_seeded_history(
    server: RunningServer, browser: Browser
) -> None:
    await seed_history(date(2025, 4, 7))
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = await new_page(browser, viewport)
        await sign_in(page, server)
        if name == "phone":
            await page.goto(f"{server.url}/console#/reports")
        else:
            await page.get_by_test_id("nav-reports").click()
        await expect(page.get_by_test_id("reports-days-30")).to_have_attribute(
            "aria-pressed", "true"
        )
        await page.get_by_test_id("reports-custom").click()
        await page.get_by_test_id("reports-start").fill("2025-04-07")
        await page.get_by_test_id("reports-end").fill("2025-04-13")
        await page.get_by_test_id("reports-apply").click()
        await expect(page.get_by_test_id("reports-period")).to_contain_text("7 days")
        await expect(page.get_by_test_id("kpi-conversations")).to_contain_text("10")
        await expect(page.get_by_test_id("kpi-ai")).to_contain_text("40%")
        await expect(page.get_by_test_id("kpi-handoff")).to_contain_text("60%")
        await expect(page.get_by_test_id("kpi-frt")).to_contain_text("4m 10s")  # 250 s
        await expect(page.get_by_test_id("kpi-wait")).to_contain_text("3m 30s")  # 210 s
        await expect(page.get_by_test_id("kpi-handle")).to_contain_text("17m 30s")  # 1050 s
        await expect(page.get_by_test_id("kpi-csat")).to_contain_text("3.83 / 5")
        # Charts drawn (canvas), described for screen readers, with tables of the same numbers.
        series = page.get_by_test_id("chart-series")
        await expect(series.locator("canvas")).to_have_count(1)
        await expect(series.get_by_role("img")).to_have_attribute(
            "aria-label", re.compile(r"10 in total, 4 resolved by AI, 6 handed off")
        )
        await expect(page.get_by_test_id("chart-csat").locator("canvas")).to_have_count(1)
        rows = page.get_by_test_id("reports-series-table").locator("tbody tr")
        await expect(rows).to_have_count(7)
        await expect(rows.first).to_contain_text("2025-04-07")
        reasons = page.get_by_test_id("reports-reasons")
        await expect(reasons).to_contain_text("Human request")
        await expect(page.get_by_test_id("reports-agents")).to_contain_text("Bea Agent")
        await expect(page.get_by_test_id("reports-teams")).to_contain_text("Billing")
        await page.get_by_test_id("reports-team").select_option("billing")
        await expect(page.get_by_test_id("kpi-conversations")).to_contain_text("3")
        await page.get_by_test_id("reports-team").select_option("")
        await expect(page.get_by_test_id("kpi-conversations")).to_contain_text("10")
        await page.get_by_test_id("reports").evaluate("el => el.scrollTo(0, 0)")
        await shot(page, f"reports-{name}")
        assert page.errors == []  # type: ignore[attr-defined]
