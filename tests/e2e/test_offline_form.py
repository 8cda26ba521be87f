"""Out of business hours in real Chromium: a lead closes the site, a visitor asks for a human,
leaves an email and a message with the keyboard, reloads, and an agent sees the offline message."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, Page, expect

from tests.app.helpers import agent_token
from tests.app.sites.helpers import demo_site_id
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


async def console_page(browser: Browser, server: RunningServer, viewport: dict[str, int]) -> Page:
    ctx = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await ctx.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    await page.goto(f"{server.url}/console")
    await page.get_by_test_id("login-email").fill(ADMIN_EMAIL)
    await page.get_by_test_id("login-password").fill(ADMIN_PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_be_visible()
    return page


async def visitor_page(browser: Browser, host_site: str, viewport: dict[str, int]) -> Page:
    ctx = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await ctx.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    await page.goto(f"{host_site}/index.html")
    await page.get_by_test_id("parley-launcher").click()
    await expect(page.get_by_test_id("parley-panel")).to_be_visible()
    return page


async def close_the_site_in_the_console(page: Page) -> None:
    """Weekdays 09:00–17:00 UTC, with today a holiday: closed now, whatever the time."""
    await page.get_by_test_id("nav-business-hours").click()
    await expect(page.get_by_test_id("hours-status")).to_contain_text("Always open")
    await page.get_by_test_id("hours-mode-hours").check()
    await page.get_by_test_id("hours-timezone").fill("UTC")
    await page.get_by_test_id("hours-mon-open").check()
    await page.get_by_role("button", name="Copy Monday to weekdays").click()
    await expect(page.get_by_test_id("hours-fri-start")).to_have_value("09:00")
    # A closing time before the opening one is refused with the server's reason.
    await page.get_by_test_id("hours-mon-end").fill("08:00")
    await page.get_by_test_id("hours-save").click()
    await expect(page.get_by_test_id("hours-error")).to_contain_text("must start before it ends")
    await page.get_by_test_id("hours-mon-end").fill("17:00")
    await page.get_by_test_id("hours-holiday-date").fill(datetime.now(UTC).date().isoformat())
    await page.get_by_test_id("hours-holiday-add").click()
    await page.get_by_test_id("hours-save").click()
    await expect(page.get_by_test_id("hours-status")).to_contain_text("Closed now — opens")
    await expect(page.get_by_test_id("hours-error")).to_be_hidden()


async def test_offline_form_from_request_to_inbox(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    console = await console_page(browser, server, DESKTOP)
    try:
        await close_the_site_in_the_console(console)
        await console.get_by_test_id("settings").evaluate("el => el.scrollTo(0, 0)")
        await shot(console, "offline-console-business-hours")

        # --- a visitor on the desktop asks the bot for a person ---
        page = await visitor_page(browser, host_site, DESKTOP)
        status = page.get_by_test_id("parley-status")
        await expect(status).to_contain_text(re.compile(r"We’re away · back .+\d:\d\d"))
        await page.get_by_test_id("parley-input").fill("I want to talk to a human please")
        await page.get_by_test_id("parley-input").press("Enter")
        bot = page.locator('[data-testid="parley-message"][data-sender="bot"]')
        await expect(bot.last).to_contain_text("Our team is offline right now", timeout=30_000)
        form = page.get_by_test_id("parley-offline-form")
        await expect(form).to_be_visible()
        await expect(page.get_by_test_id("parley-input")).to_be_hidden()
        email = page.get_by_test_id("parley-offline-email")
        text = page.get_by_test_id("parley-offline-text")
        await expect(email).to_be_focused()  # the composer went away: focus moved to the form
        await shot(page, "offline-widget-form-desktop")

        # Sent empty: both errors are shown and announced, focus goes to the first.
        await page.keyboard.press("Enter")
        await expect(form.locator("#pl-off-email-err")).to_have_text(
            "Enter your email so we can reply."
        )
        await expect(form.locator("#pl-off-text-err")).to_have_text("Write a message for the team.")
        await expect(email).to_have_attribute("aria-invalid", "true")
        await expect(email).to_be_focused()
        await email.press_sequentially("rider@example")
        await page.keyboard.press("Enter")
        await expect(form.locator("#pl-off-email-err")).to_contain_text("name@example.com")
        await shot(page, "offline-widget-form-errors")
        await email.press_sequentially(".com")
        await page.keyboard.press("Tab")
        await expect(text).to_be_focused()
        await page.keyboard.type(
            "My frame cracked on delivery (order NW-5521). Please call me back."
        )
        await page.keyboard.press("Tab")
        await expect(page.get_by_test_id("parley-offline-submit")).to_be_focused()
        await page.keyboard.press("Enter")

        done = page.get_by_test_id("parley-offline-done")
        await expect(done).to_contain_text("Thanks — we’ll reply to rider@example.com.")
        await expect(form).to_be_hidden()
        await expect(
            page.locator('[data-testid="parley-message"][data-sender="visitor"]').last
        ).to_contain_text("frame cracked")
        await expect(page.get_by_test_id("parley-input")).to_be_visible()
        await shot(page, "offline-widget-done-desktop")

        # A reload keeps the confirmation: it comes from the stored conversation.
        await page.reload()
        if not await page.get_by_test_id("parley-panel").is_visible():
            await page.get_by_test_id("parley-launcher").click()
        await expect(page.get_by_test_id("parley-offline-done")).to_contain_text(
            "rider@example.com", timeout=15_000
        )
        await expect(page.get_by_test_id("parley-offline-form")).to_be_hidden()

        # --- on a phone, the "Talk to a human" button leads to the form too ---
        phone = await visitor_page(browser, host_site, PHONE)
        await phone.get_by_test_id("parley-human").click()
        await expect(phone.get_by_test_id("parley-offline-form")).to_be_visible(timeout=15_000)
        await phone.get_by_test_id("parley-offline-text").fill(
            "Do you fit child seats on the Orca?"
        )
        await shot(phone, "offline-widget-form-phone")
        # A reload before sending keeps the form and what was typed.
        await phone.reload()
        await expect(phone.get_by_test_id("parley-offline-form")).to_be_visible(timeout=15_000)
        await expect(phone.get_by_test_id("parley-offline-text")).to_have_value(
            "Do you fit child seats on the Orca?"
        )
        await phone.get_by_test_id("parley-offline-email").fill("parent@example.org")
        await phone.get_by_test_id("parley-offline-submit").click()
        await expect(phone.get_by_test_id("parley-offline-done")).to_contain_text(
            "parent@example.org"
        )
        await shot(phone, "offline-widget-done-phone")

        # --- the agent sees offline messages in the inbox, with the email ---
        await console.goto(f"{server.url}/console#/unassigned")
        row = console.locator('[data-testid="conv-item"]', has_text="rider@example.com").first
        await expect(row).to_be_visible(timeout=15_000)
        await expect(row.get_by_test_id("offline-badge")).to_have_text("Offline message")
        await row.click()
        note = console.get_by_test_id("offline-note")
        await expect(note).to_contain_text("Parley doesn’t email it")
        await expect(note.get_by_test_id("offline-email")).to_have_attribute(
            "href", "mailto:rider@example.com"
        )
        await expect(console.get_by_test_id("ctx-offline")).to_contain_text("rider@example.com")
        await expect(
            console.locator('[data-testid="msg"][data-sender="visitor"]').last
        ).to_contain_text("frame cracked")
        await shot(console, "offline-console-inbox")
        # The reply reaches the visitor's chat (they are still on the page here).
        await console.get_by_test_id("reply-input").fill("Sorry! A new frame ships today.")
        await console.get_by_test_id("reply-send").click()
        await expect(
            page.locator('[data-testid="parley-message"][data-sender="agent"]').last
        ).to_contain_text("new frame ships today", timeout=15_000)
        await expect(page.get_by_test_id("parley-offline-done")).to_be_hidden()

        phone_console = await console_page(browser, server, PHONE)
        await phone_console.goto(f"{server.url}/console#/unassigned")
        prow = phone_console.locator(
            '[data-testid="conv-item"]', has_text="parent@example.org"
        ).first
        await expect(prow).to_be_visible(timeout=15_000)
        await shot(phone_console, "offline-console-inbox-phone")
        await prow.click()
        await expect(phone_console.get_by_test_id("offline-note")).to_be_visible()
        await shot(phone_console, "offline-console-conversation-phone")
        await phone_console.goto(f"{server.url}/console#/settings/hours")
        await expect(phone_console.get_by_test_id("hours-status")).to_contain_text("Closed now")
        await shot(phone_console, "offline-console-business-hours-phone")

        for p in (console, page, phone, phone_console):
            assert not p.errors, p.errors  # type: ignore[attr-defined]
    finally:
        async with server.client() as client:
            auth = {"Authorization": f"Bearer {await agent_token(client)}"}
            site_id = await demo_site_id(server, client, auth)
            await client.put(
                f"/api/v1/sites/{site_id}/business-hours",
                headers=auth,
                json={"business_hours": None},
            )
