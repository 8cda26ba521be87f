"""End to end in real Chromium: a visitor on a host page on another origin, and an agent."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, expect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


async def test_visitor_bot_agent_round_trip(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    visitor_ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await visitor_ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{host_site}/index.html")
    assert urlsplit(page.url).netloc != urlsplit(server.url).netloc, (
        "host page is on another origin"
    )

    await page.get_by_test_id("parley-launcher").click()
    panel = page.get_by_test_id("parley-panel")
    await expect(panel).to_be_visible()
    await page.get_by_test_id("parley-input").fill("How long does a refund take?")
    await page.get_by_test_id("parley-send").click()

    bot = page.locator('[data-testid="parley-message"][data-sender="bot"]')
    await expect(bot.last).to_contain_text("business days", timeout=30_000)
    source = page.get_by_test_id("parley-source").first
    await expect(source).to_be_visible()
    assert (await source.get_attribute("href") or "").startswith(f"{server.url}/help/")
    await shot(page, "e2e-visitor-answer")

    # Reload: the conversation is still there.
    await page.reload()
    launcher = page.get_by_test_id("parley-launcher")
    if not await page.get_by_test_id("parley-panel").is_visible():
        await launcher.click()
    await expect(
        page.locator('[data-testid="parley-message"][data-sender="visitor"]').first
    ).to_contain_text("refund take", timeout=15_000)
    await expect(
        page.locator('[data-testid="parley-message"][data-sender="bot"]').last
    ).to_contain_text("business days")

    # Navigate to another page of the site: same conversation, trail recorded.
    await page.goto(f"{host_site}/other.html")
    if not await page.get_by_test_id("parley-panel").is_visible():
        await page.get_by_test_id("parley-launcher").click()
    await page.get_by_test_id("parley-input").fill(
        "I want to talk to a human please, order NW-77125"
    )
    # Enter sends, as visitors do (the button was seen "not stable" under load here;
    # see the session note).
    await page.get_by_test_id("parley-input").press("Enter")
    await expect(page.get_by_test_id("parley-status")).to_contain_text("aiting", timeout=30_000)
    await shot(page, "e2e-visitor-waiting")

    # The agent, in a second browser context, signs in to the console.
    agent_ctx = await browser.new_context(viewport={"width": 1440, "height": 900})
    console = await agent_ctx.new_page()
    console.on("pageerror", lambda e: errors.append("console: " + str(e)))
    await console.goto(f"{server.url}/console")
    await console.get_by_test_id("login-email").fill(ADMIN_EMAIL)
    await console.get_by_test_id("login-password").fill(ADMIN_PASSWORD)
    await console.get_by_test_id("login-submit").click()
    item = console.locator('[data-testid="conv-item"][data-status="queued"]').first
    await expect(item).to_be_visible(timeout=15_000)
    await item.click()
    ctx_panel = console.get_by_test_id("context-panel")
    await expect(console.get_by_test_id("handoff-reason")).to_contain_text(
        re.compile("human", re.I), timeout=10_000
    )
    await expect(console.get_by_test_id("intent")).to_contain_text(re.compile("human", re.I))
    await expect(ctx_panel).to_contain_text("other.html")
    await expect(ctx_panel).to_contain_text("NW-77125")
    await expect(
        console.locator('[data-testid="msg"][data-sender="visitor"]').first
    ).to_contain_text("refund take")
    await console.get_by_test_id("reply-input").fill("Hi! I'm Ada — looking at order NW-77125 now.")
    await console.get_by_test_id("reply-send").click()
    await shot(console, "e2e-console-conversation")

    # The visitor sees the reply without reloading.
    agent_msg = page.locator('[data-testid="parley-message"][data-sender="agent"]')
    await expect(agent_msg.last).to_contain_text("looking at order NW-77125", timeout=15_000)
    await shot(page, "e2e-visitor-agent-reply")
    assert not errors, errors
    await visitor_ctx.close()
    await agent_ctx.close()
