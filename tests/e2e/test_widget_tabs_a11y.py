"""Tabs in step, read receipts both ways, keyboard-only use and phones, in real Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from app.conversations.models import Conversation
from app.db import utcnow
from app.events.service import unit_of_work
from tests.app.test_quick_replies import CHOICES, CLARIFYING_QUESTION
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
TITLE = "Acme host page"
AXE = Path(__file__).resolve().parents[2] / "widget" / "node_modules" / "axe-core" / "axe.min.js"
# Makes a page look hidden to the widget (another tab in front), without a real tab switch.
HIDE_PAGE = """() => {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
  document.dispatchEvent(new Event('visibilitychange'));
}"""
FOCUSED = """() => { const w = document.querySelector('parley-widget');
  const a = w && w.shadowRoot ? w.shadowRoot.activeElement : null;
  return a ? (a.getAttribute('data-testid') || a.tagName.toLowerCase()) : ''; }"""


def rows(page: Page, sender: str) -> Locator:
    return page.locator(f'[data-testid="parley-message"][data-sender="{sender}"]')


async def receipt(page: Page, state: str, timeout: float = 15_000) -> None:
    """The visitor's latest message shows the read receipt `state` ("sent", "read"), in words."""
    last = rows(page, "visitor").last
    await expect(last).to_have_attribute("data-receipt", state, timeout=timeout)
    words = await last.evaluate("el => getComputedStyle(el, '::after').content")
    assert state.capitalize() in words, words
    # Only the latest message carries it.
    await expect(page.locator("[data-receipt]")).to_have_count(1)


async def watch(page: Page, errors: list[str], name: str) -> None:
    page.on("pageerror", lambda e: errors.append(f"{name}: {e}"))


async def sign_in(browser: Browser, server: RunningServer) -> tuple[BrowserContext, Page]:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    console = await ctx.new_page()
    await console.goto(f"{server.url}/console")
    await console.get_by_test_id("login-email").fill(ADMIN_EMAIL)
    await console.get_by_test_id("login-password").fill(ADMIN_PASSWORD)
    await console.get_by_test_id("login-submit").click()
    await expect(console.get_by_test_id("connection-status")).to_be_visible(timeout=15_000)
    return ctx, console


async def serious_axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings in the widget (axe is a devDependency of
    the widget, read from node_modules: no network)."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci` in widget/")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = await page.evaluate(
        """async () => {
          const r = await axe.run({ include: [['parley-widget']] }, { resultTypes: ['violations'] });
          return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' ' + n.failureSummary) }));
        }"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


async def title_stays(page: Page, title: str) -> None:
    """The title is `title` and stays so (no blink left running)."""
    await expect(page).to_have_title(title, timeout=10_000)
    for _ in range(4):
        await page.wait_for_timeout(400)
        assert await page.title() == title


async def test_tabs_stay_in_step_and_read_receipts_go_both_ways(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    errors: list[str] = []
    ctx = await browser.new_context(viewport=DESKTOP)
    a, b = await ctx.new_page(), await ctx.new_page()
    for name, p in (("tab A", a), ("tab B", b)):
        await watch(p, errors, name)
        await p.goto(f"{host_site}/index.html")
        await p.get_by_test_id("parley-launcher").wait_for()

    # Opening the panel in tab A opens it in tab B.
    await a.get_by_test_id("parley-launcher").click()
    await expect(a.get_by_test_id("parley-input")).to_be_focused()
    await expect(b.get_by_test_id("parley-panel")).to_be_visible()
    # "Talk to a human" in A starts the conversation; B follows it (no bot turn to race).
    await a.get_by_test_id("parley-human").click()
    for p in (a, b):  # queued, or straight to an agent who is online
        await expect(p.get_by_test_id("parley-status")).to_have_attribute(
            "data-status", re.compile("^(queued|assigned)$"), timeout=15_000
        )

    # Sent in A: shown once in both tabs (B has it from its own stream), "Sent" under it.
    text = "Is my order NW-55120 on its way?"
    await a.get_by_test_id("parley-input").fill(text)
    await a.get_by_test_id("parley-input").press("Enter")
    for p in (a, b):
        await expect(rows(p, "visitor")).to_have_text([text], timeout=15_000)
        await receipt(p, "sent")
    await b.wait_for_timeout(500)  # a late duplicate would show up by now
    await expect(rows(b, "visitor")).to_have_count(1)

    # Closing in A closes B.
    await a.get_by_test_id("parley-close").click()
    await expect(a.get_by_test_id("parley-launcher")).to_be_focused()
    await expect(b.get_by_test_id("parley-panel")).to_be_hidden()

    # The agent opens the conversation: the visitor's message is "Read" in both tabs.
    agent_ctx, console = await sign_in(browser, server)
    await watch(console, errors, "console")
    conv_id = await rows(a, "visitor").first.get_attribute("data-conv")
    await console.goto(f"{server.url}/console#/all/{conv_id}")
    await expect(console.locator('[data-testid="msg"][data-sender="visitor"]')).to_contain_text(
        text, timeout=15_000
    )
    for p in (a, b):
        await receipt(p, "read")

    # The agent's reply is unread in both tabs: badge, announcement, blinking title.
    reply = "It left our warehouse this morning."
    await console.get_by_test_id("reply-input").fill(reply)
    await console.get_by_test_id("reply-input").press("Enter")
    for p in (a, b):
        await expect(p.get_by_test_id("parley-unread")).to_have_text("1", timeout=15_000)
        await expect(p.get_by_test_id("parley-unread")).to_be_visible()
        await expect(p.get_by_test_id("parley-unread-live")).to_have_text("1 unread message")
        await expect(p.get_by_test_id("parley-launcher")).to_have_attribute(
            "aria-label", "Open chat, 1 unread message"
        )
        await expect(p).to_have_title(re.compile(r"^\(1\) New message"), timeout=5_000)
    await expect(console.get_by_test_id("msg-seen")).to_have_count(0)
    await expect(a.get_by_test_id("parley-preview")).to_contain_text(reply)
    await shot(a, "e2e-tabs-unread-badge-desktop")
    # Escape dismisses the preview from the keyboard and puts focus on the launcher.
    await b.get_by_test_id("parley-preview").get_by_role("button").first.focus()
    await b.keyboard.press("Escape")
    await expect(b.get_by_test_id("parley-preview")).to_be_hidden()
    await expect(b.get_by_test_id("parley-launcher")).to_be_focused()
    await expect(b.get_by_test_id("parley-unread")).to_have_text("1")  # still unread

    # Tab A is in the background (hidden); the visitor reads in tab B. A follows B's panel
    # open, but its count clears because B read it, not A: the badge, the title, all of it.
    await a.evaluate(HIDE_PAGE)
    await b.get_by_test_id("parley-launcher").click()
    await expect(b.get_by_test_id("parley-input")).to_be_focused()
    await expect(a.get_by_test_id("parley-panel")).to_be_visible()
    await a.wait_for_function("() => window.Parley('unreadCount') === 0", timeout=10_000)
    await title_stays(a, TITLE)
    await title_stays(b, TITLE)
    await expect(a.get_by_test_id("parley-preview")).to_be_hidden()
    # The agent sees that the visitor has read the reply.
    seen = console.get_by_test_id("msg-seen")
    await expect(seen).to_have_text("Seen", timeout=15_000)
    agent_rows = console.locator('[data-testid="msg"][data-sender="agent"]')
    await expect(agent_rows.last.get_by_test_id("msg-seen")).to_be_visible()
    await shot(b, "e2e-tabs-read-desktop")
    await shot(console, "e2e-console-seen")
    await b.get_by_test_id("parley-close").click()
    await expect(a.get_by_test_id("parley-panel")).to_be_hidden()
    await expect(a.get_by_test_id("parley-unread")).to_be_hidden()
    await expect(b.get_by_test_id("parley-unread")).to_be_hidden()

    # End chat in A; later (past the reopen window) A writes again: a new conversation,
    # which B follows: the message shows once and B's chat is no longer the closed one.
    await a.get_by_test_id("parley-launcher").click()
    await a.get_by_test_id("parley-end").click()
    await a.get_by_test_id("parley-end-confirm").click()
    await expect(b.get_by_test_id("parley-closing")).to_be_visible(timeout=15_000)
    # The rating card (stars, comment, transcript) passes axe too.
    await expect(a.get_by_test_id("parley-closing")).to_be_visible()
    assert await serious_axe_violations(a) == []
    await shot(a, "e2e-tabs-closed-rating-desktop")
    async with unit_of_work() as s:
        c = await s.get(Conversation, int(conv_id or 0))
        assert c is not None and c.closed_at is not None
        c.closed_at = utcnow() - timedelta(days=3)
        s.add(c)
    again = "One more thing about gift cards"
    await a.get_by_test_id("parley-input").fill(again)
    await a.get_by_test_id("parley-input").press("Enter")
    for p in (a, b):
        await expect(rows(p, "visitor")).to_have_text([text, again], timeout=15_000)
        await expect(p.get_by_test_id("parley-closing")).to_be_hidden(timeout=15_000)
        await expect(p.get_by_test_id("parley-status")).not_to_contain_text("closed")
    new_conv = await rows(b, "visitor").last.get_attribute("data-conv")
    assert new_conv and int(new_conv) > int(conv_id or 0)

    # Shutdown (the site's sign-out) in A ends the widget in B too.
    await a.evaluate("() => window.Parley('shutdown')")
    await expect(b.locator("parley-widget")).to_have_count(0, timeout=10_000)
    await expect(a.locator("parley-widget")).to_have_count(0)
    assert await b.evaluate("() => localStorage.getItem('parley:pk_demo')") is None
    await agent_ctx.close()
    await ctx.close()
    assert not errors, errors


async def test_keyboard_only_session_and_no_serious_axe_violations(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    errors: list[str] = []
    ctx = await browser.new_context(viewport=DESKTOP)
    page = await ctx.new_page()
    await watch(page, errors, "page")
    await page.goto(f"{host_site}/index.html")
    launcher = page.get_by_test_id("parley-launcher")
    await launcher.wait_for()

    # Tab from the top of the host page to the launcher; Enter opens the chat.
    for _ in range(8):
        await page.keyboard.press("Tab")
        if await page.evaluate(FOCUSED) == "parley-launcher":
            break
    await expect(launcher).to_be_focused()
    ring = await launcher.evaluate("el => getComputedStyle(el).boxShadow")
    assert ring and ring != "none", ring
    await page.keyboard.press("Enter")
    panel = page.get_by_test_id("parley-panel")
    await expect(panel).to_be_visible()
    await expect(panel).to_have_attribute("role", "dialog")
    await expect(panel).to_have_attribute("aria-modal", "false")  # beside the page, not over it
    await expect(page.get_by_test_id("parley-input")).to_be_focused()
    await expect(launcher).to_have_attribute("aria-expanded", "true")

    # Type and send with the keyboard.
    await page.keyboard.type(CLARIFYING_QUESTION)
    await page.keyboard.press("Enter")
    await expect(rows(page, "visitor")).to_have_text([CLARIFYING_QUESTION])
    buttons = page.get_by_test_id("parley-quick-reply")
    await expect(buttons).to_have_text(CHOICES, timeout=30_000)
    # The streamed answer was hidden from screen readers until it was complete.
    await expect(page.locator('[data-streaming="true"]')).to_have_count(0)
    final = rows(page, "bot").last
    assert await final.get_attribute("aria-hidden") is None

    # Tab (backwards, from the composer past "End chat" and "Talk to a human") to a choice.
    walked: list[str] = []
    for _ in range(6):
        await page.keyboard.press("Shift+Tab")
        label = await page.evaluate(FOCUSED)
        walked.append(label)
        if label == "parley-quick-reply":
            break
    assert walked[-1] == "parley-quick-reply", walked
    await expect(buttons.last).to_be_focused()
    ring = await buttons.last.evaluate("el => getComputedStyle(el).boxShadow")
    assert ring and ring != "none", ring
    await page.wait_for_timeout(250)
    await shot(page, "e2e-a11y-quick-reply-focus-desktop")
    await page.keyboard.press("Enter")
    await expect(rows(page, "visitor")).to_have_text([CLARIFYING_QUESTION, CHOICES[-1]])
    await expect(page.get_by_test_id("parley-input")).to_be_focused()
    await expect(rows(page, "bot")).to_have_count(2, timeout=30_000)
    await receipt(page, "sent")

    # axe-core finds nothing serious in the open panel.
    assert await serious_axe_violations(page) == []

    # Escape closes the panel and focus returns to the launcher.
    await page.keyboard.press("Escape")
    await expect(panel).to_be_hidden()
    await expect(launcher).to_be_focused()
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await ctx.close()
    assert not errors, errors


async def test_phone_panel_fills_the_screen_and_the_page_does_not_scroll_behind(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    errors: list[str] = []
    ctx = await browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, reduced_motion="reduce"
    )
    page = await ctx.new_page()
    await watch(page, errors, "phone")
    await page.goto(f"{host_site}/index.html")
    launcher = page.get_by_test_id("parley-launcher")
    await launcher.tap()
    panel = page.get_by_test_id("parley-panel")
    await expect(panel).to_be_visible()
    box = await panel.bounding_box()
    assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}, box
    # No animation with reduced motion; no page scroll behind the panel.
    assert await panel.evaluate("el => getComputedStyle(el).transitionDuration") in (
        "0s",
        "0s, 0s, 0s",
    )
    overflow = "() => [document.documentElement.style.overflow, document.body.style.overflow]"
    assert await page.evaluate(overflow) == ["hidden", "hidden"]
    # Touch: focus goes into the dialog (the message list), not the keyboard-popping input.
    await expect(page.get_by_test_id("parley-messages")).to_be_focused()

    await page.get_by_test_id("parley-human").tap()
    await expect(page.get_by_test_id("parley-status")).to_have_attribute(
        "data-status", re.compile("^(queued|assigned)$"), timeout=15_000
    )
    await page.get_by_test_id("parley-input").fill("Can I change my delivery address?")
    await page.get_by_test_id("parley-input").press("Enter")
    await receipt(page, "sent")
    # Full screen, the panel is modal: Tab and Shift+Tab go round inside it.
    await expect(panel).to_have_attribute("aria-modal", "true")
    await page.get_by_test_id("parley-send").focus()
    await page.keyboard.press("Tab")
    await expect(page.get_by_test_id("parley-close")).to_be_focused()
    await page.keyboard.press("Shift+Tab")
    await expect(page.get_by_test_id("parley-send")).to_be_focused()
    await page.get_by_test_id("parley-send").blur()
    await shot(page, "e2e-a11y-open-phone")

    await page.get_by_test_id("parley-close").tap()
    await expect(panel).to_be_hidden()
    assert await page.evaluate(overflow) == ["", ""]
    await shot(page, "e2e-a11y-closed-phone")
    await ctx.close()
    assert not errors, errors
