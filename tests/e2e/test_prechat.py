"""The widget's look, the pre-chat form and the lifecycle limits, set in the console and
seen by visitors and agents, in real Chromium.

A support lead gives the demo site a brand colour (the contrast check warns first), the
left corner, a bot name, an avatar and reworded strings, then builds a pre-chat form
whose "Billing" category goes to the billing team (a validation error first). A visitor
on the demo page sees the new colour and bot name, answers the form (the errors first),
talks to the bot and asks for a person; the agent sees the answers in the context panel
and the handoff summary. A signed-in (identify-verified) visitor is not asked. The lead
also changes when conversations close and reopen. Screenshots of every screen and state,
at desktop and phone sizes, go to screenshots/prechat-*.png.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from app.agents.models import Role
from tests.app.articles.conftest import PASSWORD as LEAD_PASSWORD
from tests.app.articles.conftest import signed_in
from tests.app.contacts.helpers import demo_site, signature
from tests.app.routing.helpers import close_leftovers, token
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
AVATAR = "https://cdn.northwind.test/nora.png"
TEAL = "rgb(14, 116, 144)"  # #0e7490


def avatar_png(size: int = 64) -> bytes:
    """A small round-ish avatar: an amber disc on teal (no image library needed)."""
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            d = (x - size / 2 + 0.5) ** 2 + (y - size / 2 + 0.5) ** 2
            row += bytes((251, 191, 36) if d < (size * 0.32) ** 2 else (14, 116, 144))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


PNG = avatar_png()


async def serve_avatar(route: Route) -> None:
    await route.fulfill(status=200, body=PNG, content_type="image/png")


class Stage:
    """The lead, the billing team, and the demo site put back as it was afterwards."""

    def __init__(self, server: RunningServer, client: httpx.AsyncClient) -> None:
        self.server, self.client = server, client
        self.admin: dict[str, str] = {}
        self.lead_email = f"lead-{server.settings.port}@example.com"
        self.site_id = 0
        self.team_key = f"billing{token()}"
        self.team_id = 0
        self.before: dict[str, Any] = {}
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    async def start(self) -> None:
        r = await self.client.post(
            "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        self.admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        await signed_in(self.server, Role.lead)  # creates the lead once
        await close_leftovers()
        self.site_id, _ = await demo_site(self.server, self.client)
        for part in ("theme", "lifecycle"):
            r = await self.client.get(f"/api/v1/sites/{self.site_id}/{part}", headers=self.admin)
            self.before[part] = r.json()
        r = await self.client.post(
            "/api/v1/teams", headers=self.admin, json={"key": self.team_key, "name": "Billing desk"}
        )
        assert r.status_code == 201, r.text
        self.team_id = r.json()["id"]

    async def close(self) -> None:
        for c in self.contexts:
            await c.close()
        site = f"/api/v1/sites/{self.site_id}"
        await self.client.put(
            f"{site}/theme", headers=self.admin, json=self.before["theme"]["theme"]
        )
        await self.client.put(
            f"{site}/lifecycle", headers=self.admin, json=self.before["lifecycle"]
        )
        await self.client.put(
            f"{site}/prechat", headers=self.admin, json={"enabled": False, "fields": []}
        )
        await self.client.delete(f"/api/v1/teams/{self.team_id}", headers=self.admin)
        await close_leftovers()

    async def page(self, browser: Browser, viewport: dict[str, int]) -> Page:
        ctx = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        await ctx.route("https://cdn.northwind.test/**", serve_avatar)
        self.contexts.append(ctx)
        page = await ctx.new_page()
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    async def console(
        self, browser: Browser, viewport: dict[str, int], *, lead: bool = True
    ) -> Page:
        page = await self.page(browser, viewport)
        await page.goto(f"{self.server.url}/console")
        await page.get_by_test_id("login-email").fill(self.lead_email if lead else ADMIN_EMAIL)
        await page.get_by_test_id("login-password").fill(LEAD_PASSWORD if lead else ADMIN_PASSWORD)
        await page.get_by_test_id("login-submit").click()
        await expect(page.get_by_test_id("connection-status")).to_be_visible()
        return page

    async def visitor(self, browser: Browser, viewport: dict[str, int]) -> Page:
        page = await self.page(browser, viewport)
        await page.goto(f"{self.server.url}/demo")
        await expect(page.get_by_test_id("parley-launcher")).to_be_visible(timeout=15_000)
        return page


@pytest_asyncio.fixture(loop_scope="session")
async def stage(server: RunningServer) -> AsyncIterator[Stage]:
    async with server.client() as client:
        s = Stage(server, client)
        await s.start()
        try:
            yield s
        finally:
            await s.close()


async def top(page: Page) -> None:
    """Scroll the settings page back up before a screenshot."""
    await page.get_by_test_id("settings").evaluate("el => el.scrollTo(0, 0)")


async def full_shot(page: Page, name: str) -> None:
    """The whole settings page, however long (the viewport grows to fit, then shrinks)."""
    size = page.viewport_size
    assert size is not None
    height = await page.get_by_test_id("settings").evaluate("el => el.scrollHeight")
    await page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    await shot(page, name)
    await page.set_viewport_size(size)


# --------------------------------------------------------------------------- the theme


async def theme_the_widget(page: Page) -> None:
    """Settings → Widget: the contrast check, a refused http avatar, then the new look."""
    await page.get_by_test_id("nav-settings-widget").click()
    await expect(page.get_by_role("heading", name="Widget", exact=True)).to_be_visible()
    colour = page.get_by_test_id("theme-color")
    await expect(colour).to_have_value("#1f7a4d")
    warning = page.get_by_test_id("theme-contrast")
    await expect(warning).to_be_hidden()
    # A mid grey: neither white nor dark text on it reaches 4.5:1.
    await colour.fill("#7a7a7a")
    await expect(warning).to_contain_text("contrast of 4.3:1, below the 4.5:1")
    # A pale yellow: readable text, but the launcher vanishes on a white page.
    await colour.fill("#fde68a")
    await expect(warning).to_contain_text("against white")
    await expect(warning).not_to_contain_text("4.5:1")
    await top(page)
    await shot(page, "prechat-console-theme-contrast-desktop")
    await colour.fill("#0e7490")
    await expect(warning).to_be_hidden()
    await expect(page.get_by_test_id("theme-color-picker")).to_have_value("#0e7490")

    await page.get_by_test_id("theme-position-left").check()
    await page.get_by_test_id("theme-launcher").fill("Ask Nora")
    await page.get_by_test_id("theme-bot-name").fill("Nora")
    await page.get_by_test_id("theme-greeting").fill(
        "Hi, I’m **Nora**! Ask me about orders, delivery or e-bikes."
    )
    await page.get_by_test_id("theme-string-talk_to_human").fill("Speak to a person")
    await page.get_by_test_id("theme-string-composer_placeholder").fill("Ask Nora anything…")
    await page.get_by_test_id("theme-string-prechat_title").fill("Before we chat")

    # The preview follows every change.
    preview = page.get_by_test_id("theme-preview")
    await expect(preview).to_have_attribute("data-pos", "left")
    await expect(page.get_by_test_id("theme-preview-launcher")).to_have_text("Ask Nora")
    await expect(page.get_by_test_id("theme-preview-launcher")).to_have_css(
        "background-color", TEAL
    )
    await expect(page.get_by_test_id("theme-preview-header")).to_have_css("background-color", TEAL)
    await expect(page.get_by_test_id("theme-preview-bot-name")).to_have_text("Nora")
    await expect(preview).to_contain_text("Speak to a person")
    await expect(preview).to_contain_text("Ask Nora anything…")

    # An http avatar is refused by the server, under its field, and focused.
    avatar = page.get_by_test_id("theme-avatar")
    await avatar.fill(AVATAR.replace("https:", "http:"))
    await page.get_by_test_id("theme-save").click()
    error = page.get_by_test_id("theme-avatar-error")
    await expect(error).to_contain_text("https only")
    await expect(avatar).to_have_attribute("aria-invalid", "true")
    await expect(avatar).to_be_focused()
    await expect(page.get_by_test_id("theme-error")).to_contain_text("Some fields need a change")
    await shot(page, "prechat-console-theme-error-desktop")

    await avatar.fill(AVATAR)
    await expect(page.get_by_test_id("theme-preview-header").locator("img")).to_have_js_property(
        "naturalWidth", 64
    )
    await page.get_by_test_id("theme-save").click()
    await expect(page.locator(".toast").last).to_contain_text("Widget appearance saved")
    await expect(error).to_be_empty()
    await expect(avatar).not_to_have_attribute("aria-invalid", "true")
    await top(page)
    await full_shot(page, "prechat-console-theme-desktop")


# ------------------------------------------------------------------------ the form


async def build_the_form(page: Page, team_name: str) -> None:
    """Settings → Pre-chat form: name, email, a category (Billing → a team), an optional
    order number moved above it, and a checkbox; a missing label is refused first."""
    await page.get_by_test_id("nav-settings-prechat").click()
    await expect(page.get_by_role("heading", name="Pre-chat form")).to_be_visible()
    await expect(page.get_by_test_id("prechat-preview")).to_contain_text("The form is off")
    await page.locator("label.set-switch").click()
    await expect(page.get_by_test_id("prechat-enabled")).to_be_checked()

    await page.get_by_test_id("prechat-add-name").click()
    await page.get_by_test_id("prechat-add-email").click()
    await expect(page.get_by_test_id("prechat-add-name")).to_be_disabled()  # once each
    await page.get_by_test_id("prechat-add-category").click()
    category = page.get_by_test_id("prechat-field-category")
    await expect(category.get_by_test_id("prechat-category-label").first).to_be_focused()
    await page.keyboard.type("Orders & delivery")
    await expect(category.get_by_test_id("prechat-category-key").first).to_have_value(
        "orders_delivery"
    )
    await category.get_by_test_id("prechat-category-key").first.fill("orders")
    await category.get_by_test_id("prechat-category-add").click()
    await page.keyboard.type("Billing")
    await category.get_by_test_id("prechat-category-team").last.select_option(label=team_name)

    await page.get_by_test_id("prechat-add-text").click()
    await page.keyboard.type("Order number")
    text_card = page.locator("[data-testid='prechat-fields'] > li").last
    await expect(text_card.get_by_test_id("prechat-field-key")).to_have_value("order_number")
    await expect(text_card.get_by_test_id("prechat-field-required")).not_to_be_checked()
    await text_card.get_by_test_id("prechat-field-up").click()  # above the category

    await page.get_by_test_id("prechat-add-checkbox").click()
    checkbox_card = page.locator("[data-testid='prechat-fields'] > li").last
    # Saved without a label: the server refuses it, under that question.
    await page.get_by_test_id("prechat-save").click()
    await expect(checkbox_card.get_by_test_id("prechat-field-error")).to_contain_text(
        "A label cannot be empty"
    )
    await expect(checkbox_card.get_by_test_id("prechat-field-label")).to_be_focused()
    await expect(page.get_by_test_id("prechat-error")).to_be_visible()
    await shot(page, "prechat-console-form-error-desktop")
    await checkbox_card.get_by_test_id("prechat-field-label").fill("I accept the privacy policy")
    await checkbox_card.get_by_test_id("prechat-field-key").fill("privacy")

    preview = page.get_by_test_id("prechat-preview")
    await expect(preview).to_contain_text("Order number (optional)")
    await expect(preview).to_contain_text("I accept the privacy policy")
    await page.get_by_test_id("prechat-save").click()
    await expect(page.locator(".toast").last).to_contain_text("Pre-chat form saved")
    await expect(page.get_by_test_id("prechat-error")).to_be_hidden()
    keys = await page.locator("[data-testid='prechat-fields'] > li").evaluate_all(
        "els => els.map(e => e.dataset.testid)"
    )
    assert keys == [
        "prechat-field-name",
        "prechat-field-email",
        "prechat-field-order_number",
        "prechat-field-category",
        "prechat-field-privacy",
    ]
    await top(page)
    await full_shot(page, "prechat-console-form-desktop")


# -------------------------------------------------------------------- the visitor


async def visitor_answers(page: Page, name: str) -> None:
    """On the demo page: the new look, the form (its errors first), then the chat."""
    launcher = page.get_by_test_id("parley-launcher")
    await expect(launcher.locator(".pl-launcher-label")).to_have_text("Ask Nora")
    await expect(launcher).to_have_css("background-color", TEAL)
    box = await launcher.bounding_box()
    assert box is not None and box["x"] < 100, "the launcher sits in the left corner"
    await shot(page, f"prechat-widget-launcher-{name}")
    await launcher.click()
    panel = page.get_by_test_id("parley-panel")
    await expect(panel).to_be_visible()
    await expect(panel.locator(".pl-head")).to_have_css("background-color", TEAL)
    await expect(panel.locator(".pl-avatar img")).to_have_js_property("naturalWidth", 64)
    await expect(page.get_by_test_id("parley-greeting")).to_contain_text("I’m Nora")
    await expect(page.get_by_test_id("parley-greeting").locator(".pl-author")).to_have_text("Nora")

    form = page.get_by_test_id("parley-prechat")
    await expect(form).to_be_visible()
    await expect(form).to_contain_text("Before we chat")
    await expect(page.get_by_test_id("parley-input")).to_be_hidden()
    await expect(page.get_by_test_id("parley-human")).to_be_hidden()
    await shot(page, f"prechat-widget-form-{name}")

    # Sent empty: each required question says so, and focus goes to the first.
    await page.get_by_test_id("parley-prechat-submit").click()
    who = page.get_by_test_id("parley-prechat-name")
    await expect(who).to_have_attribute("aria-invalid", "true")
    await expect(who).to_be_focused()
    await expect(form.locator("#pl-pre-name-err")).to_have_text("Please fill this in.")
    await expect(form.locator("#pl-pre-category-err")).to_have_text("Please choose one.")
    await expect(form.locator("#pl-pre-privacy-err")).to_have_text("Tick this box to continue.")
    await expect(page.get_by_test_id("parley-prechat-order_number")).not_to_have_attribute(
        "aria-invalid", "true"
    )
    await shot(page, f"prechat-widget-form-required-{name}")

    await who.press_sequentially("Dana Kim")
    await expect(who).not_to_have_attribute("aria-invalid", "true")  # cleared as they type
    email = page.get_by_test_id("parley-prechat-email")
    await email.fill("dana@example")
    await page.get_by_test_id("parley-prechat-category").select_option("billing")
    await page.get_by_test_id("parley-prechat-privacy").check()
    await page.get_by_test_id("parley-prechat-submit").click()
    await expect(form.locator("#pl-pre-email-err")).to_contain_text("name@example.com")
    await expect(email).to_be_focused()
    await shot(page, f"prechat-widget-form-email-{name}")
    await email.fill("dana.kim@example.com")
    await page.get_by_test_id("parley-prechat-order_number").fill("NW-55120")
    await page.get_by_test_id("parley-prechat-submit").click()

    # The composer is back, in the site's words.
    await expect(form).to_be_hidden()
    composer = page.get_by_test_id("parley-input")
    await expect(composer).to_be_visible()
    await expect(composer).to_have_attribute("placeholder", "Ask Nora anything…")
    await expect(page.get_by_test_id("parley-human")).to_have_text("Speak to a person")
    await composer.fill("I was charged twice for my order, can I talk to a human?")
    await composer.press("Enter")
    bot = page.locator('[data-testid="parley-message"][data-sender="bot"]')
    await expect(bot.last.locator(".pl-author")).to_have_text("Nora", timeout=30_000)
    await expect(page.get_by_test_id("parley-status")).to_contain_text("aiting", timeout=30_000)
    await shot(page, f"prechat-widget-chat-{name}")
    # A reload does not ask again.
    await page.reload()
    await expect(page.get_by_test_id("parley-launcher")).to_be_visible(timeout=15_000)
    if not await page.get_by_test_id("parley-panel").is_visible():
        await page.get_by_test_id("parley-launcher").click()
    await expect(page.get_by_test_id("parley-input")).to_be_visible()
    await expect(page.get_by_test_id("parley-prechat")).to_have_count(0)


async def agent_sees_the_answers(page: Page, team_key: str, name: str) -> None:
    item = page.locator('[data-testid="conv-item"]', has_text="Dana Kim").first
    await expect(item).to_be_visible(timeout=15_000)
    await item.click()
    if name == "phone":
        await page.locator(".conv-details-toggle").click()
    answers = page.get_by_test_id("ctx-prechat")
    await expect(answers).to_contain_text("Dana Kim")
    await expect(answers).to_contain_text("dana.kim@example.com · typed, not verified")
    await expect(answers).to_contain_text("NW-55120")
    await expect(answers).to_contain_text("Billing")
    await expect(answers).to_contain_text("I accept the privacy policy")
    await expect(page.get_by_test_id("ctx-team")).to_contain_text(re.compile("billing", re.I))
    await expect(page.get_by_test_id("handoff-summary")).to_contain_text(
        "Pre-chat form: Your name: Dana Kim", timeout=15_000
    )
    await answers.scroll_into_view_if_needed()
    await shot(page, f"prechat-console-context-{name}")
    assert team_key


async def test_lead_themes_the_widget_and_sets_a_form_visitor_answers_agent_sees_it(
    server: RunningServer, browser: Browser, stage: Stage
) -> None:
    lead = await stage.console(browser, DESKTOP)
    await theme_the_widget(lead)
    await build_the_form(lead, "Billing desk")

    # The same screens and their error states on a phone (nothing saved there).
    phone = await stage.console(browser, PHONE)
    await phone.goto(f"{server.url}/console#/settings/widget")
    await expect(phone.get_by_test_id("theme-bot-name")).to_have_value("Nora")
    await full_shot(phone, "prechat-console-theme-phone")
    await phone.get_by_test_id("theme-color").fill("#7a7a7a")
    await expect(phone.get_by_test_id("theme-contrast")).to_contain_text("4.3:1")
    await phone.get_by_test_id("theme-avatar").fill("http://cdn.northwind.test/nora.png")
    await phone.get_by_test_id("theme-save").click()
    await expect(phone.get_by_test_id("theme-avatar-error")).to_contain_text("https only")
    await expect(phone.get_by_test_id("theme-avatar")).to_be_focused()
    await shot(phone, "prechat-console-theme-error-phone")
    await phone.goto(f"{server.url}/console#/settings/prechat")
    await expect(phone.get_by_test_id("prechat-field-privacy")).to_be_visible()
    await full_shot(phone, "prechat-console-form-phone")
    await phone.get_by_test_id("prechat-add-checkbox").click()
    await phone.get_by_test_id("prechat-save").click()
    last = phone.locator("[data-testid='prechat-fields'] > li").last
    await expect(last.get_by_test_id("prechat-field-error")).to_contain_text("label cannot be")
    await shot(phone, "prechat-console-form-error-phone")

    visitor = await stage.visitor(browser, DESKTOP)
    await visitor_answers(visitor, "desktop")

    agent = await stage.console(browser, DESKTOP, lead=False)
    await agent_sees_the_answers(agent, stage.team_key, "desktop")
    agent_phone = await stage.console(browser, PHONE, lead=False)
    await agent_sees_the_answers(agent_phone, stage.team_key, "phone")

    # On a phone the form fills the panel; the same checks hold.
    on_phone = await stage.visitor(browser, PHONE)
    await on_phone.get_by_test_id("parley-launcher").click()
    await expect(on_phone.get_by_test_id("parley-prechat")).to_be_visible()
    await shot(on_phone, "prechat-widget-form-phone")
    await on_phone.get_by_test_id("parley-prechat-submit").click()
    await expect(on_phone.get_by_test_id("parley-prechat-name")).to_have_attribute(
        "aria-invalid", "true"
    )
    await shot(on_phone, "prechat-widget-form-required-phone")
    await on_phone.get_by_test_id("parley-prechat-name").fill("Sam")
    await on_phone.get_by_test_id("parley-prechat-email").fill("sam@example")
    await on_phone.get_by_test_id("parley-prechat-category").select_option("orders")
    await on_phone.get_by_test_id("parley-prechat-privacy").check()
    await on_phone.get_by_test_id("parley-prechat-submit").click()
    await expect(on_phone.get_by_test_id("parley-prechat-email")).to_be_focused()
    await shot(on_phone, "prechat-widget-form-email-phone")
    await on_phone.get_by_test_id("parley-prechat-email").fill("sam@example.com")
    await on_phone.get_by_test_id("parley-prechat-submit").click()
    await expect(on_phone.get_by_test_id("parley-input")).to_be_visible()
    await shot(on_phone, "prechat-widget-chat-phone")

    # A signed-in user the site vouches for is not asked.
    _, secret = await demo_site(server, stage.client)
    known = await stage.visitor(browser, DESKTOP)
    uid = f"user-{token()}"
    await known.evaluate(
        "([id, sig]) => Parley('identify', {id, signature: sig, name: 'Kim Verified'})",
        [uid, signature(secret, uid)],
    )
    await known.get_by_test_id("parley-launcher").click()
    await expect(known.get_by_test_id("parley-input")).to_be_visible(timeout=10_000)
    await expect(known.get_by_test_id("parley-prechat")).to_be_hidden()

    assert not stage.errors, stage.errors


async def test_lead_changes_when_conversations_close_and_reopen(
    server: RunningServer, browser: Browser, stage: Stage
) -> None:
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = await stage.console(browser, viewport)
        await page.goto(f"{server.url}/console#/settings/lifecycle")
        quiet = page.get_by_test_id("lc-inactivity_minutes")
        reopen = page.get_by_test_id("lc-reopen_hours")
        await expect(quiet).to_have_value("30")
        await expect(reopen).to_have_value("24")
        await shot(page, f"prechat-console-lifecycle-{name}")
        # Over the limit: said under the field, nothing sent.
        await quiet.fill("20000")
        await reopen.fill("1.5")
        await page.get_by_test_id("lifecycle-save").click()
        await expect(page.get_by_test_id("lc-inactivity_minutes-error")).to_have_text(
            "At most 10,080."
        )
        await expect(page.get_by_test_id("lc-reopen_hours-error")).to_have_text(
            "Enter a whole number, 0 or more."
        )
        await expect(quiet).to_be_focused()
        await shot(page, f"prechat-console-lifecycle-error-{name}")
        if name == "phone":
            continue
        await quiet.fill("90")
        await expect(page.locator("#lc-inactivity_minutes-means")).to_have_text("= 1 h 30 min")
        await reopen.fill("0")
        await expect(page.locator("#lc-reopen_hours-means")).to_contain_text("starts a new")
        await page.get_by_test_id("lifecycle-save").click()
        await expect(page.locator(".toast").last).to_contain_text("Closing and reopening saved")
        r = await stage.client.get(f"/api/v1/sites/{stage.site_id}/lifecycle", headers=stage.admin)
        assert r.json() == {"inactivity_minutes": 90, "reopen_hours": 0}
        await shot(page, f"prechat-console-lifecycle-saved-{name}")
    assert not stage.errors, stage.errors
