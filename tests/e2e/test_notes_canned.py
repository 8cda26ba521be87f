"""End to end in real Chromium, an agent and a visitor on the demo page: the agent writes
a private note and a reply from a canned response, keyboard only (Ctrl+Alt+N, "/ref",
arrows, Enter); the visitor gets the reply with the placeholders filled and never the
note, also after a reload. Then the canned-responses page: list, search, create with a
preview. Screenshots at desktop and phone widths."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


async def _sign_in(console: Page, server: RunningServer) -> None:
    await console.goto(f"{server.url}/console")
    await console.get_by_test_id("login-email").fill(ADMIN_EMAIL)
    await console.get_by_test_id("login-password").fill(ADMIN_PASSWORD)
    await console.get_by_test_id("login-submit").click()
    await expect(console.get_by_test_id("nav-canned")).to_be_attached(timeout=15_000)


async def _visitor_waiting(page: Page, server: RunningServer) -> int:
    """A named visitor on the demo page who asked for a person; their conversation id."""
    await page.goto(f"{server.url}/demo")
    await page.get_by_test_id("parley-launcher").click()
    await expect(page.get_by_test_id("parley-panel")).to_be_visible()
    # Typed details (no proof): they stay on the visitor's own conversation. Waited for:
    # sent together with the first message, the two requests race (the name can be lost).
    async with page.expect_response(lambda r: r.url.endswith("/api/v1/widget/identify")):
        await page.evaluate("Parley('identify', {name: 'Ada Lovelace', email: 'ada@example.com'})")
    field = page.get_by_test_id("parley-input")
    await field.fill("I'd like to talk to a human about my refund, please")
    async with page.expect_response(
        lambda r: r.url.endswith("/api/v1/widget/messages") and r.request.method == "POST"
    ) as sent:
        await field.press("Enter")
    cid = int((await (await sent.value).json())["conversation"]["id"])
    # The bot hands over ("connecting you with a member of our team").
    bot = page.locator('[data-testid="parley-message"][data-sender="bot"]')
    await expect(bot.last).to_contain_text("member of our team", timeout=60_000)
    return cid


async def test_note_and_canned_reply_keyboard_only(server: RunningServer, browser: Browser) -> None:
    errors: list[str] = []
    visitor_ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await visitor_ctx.new_page()
    page.on("pageerror", lambda e: errors.append(f"widget: {e}"))
    cid = await _visitor_waiting(page, server)

    agent_ctx = await browser.new_context(viewport=DESKTOP)
    console = await agent_ctx.new_page()
    console.on("pageerror", lambda e: errors.append(f"console: {e}"))
    await _sign_in(console, server)
    await console.goto(f"{server.url}/console#/all/{cid}")
    composer = console.get_by_test_id("reply-input")
    await expect(composer).to_be_visible(timeout=15_000)
    await expect(console.get_by_test_id("transcript")).to_contain_text("refund")

    # ---- a private note, keyboard only: "r" focuses the composer, Ctrl+Alt+N makes it a note.
    await console.evaluate("document.activeElement && document.activeElement.blur()")
    await console.keyboard.press("r")
    await expect(composer).to_be_focused()
    await console.keyboard.press("Control+Alt+N")
    note_tab = console.get_by_test_id("composer-tab-note")
    await expect(note_tab).to_have_attribute("aria-selected", "true")
    await expect(composer).to_have_attribute("placeholder", re.compile("private note", re.I))
    await expect(console.get_by_test_id("note-send")).to_have_text(re.compile("Add note"))
    secret = f"Stripe shows refund RF-{uuid.uuid4().hex[:6]} already issued; check the bank"
    await console.keyboard.type(secret)
    await shot(console, "notes-composer-note-desktop")
    await console.keyboard.press("Enter")
    note = console.get_by_test_id("private-note").last
    await expect(note).to_contain_text(secret, timeout=10_000)
    await expect(note).to_contain_text("Only agents see this")
    await expect(composer).to_have_value("")
    # Back to a reply with the same shortcut; the tabs say which mode is on.
    await console.keyboard.press("Control+Alt+N")
    await expect(console.get_by_test_id("composer-tab-reply")).to_have_attribute(
        "aria-selected", "true"
    )

    # ---- "/" opens the canned responses; Escape closes the list and keeps the text.
    await console.keyboard.type("/")
    listbox = console.get_by_role("listbox", name="Canned responses")
    await expect(listbox).to_be_visible()
    await expect(composer).to_have_attribute("aria-expanded", "true")
    await console.keyboard.press("Escape")
    await expect(listbox).to_be_hidden()
    await expect(composer).to_have_attribute("aria-expanded", "false")
    await expect(composer).to_have_value("/")

    # "/ref": filtered by shortcut and title; arrows move, Enter inserts the active one.
    await console.keyboard.type("ref")
    await expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    await expect(options.first).to_contain_text("/refund")
    await expect(options.first).to_have_attribute("aria-selected", "true")
    active_id = await composer.get_attribute("aria-activedescendant")
    assert active_id == await options.first.get_attribute("id")
    await shot(console, "canned-suggestions-desktop")
    if await options.count() > 1:
        await console.keyboard.press("ArrowDown")
        await expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        await console.keyboard.press("ArrowUp")
    await expect(options.first).to_have_attribute("aria-selected", "true")
    await console.keyboard.press("Enter")
    await expect(listbox).to_be_hidden()
    await expect(composer).to_have_value(re.compile(r"^Thanks for your patience, Ada!"))
    value = await composer.input_value()
    assert "ada@example.com" in value and "{{" not in value and "undefined" not in value
    await shot(console, "notes-composer-reply-desktop")
    await console.keyboard.press("Enter")  # the list is closed: Enter sends
    mine = console.locator('[data-testid="msg"][data-sender="agent"]').last
    await expect(mine).to_contain_text("Thanks for your patience, Ada!", timeout=10_000)

    # ---- the visitor: the reply, placeholders filled; never the note, also after reload.
    agent_msg = page.locator('[data-testid="parley-message"][data-sender="agent"]')
    await expect(agent_msg.last).to_contain_text("Thanks for your patience, Ada!", timeout=15_000)
    await expect(agent_msg.last).to_contain_text("ada@example.com")
    panel = page.get_by_test_id("parley-panel")
    assert secret not in await panel.inner_text()
    await shot(page, "notes-visitor-reply")
    await page.reload()
    if not await page.get_by_test_id("parley-panel").is_visible():
        await page.get_by_test_id("parley-launcher").click()
    await expect(agent_msg.last).to_contain_text("Thanks for your patience, Ada!", timeout=15_000)
    assert secret not in await page.get_by_test_id("parley-panel").inner_text()
    assert secret not in await page.content()

    # ---- phone width: the composer in both modes and the suggestion list.
    await console.set_viewport_size(PHONE)
    await expect(composer).to_be_visible()
    await expect(console.get_by_test_id("context-panel")).to_be_hidden()  # the drawer slid away
    await composer.focus()
    await console.keyboard.type("/")
    await expect(listbox).to_be_visible()
    await shot(console, "canned-suggestions-phone")
    await console.keyboard.press("Escape")
    await console.keyboard.press("Backspace")
    await shot(console, "notes-composer-reply-phone")
    await console.keyboard.press("Control+Alt+N")
    await console.keyboard.type("Ask @")
    mention = console.get_by_role("listbox", name="Teammates to mention")
    await expect(mention).to_be_visible()
    await console.keyboard.press("Escape")
    await shot(console, "notes-composer-note-phone")
    await console.keyboard.press("Control+A")
    await console.keyboard.press("Backspace")
    await console.keyboard.press("Control+Alt+N")

    # ---- closed: the reply box goes, a note can still be added (what happened after).
    await console.set_viewport_size(DESKTOP)
    await console.get_by_test_id("close-conversation").click()
    await expect(composer).to_be_hidden()
    await expect(console.get_by_test_id("composer-tab-note")).to_be_visible()
    await console.get_by_test_id("composer-tab-note").focus()
    await console.keyboard.press("ArrowRight")  # the tabs follow the arrow keys
    await expect(note_tab).to_have_attribute("aria-selected", "true")
    await expect(composer).to_be_visible()
    await composer.focus()
    after = f"Refund confirmed by the bank {uuid.uuid4().hex[:6]}"
    await console.keyboard.type(after)
    await console.keyboard.press("Enter")
    await expect(console.get_by_test_id("private-note").last).to_contain_text(after)
    await shot(console, "notes-closed-conversation-desktop")
    await page.reload()
    if not await page.get_by_test_id("parley-panel").is_visible():
        await page.get_by_test_id("parley-launcher").click()
    await expect(page.get_by_test_id("parley-panel")).to_contain_text("Thanks for your patience")
    assert after not in await page.content() and secret not in await page.content()

    assert not errors, errors
    await visitor_ctx.close()
    await agent_ctx.close()


async def test_the_canned_responses_page(server: RunningServer, browser: Browser) -> None:
    errors: list[str] = []
    ctx = await browser.new_context(viewport=DESKTOP)
    console = await ctx.new_page()
    console.on("pageerror", lambda e: errors.append(str(e)))
    await _sign_in(console, server)
    await console.get_by_test_id("nav-canned").click()
    items = console.get_by_test_id("cr-item")
    await expect(items.first).to_be_visible(timeout=10_000)
    await expect(console.locator('[data-testid="cr-item"][data-shortcut="refund"]')).to_be_visible()
    await shot(console, "canned-page-desktop")

    # Search narrows the list.
    await console.get_by_test_id("cr-search").fill("confirmation")
    await expect(items).to_have_count(1)
    await expect(items.first).to_contain_text("/order-number")
    await console.get_by_test_id("cr-search").fill("")

    # Create a personal one: a clear error first, then the preview fills placeholders.
    key = f"t-{uuid.uuid4().hex[:6]}"
    await console.get_by_test_id("cr-new").click()
    await console.get_by_test_id("cr-shortcut").fill("Not Valid!")
    await console.get_by_test_id("cr-title-input").fill("Warranty claim")
    await console.get_by_test_id("cr-scope").select_option("personal")
    await console.get_by_test_id("cr-body").fill(
        "Hi {{visitor.name}}, **warranty** claims take 2 days. — {{agent.first_name}}"
    )
    await expect(console.get_by_test_id("cr-preview")).to_contain_text("Hi Ada Lovelace")
    await expect(console.get_by_test_id("cr-preview").locator("strong")).to_have_text("warranty")
    await console.get_by_test_id("cr-save").click()
    await expect(console.locator("#cr-f-shortcut-err")).to_contain_text("lower-case letters")
    await expect(console.get_by_test_id("cr-shortcut")).to_be_focused()
    await console.get_by_test_id("cr-shortcut").fill(key)
    await shot(console, "canned-form-desktop")
    await console.set_viewport_size(PHONE)
    await shot(console, "canned-form-phone")
    await console.set_viewport_size(DESKTOP)
    await console.get_by_test_id("cr-save").click()
    row = console.locator(f'[data-testid="cr-item"][data-shortcut="{key}"]')
    await expect(row).to_be_visible(timeout=10_000)
    await expect(row).to_contain_text("Mine")

    # The same shortcut again in the same scope: the server's 409 sits by the field.
    await console.get_by_test_id("cr-new").click()
    await console.get_by_test_id("cr-shortcut").fill(key)
    await console.get_by_test_id("cr-title-input").fill("Twice")
    await console.get_by_test_id("cr-scope").select_option("personal")
    await console.get_by_test_id("cr-body").fill("Again")
    await console.get_by_test_id("cr-save").click()
    await expect(console.locator("#cr-f-shortcut-err")).to_contain_text("already used")
    await console.get_by_role("link", name="Cancel").click()

    # Delete it again.
    await row.locator("a").click()
    console.once("dialog", lambda d: d.accept())
    await console.get_by_test_id("cr-delete").click()
    await expect(row).to_have_count(0, timeout=10_000)

    await console.set_viewport_size(PHONE)
    await expect(items.first).to_be_visible()
    await shot(console, "canned-page-phone")
    assert not errors, errors
    await ctx.close()
