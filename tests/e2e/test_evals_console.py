"""Evals in the console, in real Chromium: a lead runs a suite, watches it, reads the
failing cases, keeps a baseline and compares; an agent never sees the section."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from app.agents.models import Role
from tests.app.articles.conftest import PASSWORD, signed_in
from tests.conftest import RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SMALL = Path(__file__).resolve().parents[1] / "evals" / "data"  # 7 questions, 2 conversations


@pytest.fixture
def small_suite(server: RunningServer) -> Iterator[str]:
    """The small test suite offered next to the bundled ones (PARLEY_EVAL_SUITE_DIRS)."""
    before = server.settings.eval_suite_dirs
    server.settings.eval_suite_dirs = str(SMALL)
    try:
        yield "small"
    finally:
        server.settings.eval_suite_dirs = before


async def sign_in(
    browser: Browser, server: RunningServer, viewport: dict[str, int], role: Role
) -> Page:
    """A console page signed in as a fresh agent of this role."""
    await signed_in(server, role)
    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(f"{server.url}/console")
    await page.get_by_test_id("login-email").fill(
        f"{role.value}-{server.settings.port}@example.com"
    )
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_be_visible()
    return page


async def start(page: Page, suite: str, *, drafts: bool, quick: bool) -> None:
    """Fill the run form and press Run (waiting for the slot if another test holds it)."""
    await page.get_by_test_id("evals-suite").select_option(suite)
    await page.get_by_test_id("evals-kb-drafts" if drafts else "evals-kb-live").check()
    await page.get_by_test_id("evals-quick").set_checked(quick)
    await expect(page.get_by_test_id("evals-run")).to_be_enabled(timeout=120_000)
    await page.get_by_test_id("evals-run").click()


async def progress_past(page: Page, done: int) -> None:
    """Wait until the progress bar shows more than ``done`` cases (or the run ended)."""
    for _ in range(600):
        value = await page.evaluate(
            "() => document.querySelector('[data-testid=evals-progress]')"
            "?.getAttribute('aria-valuenow') ?? 'gone'"
        )
        if value == "gone" or int(value) > done:
            return
        await asyncio.sleep(0.05)


async def test_a_lead_runs_a_suite_and_compares_it_with_the_baseline(
    server: RunningServer, browser: Browser, small_suite: str
) -> None:
    page = await sign_in(browser, server, DESKTOP, Role.lead)
    await page.get_by_test_id("nav-evals").click()
    await expect(page).to_have_url(f"{server.url}/console#/evals")
    form_suite = page.get_by_test_id("evals-suite")
    await expect(form_suite.locator("option[value=small]")).to_have_count(1)
    await form_suite.select_option("small")
    await expect(page.get_by_test_id("evals-suite-size")).to_have_text(
        "7 questions and 2 conversations"
    )
    await shot(page, "evals-desktop-idle")

    # Run the small suite on the live articles: progress first, then the results.
    await start(page, "small", drafts=False, quick=False)
    await expect(page.get_by_test_id("evals-progress")).to_be_visible()
    await expect(page.get_by_test_id("evals-metrics")).to_be_visible(timeout=120_000)
    await expect(page.get_by_test_id("evals-progress")).to_have_count(0)
    rate = await page.get_by_test_id("evals-pass-rate").text_content()
    assert rate and re.fullmatch(r"\d+(\.\d)?%", rate) and rate != "100%"  # markup-fails fails
    failing = page.get_by_test_id("evals-failures").locator("tr[data-case=markup-fails]")
    await expect(failing).to_be_visible()
    await expect(failing.locator(".ev-case-text")).to_have_text(
        "<b>bold</b> <img src=x onerror=alert(1)> how long does a refund take"
    )
    assert await failing.locator("b, img").count() == 0  # the visitor's markup is text
    await expect(failing.locator(".ev-why")).to_contain_text("expected smalltalk, got answer")
    first = page.get_by_test_id("evals-runs").locator(".ev-run").first
    await expect(first).to_contain_text("small")
    await expect(first).to_contain_text(rate)

    # Keep it as the baseline, then run with the drafts: the change column appears.
    await page.get_by_test_id("evals-baseline").click()
    await expect(page.get_by_test_id("evals-baseline")).to_have_attribute("aria-pressed", "true")
    await expect(first.locator(".ev-star")).to_be_visible()
    await start(page, "small", drafts=True, quick=False)
    metrics = page.get_by_test_id("evals-metrics")
    await expect(metrics.locator("thead")).to_contain_text("Baseline", timeout=120_000)
    # Drafts other tests left may move the figures: the delta is shown, whatever it is.
    await expect(metrics.locator("tr[data-metric=pass_rate] .ev-delta")).to_have_text(
        re.compile(r"^(±0|[+−][\d.]+ pt)")
    )
    await expect(page.get_by_test_id("evals-baseline-stat")).to_contain_text(rate)
    await expect(page.get_by_test_id("evals-gate")).to_be_visible()
    await shot(page, "evals-desktop-done")

    # The HTML report opens inside the page (its link carries a short-lived ticket).
    await page.locator(".ev-report-summary").click()
    report = page.frame_locator("[data-testid=evals-report]")
    await expect(report.locator("h1")).to_contain_text("Parley eval — small")

    # A longer run, to watch the bar move.
    await start(page, "demo", drafts=True, quick=False)
    await expect(page.get_by_test_id("evals-progress")).to_be_visible()
    await progress_past(page, 20)
    await shot(page, "evals-desktop-running")
    await expect(page.get_by_test_id("evals-metrics")).to_be_visible(timeout=300_000)
    assert page.errors == []  # type: ignore[attr-defined]


async def test_evals_on_a_phone(server: RunningServer, browser: Browser) -> None:
    page = await sign_in(browser, server, PHONE, Role.lead)
    await page.goto(f"{server.url}/console#/evals")
    await expect(page.get_by_test_id("evals-run")).to_be_visible()
    await shot(page, "evals-phone-idle")
    await start(page, "demo", drafts=False, quick=True)
    await expect(page.get_by_test_id("evals-progress")).to_be_visible()
    await progress_past(page, 10)
    await shot(page, "evals-phone-running")
    await expect(page.get_by_test_id("evals-metrics")).to_be_visible(timeout=300_000)
    await shot(page, "evals-phone-done")
    # One pane at a time: back to the list of runs.
    await page.locator(".ev-back").click()
    await expect(page.get_by_test_id("evals-runs")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]


async def test_an_agent_does_not_see_evals(server: RunningServer, browser: Browser) -> None:
    page = await sign_in(browser, server, DESKTOP, Role.agent)
    await expect(page.locator("[data-view=all]")).to_be_visible()
    await expect(page.get_by_test_id("nav-evals")).to_be_hidden()
    # Typing the address gets an explanation, not a broken page (and the API says 403).
    await page.goto(f"{server.url}/console#/evals")
    await expect(page.get_by_text("Evals are for support leads")).to_be_visible()
    await expect(page.get_by_test_id("evals-run")).to_be_hidden()
    assert page.errors == []  # type: ignore[attr-defined]
