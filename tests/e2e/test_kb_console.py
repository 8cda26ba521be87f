"""The knowledge base in the console, in real Chromium: edit, preview, try, publish, history, import, gaps."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Dialog, Page, async_playwright, expect

from app.agents.models import Role
from tests.app.articles.conftest import PASSWORD, signed_in
from tests.app.gaps.test_gap_report import ask_until_handoff
from tests.conftest import RunningServer

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(os.environ.get("PARLEY_SCREENSHOTS", "screenshots"))
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

BODY = """The Orca tandem is our two-seat touring bike.

## Orca tandem price

The Orca tandem costs 2150 dollars, pedals and racks included.

## Orca tandem sizes

| Size | Captain height | Stoker height |
|---|---|---|
| M/S | 165–180 cm | 150–165 cm |
| L/M | 178–195 cm | 160–178 cm |

Read the [sizing guide](https://example.com/sizing) or [this](javascript:alert(1)). <script>alert("x")</script>
"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless."""
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            await b.close()


async def shot(page: Page, name: str) -> None:
    """Keep a screenshot for people to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"))


async def sign_in(
    browser: Browser, server: RunningServer, viewport: dict[str, int], email: str
) -> Page:
    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: asyncio.ensure_future(accept(d)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(f"{server.url}/console")
    await page.get_by_test_id("login-email").fill(email)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_be_visible()
    return page


async def accept(dialog: Dialog) -> None:
    await dialog.accept()


async def test_lead_writes_tries_publishes_and_restores_in_the_console(
    server: RunningServer, browser: Browser
) -> None:
    await signed_in(server, Role.lead)
    page = await sign_in(browser, server, DESKTOP, f"lead-{server.settings.port}@example.com")
    await page.goto(f"{server.url}/console#/kb")
    await expect(page.get_by_test_id("kb-list").locator(".kb-item").first).to_be_visible()
    await shot(page, "kb-desktop-list")

    # Search filters the list.
    await page.get_by_test_id("kb-search").fill("refund")
    await expect(
        page.get_by_test_id("kb-list").locator(".kb-item", has_text="Returns and refunds")
    ).to_be_visible()
    await expect(
        page.get_by_test_id("kb-list").locator(".kb-item", has_text="Bike sizing")
    ).to_have_count(0)
    await page.get_by_test_id("kb-search").fill("")

    # Write a new article; the preview renders Markdown safely.
    await page.get_by_test_id("kb-new").click()
    await page.get_by_test_id("kb-title").fill("Orca tandem")
    await page.get_by_test_id("kb-tags").fill("tandems, Bikes")
    await page.get_by_test_id("kb-body").fill(BODY)
    preview = page.get_by_test_id("kb-preview")
    await expect(preview.locator("h2", has_text="Orca tandem price")).to_be_visible()
    await expect(preview.locator("table td", has_text="165–180 cm")).to_be_visible()
    await expect(preview.locator("a", has_text="sizing guide")).to_have_attribute(
        "href", "https://example.com/sizing"
    )
    assert await preview.locator("script").count() == 0
    assert await preview.locator('a[href^="javascript"]').count() == 0
    await expect(preview).to_contain_text('<script>alert("x")</script>')  # shown as text
    await page.get_by_test_id("kb-save").click()
    await expect(page.locator(".kb-editor-meta [data-status='draft']")).to_be_visible()
    # (Below 1600px the list steps aside while editing; it is updated all the same.)
    await expect(
        page.get_by_test_id("kb-list").locator(".kb-item", has_text="Orca tandem")
    ).to_have_count(1)

    # Try a question against the draft: the draft's chunk is retrieved, with its score.
    await page.get_by_test_id("try-question").fill("How much does the Orca tandem cost?")
    await page.get_by_test_id("try-run").click()
    result = page.get_by_test_id("try-result")
    await expect(result.get_by_test_id("try-action")).to_contain_text("Answers")
    await expect(result.get_by_test_id("try-answer")).to_contain_text("2150 dollars")
    await expect(result.locator(".kb-chunk.is-draft").first).to_contain_text("Orca tandem price")
    assert float(await result.get_by_test_id("chunk-score").first.inner_text()) > 0.4
    await expect(result.get_by_test_id("try-intent")).not_to_be_empty()
    await shot(page, "kb-desktop-editor-try")

    # Live only: not published yet, so the bot would hand over.
    await page.get_by_test_id("try-mode-live").check()
    await page.get_by_test_id("try-run").click()
    await expect(result.locator(".kb-chunk.is-draft")).to_have_count(0)
    await expect(result.get_by_test_id("try-answer")).not_to_contain_text("2150 dollars")

    # Publish: the live bot answers from it.
    await page.get_by_test_id("kb-publish").click()
    await expect(page.locator(".kb-editor-meta [data-status='published']")).to_be_visible()
    await page.get_by_test_id("try-run").click()
    await expect(result.get_by_test_id("try-answer")).to_contain_text("2150 dollars")

    # Edit the price: published with unpublished changes; then restore version 1 from history.
    body = page.get_by_test_id("kb-body")
    await body.fill(BODY.replace("2150", "2290"))
    await expect(page.get_by_test_id("kb-unsaved")).to_be_visible()
    await page.get_by_test_id("kb-save").click()
    await expect(page.locator(".kb-editor-meta [data-status='changed']")).to_be_visible()
    await page.get_by_test_id("kb-tab-history").click()
    versions = page.get_by_test_id("kb-versions")
    await expect(versions.locator(".kb-version")).to_have_count(2)
    diff = page.get_by_test_id("kb-diff")
    await expect(diff.locator(".is-del")).to_contain_text("2150")
    await expect(diff.locator(".is-add")).to_contain_text("2290")
    await shot(page, "kb-desktop-history")
    await page.get_by_test_id("kb-version-1").click()
    await page.get_by_test_id("kb-restore").click()
    await expect(versions.locator(".kb-version")).to_have_count(3)
    await expect(body).to_have_value(BODY.rstrip() + "\n")
    await page.get_by_test_id("kb-publish").click()
    await expect(page.locator(".kb-editor-meta [data-status='published']")).to_be_visible()

    # Unpublish, then delete: gone from the list.
    await page.get_by_test_id("kb-unpublish").click()
    await expect(page.locator(".kb-editor-meta [data-status='draft']")).to_be_visible()
    await page.get_by_test_id("kb-delete").click()
    await expect(
        page.get_by_test_id("kb-list").locator(".kb-item", has_text="Orca tandem")
    ).to_have_count(0)
    assert page.errors == []  # type: ignore[attr-defined]
    await page.context.close()


async def test_import_and_gaps_on_desktop_and_phone(
    server: RunningServer, browser: Browser, tmp_path: Path
) -> None:
    await signed_in(server, Role.lead)
    async with server.client() as client:
        await ask_until_handoff(server, client, "Do you rent out kayaks?")
        await ask_until_handoff(server, client, "Is there a kayak rental?")

    page = await sign_in(browser, server, DESKTOP, f"lead-{server.settings.port}@example.com")
    await page.goto(f"{server.url}/console#/kb")
    faq = tmp_path / "kayak-faq.csv"
    faq.write_text(
        'question,answer\n"Do you rent out kayaks?","No — Northwind rents bicycles only; the marina next to our Portland showroom rents kayaks."\n'
    )
    bad = tmp_path / "logo.md"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    await page.get_by_test_id("kb-import").click()
    await page.get_by_test_id("import-files").set_input_files([str(faq), str(bad)])
    results = page.get_by_test_id("import-results")
    await expect(results.locator(".kb-result--created")).to_contain_text("Kayak FAQ")
    await expect(results.locator(".kb-result--error")).to_contain_text(
        "logo.md is a PNG image, not a text file."
    )
    await expect(page.get_by_test_id("import-progress-text")).to_contain_text("Done: 1 of 2")
    await shot(page, "kb-desktop-import")
    await page.keyboard.press("Escape")
    await expect(
        page.get_by_test_id("kb-list").locator(".kb-item", has_text="Kayak FAQ")
    ).to_be_visible()

    # The gap report groups the kayak questions; one click starts a draft.
    await page.goto(f"{server.url}/console#/kb/gaps")
    group = page.get_by_test_id("gap-group").filter(has_text="kayak").first
    await expect(group).to_be_visible()
    assert int(await group.locator(".kb-gap-count").inner_text()) >= 2
    await expect(group.locator(".kb-gap-examples")).to_contain_text("Is there a kayak rental?")
    await shot(page, "kb-desktop-gaps")
    await group.get_by_test_id("gap-start-draft").click()
    await expect(page.get_by_test_id("kb-editor")).to_be_visible()
    await expect(page.get_by_test_id("kb-body")).to_have_value(contains("Do you rent out kayaks?"))

    # The same pages on a phone.
    phone = await sign_in(browser, server, PHONE, f"lead-{server.settings.port}@example.com")
    await phone.goto(f"{server.url}/console#/kb")
    await expect(phone.get_by_test_id("kb-list").locator(".kb-item").first).to_be_visible()
    await shot(phone, "kb-phone-list")
    await phone.get_by_test_id("kb-list").locator(".kb-item", has_text="Kayak FAQ").click()
    await expect(phone.get_by_test_id("kb-editor")).to_be_visible()
    await shot(phone, "kb-phone-editor")
    await phone.get_by_test_id("kb-view-preview").check()
    await expect(
        phone.get_by_test_id("kb-preview").locator("h2", has_text="Do you rent out kayaks?")
    ).to_be_visible()
    await phone.goto(f"{server.url}/console#/kb/try")
    await phone.get_by_test_id("try-question").fill("How long does a refund take?")
    await phone.get_by_test_id("try-run").click()
    await expect(phone.get_by_test_id("try-answer")).to_contain_text("5–7 business days")
    await shot(phone, "kb-phone-try")
    await phone.goto(f"{server.url}/console#/kb/gaps")
    await expect(phone.get_by_test_id("gap-group").first).to_be_visible()
    await shot(phone, "kb-phone-gaps")
    for p in (page, phone):
        assert p.errors == []  # type: ignore[attr-defined]
        await p.context.close()


def contains(text: str) -> object:
    import re

    return re.compile(".*" + re.escape(text) + ".*", re.DOTALL)


async def test_agents_see_the_knowledge_base_read_only(
    server: RunningServer, browser: Browser
) -> None:
    await signed_in(server, Role.agent)
    page = await sign_in(browser, server, DESKTOP, f"agent-{server.settings.port}@example.com")
    await page.goto(f"{server.url}/console#/kb")
    await expect(page.get_by_test_id("kb-list").locator(".kb-item").first).to_be_visible()
    await expect(page.get_by_test_id("kb-new")).to_be_hidden()
    await expect(page.get_by_test_id("kb-import")).to_be_hidden()
    await page.get_by_test_id("kb-list").locator(".kb-item").first.click()
    await expect(page.get_by_test_id("kb-editor")).to_be_visible()
    await expect(page.get_by_test_id("kb-publish")).to_have_count(0)
    await expect(page.get_by_test_id("kb-body")).to_have_attribute("readonly", "")
    await expect(page.locator(".kb-readonly")).to_contain_text("support leads and admins edit it")
    await page.context.close()
