"""Contacts and CRM webhooks in the console, in real Chromium: search, a contact's
timeline, editing attributes, notes; a subscription, its delivery log and a replay."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
from playwright.async_api import Browser, Page, expect

from tests.app.contacts.helpers import admin_headers, demo_site, signature
from tests.app.crm.conftest import eventually
from tests.app.crm.receiver import Receiver
from tests.app.helpers import Visitor
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer
from tests.e2e.conftest import browser, shot  # noqa: F401

pytestmark = pytest.mark.e2e
DESKTOP = {"width": 1440, "height": 900}


async def _console(browser: Browser, server: RunningServer) -> Page:  # noqa: F811
    ctx = await browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = await ctx.new_page()
    page.on("dialog", lambda d: asyncio.ensure_future(d.accept()))
    await page.goto(f"{server.url}/console")
    await page.get_by_test_id("login-email").fill(ADMIN_EMAIL)
    await page.get_by_test_id("login-password").fill(ADMIN_PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_be_visible()
    return page


async def test_contacts_search_timeline_attributes_and_notes(
    server: RunningServer,
    browser: Browser,  # noqa: F811
) -> None:
    user = f"e2e-{uuid.uuid4().hex[:8]}"
    async with server.client() as client:
        _, secret = await demo_site(server, client)
        v = Visitor(server, client)
        await v.start()
        await client.post(
            "/api/v1/widget/identify",
            headers=v.headers,
            json={
                "id": user,
                "name": "<img src=x onerror=alert(1)> Ada",
                "email": f"{user}@example.com",
                "attributes": {"plan": "pro"},
                "signature": signature(secret, user),
            },
        )
        await v.say("Where is my order <b>42</b>?")
    page = await _console(browser, server)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.get_by_test_id("nav-contacts").click()
    await expect(page).to_have_url(re.compile(r"#/contacts$"))
    await page.get_by_test_id("crm-search").fill(user)
    item = page.get_by_test_id("crm-list").locator(".crm-item")
    await expect(item).to_have_count(1)
    await expect(item).to_contain_text("Verified")
    await item.click()
    title = page.get_by_test_id("crm-contact-title")
    await expect(title).to_have_text("<img src=x onerror=alert(1)> Ada")  # text, not markup
    assert await page.locator(".crm-shell img").count() == 0
    timeline = page.get_by_test_id("crm-timeline")
    await expect(timeline).to_contain_text("Where is my order <b>42</b>?")
    await expect(timeline.locator(".pill")).to_have_count(1)
    await shot(page, "e2e-contact-page")

    # Edit attributes: vip true becomes a boolean, plan stays.
    await page.get_by_text("Add attribute").click()
    rows = page.get_by_test_id("crm-attrs").locator(".crm-attr-row")
    await rows.last.locator(".crm-attr-key").fill("vip")
    await rows.last.locator(".crm-attr-val").fill("true")
    await page.get_by_test_id("crm-save").click()
    await expect(page.locator(".toast")).to_contain_text("Contact saved")
    async with server.client() as client:
        admin = await admin_headers(client)
        found = (await client.get("/api/v1/contacts", params={"q": user}, headers=admin)).json()[
            "items"
        ][0]
        assert found["attributes"] == {"plan": "pro", "vip": True}

    await page.get_by_test_id("crm-note").fill("Prefers email")
    await page.get_by_text("Add note").click()
    await expect(timeline).to_contain_text("Prefers email")
    # The conversation's context panel shows who the visitor is, with a link back.
    await timeline.locator("a", has_text="Conversation #").click()
    panel = page.get_by_test_id("ctx-contact")
    await expect(panel).to_contain_text("<img src=x onerror=alert(1)> Ada")
    await expect(panel).to_contain_text("Verified")
    assert errors == []


async def test_webhooks_page_shows_the_log_and_replays(
    server: RunningServer,
    browser: Browser,  # noqa: F811
) -> None:
    receiver = Receiver().start()
    receiver.status_for = lambda rec, seen: 500
    before = {
        k: getattr(server.settings, k)
        for k in (
            "webhook_backoff_seconds",
            "webhook_backoff_max_seconds",
            "webhook_max_attempts",
            "webhook_poll_seconds",
        )
    }
    server.settings.webhook_backoff_seconds = 0.1
    server.settings.webhook_backoff_max_seconds = 0.2
    server.settings.webhook_max_attempts = 2
    server.settings.webhook_poll_seconds = 0.1
    page = await _console(browser, server)
    try:
        await page.get_by_test_id("nav-webhooks").click()
        await expect(page).to_have_url(re.compile(r"#/webhooks$"))
        await page.get_by_test_id("crm-sub-url").fill(receiver.url)
        await page.get_by_test_id("crm-sub-add").click()
        card = page.locator(f'.crm-card:has-text("{receiver.url}")')
        await expect(card).to_be_visible()
        await card.get_by_text("Send test").click()
        await eventually(lambda: len(receiver.of()) >= 2, what="two failed attempts")
        await asyncio.sleep(0.5)
        await card.get_by_role("button", name="Refresh the log").click()
        row = card.locator('tr[data-status="dead"]')
        await expect(row).to_have_count(1)
        await expect(row).to_contain_text("500")
        await shot(page, "e2e-webhooks-page")
        receiver.status_for = lambda rec, seen: 200
        await row.get_by_test_id("crm-replay").click()
        await eventually(
            lambda: any(r.status == 200 for r in receiver.of()), what="the replayed delivery"
        )
        assert len({r.id for r in receiver.of()}) == 1, "a replay keeps the delivery id"
        await card.get_by_text("Delete").click()
        await expect(card).to_have_count(0)
    finally:
        for k, v in before.items():
            setattr(server.settings, k, v)
        receiver.stop()
