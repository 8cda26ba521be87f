"""Hand back in real Chromium: an agent who has the conversation gives it back to the bot
from the console (after confirming), and the visitor's next question gets a bot answer."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Dialog, Page, ViewportSize, expect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


async def new_page(browser: Browser, viewport: ViewportSize, errors: list[str]) -> Page:
    ctx = await browser.new_context(viewport=viewport)
    page = await ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


async def sign_in(page: Page, server: RunningServer) -> None:
    await page.goto(f"{server.url}/console")
    await page.get_by_test_id("login-email").fill(ADMIN_EMAIL)
    await page.get_by_test_id("login-password").fill(ADMIN_PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_be_visible()


async def visitor_asks_for_a_human(page: Page, host_site: str) -> int:
    """A visitor on the host page who pressed "Talk to a human"; their conversation id."""
    await page.goto(f"{host_site}/index.html")
    await page.get_by_test_id("parley-launcher").click()
    async with page.expect_response(
        lambda r: r.url.endswith("/api/v1/widget/handoff") and r.request.method == "POST"
    ) as asked:
        await page.get_by_test_id("parley-human").click()
    cid = int((await (await asked.value).json())["conversation"]["id"])
    await expect(page.get_by_test_id("parley-status")).to_contain_text("aiting")
    return cid


async def test_agent_hands_back_and_the_bot_answers_the_visitor(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    errors: list[str] = []
    visitor = await new_page(browser, DESKTOP, errors)
    cid = await visitor_asks_for_a_human(visitor, host_site)

    console = await new_page(browser, DESKTOP, errors)
    await sign_in(console, server)
    await console.goto(f"{server.url}/console#/all/{cid}")
    handback = console.get_by_test_id("handback-conversation")
    # Queued: the people have it, so it can go back to the bot already.
    await expect(handback).to_be_visible()
    await console.get_by_test_id("reply-input").fill("Hi, Ada here. Looking at it now.")
    await console.get_by_test_id("reply-send").click()
    await expect(visitor.get_by_test_id("parley-status")).to_contain_text("joined", timeout=15_000)
    await expect(console.locator(".conv-sub .pill")).to_have_attribute("data-status", "assigned")
    await expect(handback).to_be_visible()
    await expect(handback).to_have_accessible_name("Hand back to bot")
    await shot(console, "handback-button-desktop")

    # Cancelling the confirmation changes nothing.
    asked: list[str] = []

    async def dismiss(d: Dialog) -> None:
        asked.append(d.message)
        await d.dismiss()

    console.once("dialog", dismiss)
    await handback.click()
    await expect(handback).to_be_enabled()
    assert asked and "back to the bot" in asked[0]
    await expect(console.locator(".conv-sub .pill")).to_have_attribute("data-status", "assigned")
    await expect(visitor.get_by_test_id("parley-status")).to_contain_text("joined")

    # Confirming hands it back: the button goes, the visitor's widget talks to the bot.
    async def accept(d: Dialog) -> None:
        await d.accept()

    console.once("dialog", accept)
    await handback.click()
    await expect(console.locator(".conv-sub .pill")).to_have_attribute(
        "data-status", "bot", timeout=10_000
    )
    await expect(handback).to_be_hidden()
    system = console.locator('[data-testid="msg"][data-sender="system"]')
    await expect(system.last).to_contain_text("handed the conversation back to the bot")
    await expect(visitor.get_by_test_id("parley-status")).to_have_attribute(
        "data-status", "bot", timeout=15_000
    )
    await expect(visitor.get_by_test_id("parley-human")).to_be_visible()

    await visitor.get_by_test_id("parley-input").fill("do gift cards expire?")
    await visitor.get_by_test_id("parley-input").press("Enter")
    bot = visitor.locator('[data-testid="parley-message"][data-sender="bot"]:not([data-streaming])')
    await expect(bot.last).to_contain_text("expire", timeout=60_000)
    # The console shows the bot's answer too, and still no hand-back button.
    await expect(console.locator('[data-testid="msg"][data-sender="bot"]').last).to_contain_text(
        "expire", timeout=15_000
    )
    await expect(handback).to_be_hidden()
    assert not errors, errors
    await visitor.context.close()
    await console.context.close()


async def test_handback_button_on_a_phone(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    errors: list[str] = []
    visitor = await new_page(browser, DESKTOP, errors)
    cid = await visitor_asks_for_a_human(visitor, host_site)
    console = await new_page(browser, PHONE, errors)
    await sign_in(console, server)
    await console.goto(f"{server.url}/console#/all/{cid}")
    handback = console.get_by_test_id("handback-conversation")
    await expect(handback).to_be_visible()
    await expect(handback).to_have_accessible_name("Hand back to bot")
    # The whole button fits on the screen, next to the other actions.
    box = await handback.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    await shot(console, "handback-button-phone")
    assert not errors, errors
    await visitor.context.close()
    await console.context.close()
