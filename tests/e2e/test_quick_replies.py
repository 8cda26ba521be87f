"""Quick replies and retracted answers in the widget, in real Chromium against the real app."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from app.bot.service import Target
from app.conversations import service as conversations
from app.conversations.models import Conversation
from app.events.service import publish_ephemeral, unit_of_work
from tests.app.test_quick_replies import CHOICES, CLARIFYING_QUESTION
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def rows(page: Page, sender: str) -> Locator:
    return page.locator(f'[data-testid="parley-message"][data-sender="{sender}"]')


async def reload(page: Page) -> None:
    """Reload the host page; the panel stays open (per-tab state)."""
    await page.reload()
    await expect(page.get_by_test_id("parley-panel")).to_be_visible()


async def open_chat(page: Page, host_site: str) -> None:
    await page.goto(f"{host_site}/index.html")
    await page.get_by_test_id("parley-launcher").wait_for()
    if not await page.get_by_test_id("parley-panel").is_visible():
        await page.get_by_test_id("parley-launcher").click()
    await expect(page.get_by_test_id("parley-panel")).to_be_visible()


async def ask(page: Page, text: str) -> None:
    await page.get_by_test_id("parley-input").fill(text)
    await page.get_by_test_id("parley-input").press("Enter")


async def test_visitor_picks_a_quick_reply_with_the_keyboard_and_reload_keeps_the_transcript(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    ctx = await browser.new_context(viewport=DESKTOP)
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await open_chat(page, host_site)
    await ask(page, CLARIFYING_QUESTION)

    group = page.get_by_test_id("parley-quick-replies")
    buttons = page.get_by_test_id("parley-quick-reply")
    await expect(group).to_be_visible(timeout=30_000)
    await expect(buttons).to_have_text(CHOICES)
    # Under the bot's question, inside its row.
    bot = rows(page, "bot")
    await expect(bot.last.get_by_test_id("parley-quick-replies")).to_be_visible()
    await expect(group).to_have_attribute("role", "group")
    await shot(page, "e2e-quick-replies-desktop")

    # Reload: the buttons come back from the stored message.
    await reload(page)
    await expect(buttons).to_have_text(CHOICES, timeout=15_000)

    # Keyboard only: from the composer, Shift+Tab past the chat's actions ("Talk to a
    # human", "End chat") to the last choice, a few key presses away.
    await page.get_by_test_id("parley-input").focus()
    passed: list[str] = []
    for _ in range(4):
        await page.keyboard.press("Shift+Tab")
        label = await page.evaluate(
            "() => { const w = document.querySelector('parley-widget');"
            " const r = (w && w.shadowRoot) || document;"
            " const a = r.activeElement; return a ? (a.getAttribute('data-testid') || '') : ''; }"
        )
        if label == "parley-quick-reply":
            break
        passed.append(label)
    assert "parley-human" in passed, passed
    await expect(buttons.last).to_be_focused()
    await page.wait_for_timeout(300)  # the panel's opening transition after the reload
    await shot(page, "e2e-quick-replies-focus-desktop")
    await page.keyboard.press("Enter")

    # Sent as the visitor's message; the buttons are gone and focus stays in the chat.
    await expect(buttons).to_have_count(0)
    await expect(rows(page, "visitor").last).to_have_text(CHOICES[1])
    await expect(page.get_by_test_id("parley-input")).to_be_focused()
    answer = bot.nth(1)
    await expect(answer).to_contain_text(re.compile("price", re.I), timeout=30_000)
    await expect(answer.get_by_test_id("parley-source")).to_contain_text(CHOICES[1])
    await expect(buttons).to_have_count(0)
    await shot(page, "e2e-quick-replies-answered-desktop")

    # Reload: the same transcript, once, and no buttons under an answered question.
    await reload(page)
    await expect(rows(page, "bot")).to_have_count(2, timeout=15_000)
    await expect(rows(page, "visitor")).to_have_text([CLARIFYING_QUESTION, CHOICES[1]])
    ids = await page.get_by_test_id("parley-message").evaluate_all(
        "els => els.map((e) => e.dataset.id)"
    )
    assert len(ids) == 4 and len(set(ids)) == 4 and None not in ids, ids
    await expect(buttons).to_have_count(0)

    # A billing dispute escalates to the billing team; the agent sees the team and what
    # the bot offered.
    await ask(page, "I was charged twice for my order NW-55120")
    await expect(page.get_by_test_id("parley-status")).to_contain_text("aiting", timeout=30_000)
    await expect(buttons).to_have_count(0)
    agent_ctx = await browser.new_context(viewport={"width": 1440, "height": 900})
    console = await agent_ctx.new_page()
    console.on("pageerror", lambda e: errors.append("console: " + str(e)))
    await console.goto(f"{server.url}/console")
    await console.get_by_test_id("login-email").fill(ADMIN_EMAIL)
    await console.get_by_test_id("login-password").fill(ADMIN_PASSWORD)
    await console.get_by_test_id("login-submit").click()
    await expect(console.get_by_test_id("connection-status")).to_be_visible(timeout=15_000)
    conv_id = await rows(page, "bot").first.get_attribute("data-conv")
    await console.goto(f"{server.url}/console#/all/{conv_id}")
    await expect(console.get_by_test_id("msg-offered")).to_have_text(
        "Offered: " + " · ".join(CHOICES), timeout=15_000
    )
    await expect(console.get_by_test_id("ctx-team")).to_have_text("Billing")
    await shot(console, "e2e-console-offered-and-team")
    await agent_ctx.close()
    assert not errors, errors
    await ctx.close()


async def test_quick_replies_on_a_phone_are_thumb_sized_and_a_tap_answers(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    ctx = await browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await open_chat(page, host_site)
    await ask(page, CLARIFYING_QUESTION)
    buttons = page.get_by_test_id("parley-quick-reply")
    await expect(buttons).to_have_text(CHOICES, timeout=30_000)
    await page.get_by_test_id("parley-input").blur()  # the keyboard would be down
    await shot(page, "e2e-quick-replies-phone")
    for i in range(2):
        box = await buttons.nth(i).bounding_box()
        assert box is not None and box["height"] >= 44, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    await buttons.first.tap()
    await expect(buttons).to_have_count(0)
    await expect(rows(page, "visitor").last).to_have_text(CHOICES[0])
    answer = rows(page, "bot").nth(1)
    await expect(answer.get_by_test_id("parley-source")).to_contain_text(
        "Discounts", timeout=30_000
    )
    # A tap does not pop the on-screen keyboard: focus goes to the message log.
    await expect(page.get_by_test_id("parley-messages")).to_be_focused()
    await shot(page, "e2e-quick-replies-answered-phone")
    assert not errors, errors
    await ctx.close()


async def test_a_retracted_stream_is_replaced_in_the_same_bubble(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    ctx = await browser.new_context(viewport=DESKTOP)
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await open_chat(page, host_site)
    await ask(page, "Hello")
    await expect(rows(page, "bot")).to_have_count(1, timeout=30_000)
    token = await page.evaluate("localStorage.getItem('parley:pk_demo')")
    async with httpx.AsyncClient(base_url=server.url) as client:
        mine = await client.get(
            "/api/v1/widget/conversation",
            headers={"Authorization": f"Bearer {token}", "Origin": server.host_origin},
        )
    conv_id = mine.json()["conversation"]["id"]
    async with unit_of_work() as s:
        c = await s.get(Conversation, conv_id)
        assert c is not None
        target = Target(conv_id, c.site_id, c.session_id)

    # The agent watches the same conversation in the console.
    agent_ctx = await browser.new_context(viewport={"width": 1440, "height": 900})
    console = await agent_ctx.new_page()
    console.on("pageerror", lambda e: errors.append("console: " + str(e)))
    await console.goto(f"{server.url}/console")
    await console.get_by_test_id("login-email").fill(ADMIN_EMAIL)
    await console.get_by_test_id("login-password").fill(ADMIN_PASSWORD)
    await console.get_by_test_id("login-submit").click()
    await expect(console.get_by_test_id("connection-status")).to_be_visible(timeout=15_000)
    await console.goto(f"{server.url}/console#/all/{conv_id}")
    await expect(console.locator('[data-testid="msg"][data-sender="bot"]')).to_have_count(
        1, timeout=15_000
    )
    await expect(console.get_by_test_id("connection-status")).to_have_attribute(
        "data-state", "live", timeout=15_000
    )

    # What the worker publishes when a generated answer fails its grounding check.
    stream_id = "bot-retract-test"

    async def delta(text: str, index: int) -> None:
        data = {"conversation_id": conv_id, "stream_id": stream_id, "delta": text, "index": index}
        await publish_ephemeral(target, "bot.delta", data)

    await delta("We ship to Mars", 0)
    await delta(" in two days.", 1)
    streaming = page.locator('[data-testid="parley-message"][data-streaming="true"] .pl-bubble')
    await expect(streaming).to_contain_text("ship to Mars in two days.")
    console_streaming = console.locator('[data-testid="msg-streaming"] .msg-text')
    await expect(console_streaming).to_contain_text("ship to Mars")
    await publish_ephemeral(
        target, "bot.retract", {"conversation_id": conv_id, "stream_id": stream_id}
    )
    await delta("We ship to", 0)
    await delta(" 30 countries.", 1)
    await expect(streaming).to_have_count(1)
    await expect(streaming).to_have_text("We ship to 30 countries.")
    await expect(console_streaming).to_have_text("We ship to 30 countries.")

    # The stored message replaces the bubble, as for any streamed answer.
    async with unit_of_work() as s:
        c = await s.get(Conversation, conv_id)
        assert c is not None
        await conversations.bot_message(
            s,
            c,
            "We ship to 30 countries.",
            sources=[],
            stream_id=stream_id,
            intent="shipping",
            confidence=1.0,
            lang="en",
        )
    await expect(streaming).to_have_count(0)
    await expect(rows(page, "bot")).to_have_count(2)
    await expect(rows(page, "bot").last.locator(".pl-bubble")).to_have_text(
        "We ship to 30 countries."
    )
    await expect(page.get_by_test_id("parley-messages")).not_to_contain_text("Mars")
    await expect(console_streaming).to_have_count(0)
    await expect(console.get_by_test_id("transcript")).not_to_contain_text("Mars")
    assert not errors, errors
    await ctx.close()
    await agent_ctx.close()
