"""Proactive triggers in real Chromium: each kind, each guardrail, stats, the console page.

Time is Playwright's clock (installed before the page loads), so "30 seconds on the
page" takes no real time. Host pages are served under /trg/ on the host origin (routed
by the browser context); every trigger here is limited to its own /trg/ page and is
deleted afterwards, so no other test ever sees a bubble.
"""

from __future__ import annotations

import asyncio
import http.server
import re
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from app.agents.models import Role
from tests.app.articles.conftest import PASSWORD, signed_in
from tests.app.helpers import Visitor, agent_token
from tests.app.sites.helpers import demo_site_id
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'

Make = Callable[..., Awaitable[dict[str, Any]]]


def host_html(server: RunningServer, path: str) -> str:
    """A tall customer page with a form, a link-free SPA button and the embed snippet."""
    early = "Parley('track', 'early_bird');" if path.endswith("early.html") else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trigger page {path}</title>
<style>body{{font:16px system-ui;margin:0;padding:24px 32px;color:#222;background:#fafaf7}}
section{{height:900px;border-bottom:1px dashed #ccc}} form{{display:grid;gap:8px;max-width:320px}}
input{{font:inherit;padding:8px}}</style></head>
<body><h1>Acme outdoor gear</h1>
<form id="signup" onsubmit="event.preventDefault()"><label for="email">Email for our newsletter</label>
<input id="email" name="email" type="email"><button id="join">Join</button></form>
<input id="search" type="search" aria-label="Search the shop" placeholder="Search">
<section>Tents, stoves and sleeping bags.</section><section>Rain jackets.</section>
<section>Boots.</section>
<script>window.Parley=window.Parley||function(){{(Parley.q=Parley.q||[]).push(arguments)}};{early}</script>
<script async src="{server.url}/widget/loader.js" data-site-key="pk_demo"></script>
</body></html>"""


@pytest.fixture(scope="module")
def trg_host(server: RunningServer) -> Iterator[str]:
    """Serve any /trg/<name> page from the origin the demo site allows (a real server:
    Chromium lets only a page on a local address load the widget from a local address)."""

    class Pages(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            path = urlsplit(self.path).path
            if not path.startswith("/trg/"):
                self.send_error(404)
                return
            body = host_html(server, path[len("/trg/") :]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    port = urlsplit(server.host_origin).port
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port or 0), Pages)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.host_origin
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest_asyncio.fixture(loop_scope="session")
async def admin(server: RunningServer) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    async with server.client() as client:
        yield client, {"Authorization": f"Bearer {await agent_token(client)}"}


@pytest_asyncio.fixture(loop_scope="session")
async def make_trigger(
    server: RunningServer, admin: tuple[httpx.AsyncClient, dict[str, str]]
) -> AsyncIterator[Make]:
    """Create triggers on the demo site for one test; all are deleted afterwards."""
    client, auth = admin
    site_id = await demo_site_id(server, client, auth)
    made: list[int] = []

    async def make(page: str, **body: Any) -> dict[str, Any]:
        body = {
            "name": f"e2e {uuid.uuid4().hex[:6]}",
            "pages": [{"match": "glob", "value": f"/trg/{page}"}],
            "message": "Need a hand?",
            **body,
        }
        r = await client.post("/api/v1/triggers", headers=auth, json={"site_id": site_id, **body})
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
        return dict(r.json())

    try:
        yield make
    finally:
        for tid in made:
            await client.delete(f"/api/v1/triggers/{tid}", headers=auth)


async def stats(admin: tuple[httpx.AsyncClient, dict[str, str]], tid: int) -> dict[str, Any]:
    client, auth = admin
    r = await client.get(f"/api/v1/triggers/{tid}", headers=auth)
    return dict(r.json()["stats"])


async def wait_stats(
    admin: tuple[httpx.AsyncClient, dict[str, str]], tid: int, **want: int
) -> dict[str, Any]:
    """Stats are sent in the background: poll until they say what we expect."""
    got: dict[str, Any] = {}
    for _ in range(50):
        got = await stats(admin, tid)
        if all(got[k] == v for k, v in want.items()):
            return got
        await asyncio.sleep(0.1)
    raise AssertionError(f"stats {got} never became {want}")


async def visitor(
    server: RunningServer, browser: Browser, viewport: ViewportSize = DESKTOP
) -> tuple[BrowserContext, Page, list[str]]:
    """A fresh visitor (own storage) with a controlled clock."""
    phone = viewport["width"] < 500
    ctx = await browser.new_context(viewport=viewport, has_touch=phone, is_mobile=phone)
    await ctx.clock.install()
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return ctx, page, errors


async def open_page(page: Page, server: RunningServer, name: str) -> None:
    await page.goto(f"{server.host_origin}/trg/{name}")
    await page.get_by_test_id("parley-launcher").wait_for()


async def track(page: Page, name: str) -> None:
    await page.evaluate("(n) => window.Parley('track', n, {plan: 'pro'})", name)


async def tick(page: Page, ms: int) -> None:
    """Jump the page's clock forward (due timers run once), then let the page settle."""
    await page.clock.fast_forward(ms)
    await page.wait_for_timeout(150)


def bubble(page: Page) -> Locator:
    return page.get_by_test_id("parley-proactive")


# ------------------------------------------------------------------------ the kinds


async def test_time_on_page_shows_at_the_right_time_as_text_and_opens_the_chat(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any, trg_host: str
) -> None:
    message = f"{XSS} Comparing tents? I can help you choose."
    t = await make_trigger("time.html", kind="time_on_page", seconds=30, message=message)
    ctx, page, errors = await visitor(server, browser)
    await open_page(page, server, "time.html")

    await tick(page, 25_000)
    await expect(bubble(page)).to_have_count(0)
    assert (await stats(admin, t["id"]))["shows"] == 0
    await tick(page, 6_000)
    await expect(bubble(page)).to_be_visible()
    await expect(bubble(page)).to_have_attribute("data-trigger-id", str(t["id"]))
    # Shown as text: the markup is visible characters, nothing ran, no element was made.
    await expect(page.get_by_test_id("parley-proactive-open")).to_contain_text(message)
    assert await page.evaluate("window.__xss") is None
    assert await bubble(page).locator("img, script").count() == 0
    # Announced politely, focus left where it was, a labelled dismiss button.
    region = page.get_by_test_id("parley-proactive-region")
    await expect(region).to_have_attribute("role", "status")
    await expect(region).to_have_attribute("aria-live", "polite")
    assert await page.evaluate("document.activeElement === document.body")
    await expect(page.get_by_role("button", name="Dismiss message")).to_be_visible()
    await wait_stats(admin, t["id"], shows=1, opens=0, dismissals=0)
    await shot(page, "e2e-trigger-bubble-desktop")

    # Opening it opens the panel with the message as the bot's greeting (as text).
    await page.get_by_test_id("parley-proactive-open").click()
    await expect(page.get_by_test_id("parley-panel")).to_be_visible()
    await expect(bubble(page)).to_have_count(0)
    await expect(page.get_by_test_id("parley-greeting")).to_contain_text(message)
    assert await page.get_by_test_id("parley-greeting").locator("img, script").count() == 0
    await wait_stats(admin, t["id"], shows=1, opens=1, dismissals=0)
    await page.wait_for_timeout(400)  # the panel's opening transition (real time, not the clock)
    await shot(page, "e2e-trigger-opened-desktop")
    # The greeting stays for the rest of the visit (reload keeps the panel open).
    await page.reload()
    await expect(page.get_by_test_id("parley-greeting")).to_contain_text("Comparing tents?")
    assert await page.evaluate("window.__xss") is None
    assert not errors
    await ctx.close()


async def test_the_bubble_on_a_phone(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any, trg_host: str
) -> None:
    t = await make_trigger(
        "phone.html",
        kind="time_on_page",
        seconds=10,
        message="Free returns for 60 days — questions about sizing? Ask us here.",
    )
    ctx, page, errors = await visitor(server, browser, PHONE)
    await open_page(page, server, "phone.html")
    await tick(page, 11_000)
    await expect(bubble(page)).to_be_visible()
    box = await bubble(page).bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    await shot(page, "e2e-trigger-bubble-phone")
    await page.get_by_test_id("parley-proactive-open").click()
    await expect(page.get_by_test_id("parley-greeting")).to_contain_text("Free returns")
    await wait_stats(admin, t["id"], shows=1, opens=1)
    await page.wait_for_timeout(400)
    await shot(page, "e2e-trigger-opened-phone")
    assert not errors
    await ctx.close()


async def test_scroll_depth(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any, trg_host: str
) -> None:
    t = await make_trigger("scroll.html", kind="scroll_depth", percent=50)
    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "scroll.html")
    await tick(page, 2_000)
    await page.evaluate(
        "window.scrollTo(0, (document.documentElement.scrollHeight - innerHeight) * 0.3)"
    )
    await tick(page, 1_100)
    await expect(bubble(page)).to_have_count(0)
    await page.mouse.wheel(0, 600)
    await page.evaluate(
        "window.scrollTo(0, (document.documentElement.scrollHeight - innerHeight) * 0.6)"
    )
    await tick(page, 1_100)
    await expect(bubble(page)).to_be_visible()
    await wait_stats(admin, t["id"], shows=1)
    await ctx.close()


async def test_exit_intent_when_the_pointer_leaves_through_the_top(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any, trg_host: str
) -> None:
    t = await make_trigger("exit.html", kind="exit_intent", message="Before you go…")
    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "exit.html")
    await page.mouse.move(600, 400)
    await page.mouse.move(600, 300, steps=3)
    # Leaving through the bottom or a side is not exit intent.
    await page.mouse.move(600, 820, steps=5)
    await tick(page, 1_100)
    await expect(bubble(page)).to_have_count(0)
    await page.mouse.move(600, 200)
    await page.mouse.move(600, -20, steps=5)
    await expect(bubble(page)).to_be_visible()
    await expect(bubble(page)).to_contain_text("Before you go…")
    await wait_stats(admin, t["id"], shows=1)
    await ctx.close()


async def test_custom_event_from_the_js_api_also_when_queued_before_load(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any, trg_host: str
) -> None:
    t = await make_trigger("track.html", kind="custom_event", event="viewed_pricing")
    early = await make_trigger("track-early.html", kind="custom_event", event="early_bird")
    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "track.html")
    await track(page, "viewed_docs")
    await tick(page, 1_100)
    await expect(bubble(page)).to_have_count(0)
    await track(page, "viewed_pricing")
    await expect(bubble(page)).to_be_visible()
    await wait_stats(admin, t["id"], shows=1)
    await ctx.close()

    # Parley('track') called by the page before the widget arrived (the queue).
    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "track-early.html")
    await expect(bubble(page)).to_be_visible()
    await expect(bubble(page)).to_have_attribute("data-trigger-id", str(early["id"]))
    await ctx.close()


async def test_repeat_visit(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any, trg_host: str
) -> None:
    t = await make_trigger("visit.html", kind="nth_visit", visit=2, message="Welcome back!")
    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "visit.html")
    await tick(page, 10_000)
    await expect(bubble(page)).to_have_count(0)  # the first visit
    await page.close()
    await ctx.clock.fast_forward(45 * 60_000)  # away long enough: the next page is visit 2
    page = await ctx.new_page()
    await open_page(page, server, "visit.html")
    await tick(page, 1_000)
    await expect(bubble(page)).to_have_count(0)  # a moment into the page first
    await tick(page, 3_000)
    await expect(bubble(page)).to_contain_text("Welcome back!")
    await wait_stats(admin, t["id"], shows=1)
    await ctx.close()


async def test_idle_and_form_abandonment(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any, trg_host: str
) -> None:
    idle = await make_trigger("idle.html", kind="idle", seconds=20)
    form = await make_trigger("form.html", kind="form_abandonment", seconds=15)
    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "idle.html")
    await tick(page, 15_000)
    await page.mouse.move(300, 300)  # activity resets the idle clock
    await tick(page, 15_000)
    await expect(bubble(page)).to_have_count(0)
    await tick(page, 6_000)
    await expect(bubble(page)).to_have_attribute("data-trigger-id", str(idle["id"]))
    await ctx.close()

    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "form.html")
    await tick(page, 30_000)
    await expect(bubble(page)).to_have_count(0)  # no form touched: nothing to abandon
    # Typing in the search box (not a form field) is not a form either.
    await page.locator("#search").fill("tent")
    await tick(page, 20_000)
    await expect(bubble(page)).to_have_count(0)
    await page.locator("#email").press_sequentially("ada@")
    await tick(page, 10_000)
    await expect(bubble(page)).to_have_count(0)
    await tick(page, 6_000)
    await expect(bubble(page)).to_have_attribute("data-trigger-id", str(form["id"]))
    await wait_stats(admin, form["id"], shows=1)
    await ctx.close()


# ----------------------------------------------------------------------- guardrails


async def test_a_dismissal_silences_triggers_for_the_rest_of_the_visit(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any, trg_host: str
) -> None:
    loose = {"cooldown_minutes": 0, "session_max": 5, "cap_count": 10}
    timed = await make_trigger("dismiss*.html", kind="time_on_page", seconds=5, **loose)
    event = await make_trigger("dismiss*.html", kind="custom_event", event="ask", **loose)
    ctx, page, errors = await visitor(server, browser)
    await open_page(page, server, "dismiss-1.html")
    await tick(page, 6_000)
    await expect(bubble(page)).to_be_visible()
    # Dismissed from the keyboard: focus returns to the launcher, not lost.
    await page.get_by_test_id("parley-proactive-dismiss").focus()
    await page.keyboard.press("Enter")
    await expect(bubble(page)).to_have_count(0)
    await expect(page.get_by_test_id("parley-launcher")).to_be_focused()
    await wait_stats(admin, timed["id"], shows=1, dismissals=1, opens=0)

    # Same visit, another page: nothing, whatever fires.
    await open_page(page, server, "dismiss-2.html")
    await tick(page, 10_000)
    await track(page, "ask")
    await tick(page, 1_100)
    await expect(bubble(page)).to_have_count(0)
    assert (await stats(admin, event["id"]))["shows"] == 0
    await page.close()

    # Back after 40 minutes away: a new visit, so triggers may speak again.
    await ctx.clock.fast_forward(40 * 60_000)
    page = await ctx.new_page()
    await open_page(page, server, "dismiss-1.html")
    await tick(page, 6_000)
    await expect(bubble(page)).to_be_visible()
    await wait_stats(admin, timed["id"], shows=2)
    assert not errors
    await ctx.close()


async def test_never_while_the_visitor_types(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any, trg_host: str
) -> None:
    t = await make_trigger("typing.html", kind="time_on_page", seconds=5)
    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "typing.html")
    await tick(page, 4_000)
    await page.locator("#search").press("a")
    await tick(page, 1_500)  # 5.5 s on the page, typed 1.5 s ago
    await page.locator("#search").press("b")
    await tick(page, 2_000)
    await expect(bubble(page)).to_have_count(0)
    assert (await stats(admin, t["id"]))["shows"] == 0
    await tick(page, 3_500)  # quiet for a moment: now it may speak
    await expect(bubble(page)).to_be_visible()
    await ctx.close()

    # Typing in the widget's own composer counts too.
    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "typing.html")
    await page.get_by_test_id("parley-launcher").click()
    await page.get_by_test_id("parley-input").press_sequentially("hel")
    await tick(page, 6_000)
    await page.get_by_test_id("parley-input").press("l")
    await page.keyboard.press("Escape")  # closes the panel; the draft stays
    await expect(page.get_by_test_id("parley-panel")).to_be_hidden()
    await tick(page, 1_100)
    await expect(bubble(page)).to_have_count(0)
    await tick(page, 3_000)
    await expect(bubble(page)).to_be_visible()
    await ctx.close()


async def test_never_while_the_panel_is_open_and_one_at_a_time(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any, trg_host: str
) -> None:
    loose = {"cooldown_minutes": 0, "session_max": 5, "cap_count": 10}
    timed = await make_trigger("panel.html", kind="time_on_page", seconds=5, **loose)
    second = await make_trigger("panel.html", kind="custom_event", event="second", **loose)
    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "panel.html")
    await page.get_by_test_id("parley-launcher").click()
    await expect(page.get_by_test_id("parley-panel")).to_be_visible()
    await tick(page, 10_000)
    await track(page, "second")
    await tick(page, 1_100)
    await expect(bubble(page)).to_have_count(0)
    assert (await stats(admin, timed["id"]))["shows"] == 0
    assert (await stats(admin, second["id"]))["shows"] == 0
    await page.get_by_test_id("parley-close").click()
    await page.wait_for_timeout(300)
    await ctx.close()

    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "panel.html")
    await tick(page, 6_000)
    await expect(bubble(page)).to_have_attribute("data-trigger-id", str(timed["id"]))
    await track(page, "second")
    await tick(page, 2_000)
    await expect(bubble(page)).to_have_count(1)
    await expect(bubble(page)).to_have_attribute("data-trigger-id", str(timed["id"]))
    # Opening the panel from the launcher while a bubble shows counts as an open of it.
    await page.get_by_test_id("parley-launcher").click()
    await expect(bubble(page)).to_have_count(0)
    await wait_stats(admin, timed["id"], shows=1, opens=1)
    assert (await stats(admin, second["id"]))["shows"] == 0
    await ctx.close()


async def test_frequency_cap_and_cool_down(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any, trg_host: str
) -> None:
    capped = await make_trigger(
        "cap.html", kind="custom_event", event="cap", cap_count=1, cap_days=1, cooldown_minutes=0
    )
    cooled = await make_trigger(
        "cap.html", kind="custom_event", event="cool", cap_count=5, cooldown_minutes=10
    )
    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "cap.html")
    await track(page, "cap")
    await expect(bubble(page)).to_have_attribute("data-trigger-id", str(capped["id"]))
    await page.get_by_test_id("parley-proactive-open").click()  # an open, not a dismissal
    await page.get_by_test_id("parley-close").click()

    await open_page(page, server, "cap.html")
    await track(page, "cap")
    await tick(page, 1_100)
    await expect(bubble(page)).to_have_count(0)  # once a day at most
    await track(page, "cool")
    await tick(page, 1_100)
    await expect(bubble(page)).to_have_count(0)  # 10 minutes after any proactive message
    await tick(page, 5 * 60_000)
    await open_page(page, server, "cap.html")  # the same event fires again on a new page
    await tick(page, 6 * 60_000)
    await track(page, "cool")
    await expect(bubble(page)).to_have_attribute("data-trigger-id", str(cooled["id"]))
    await page.get_by_test_id("parley-proactive-open").click()
    await page.get_by_test_id("parley-close").click()
    await page.close()

    # A day later the cap allows one more.
    await ctx.clock.fast_forward(25 * 3600_000)
    page = await ctx.new_page()
    await open_page(page, server, "cap.html")
    await track(page, "cap")
    await expect(bubble(page)).to_have_attribute("data-trigger-id", str(capped["id"]))
    await wait_stats(admin, capped["id"], shows=2, opens=1)
    await wait_stats(admin, cooled["id"], shows=1, opens=1)
    await ctx.close()


async def test_off_on_pages_not_listed_and_single_page_app_routes(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any, trg_host: str
) -> None:
    t = await make_trigger("listed.html", kind="time_on_page", seconds=5)
    ctx, page, _ = await visitor(server, browser)
    await open_page(page, server, "unlisted.html")
    await tick(page, 10_000)
    await expect(bubble(page)).to_have_count(0)

    # A route change to the listed page (history API): timers start over there.
    await page.evaluate("history.pushState({}, '', '/trg/listed.html?ref=nav')")
    await tick(page, 3_000)
    await expect(bubble(page)).to_have_count(0)
    await tick(page, 3_000)
    await expect(bubble(page)).to_be_visible()
    # Leaving for a page not listed takes the bubble away (not a dismissal).
    await page.evaluate("history.pushState({}, '', '/trg/unlisted.html')")
    await expect(bubble(page)).to_have_count(0)
    await wait_stats(admin, t["id"], shows=1, dismissals=0)
    await ctx.close()


# -------------------------------------------------------------------------- console


async def console_page(
    browser: Browser, server: RunningServer, viewport: ViewportSize, email: str, password: str
) -> Page:
    """A signed-in console tab (confirm dialogs are accepted)."""
    ctx = await browser.new_context(viewport=viewport)
    page = await ctx.new_page()
    page.on("dialog", lambda d: asyncio.ensure_future(d.accept()))
    await page.goto(f"{server.url}/console")
    await page.get_by_test_id("login-email").fill(email)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_be_visible()
    return page


async def test_console_lists_stats_toggles_creates_and_edits_triggers(
    server: RunningServer, browser: Browser, make_trigger: Make, admin: Any
) -> None:
    client, auth = admin
    name = "<b>Pricing</b> help"
    t = await make_trigger("console.html", name=name, kind="time_on_page", seconds=30)
    # Two visitors saw it; one opened it, the other dismissed it.
    for kinds in (["show", "open"], ["show", "dismiss"]):
        v = Visitor(server, client)
        await v.start()
        for kind in kinds:
            r = await client.post(
                "/api/v1/widget/trigger-stats",
                headers=v.headers,
                json={"trigger_id": t["id"], "kind": kind},
            )
            assert r.status_code == 204

    page = await console_page(browser, server, DESKTOP, ADMIN_EMAIL, ADMIN_PASSWORD)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.get_by_test_id("nav-triggers").click()
    await expect(page).to_have_url(re.compile(r"#/triggers$"))
    row = page.locator(f'[data-testid="trg-row"][data-id="{t["id"]}"]')
    await expect(row).to_be_visible()
    await expect(row.locator(".trg-name")).to_have_text(name)  # as text, not markup
    assert await row.locator("b").count() == 0
    await expect(row.get_by_test_id("trg-shows")).to_have_text("2")
    await expect(row.get_by_test_id("trg-opens")).to_have_text("1")
    await expect(row.get_by_test_id("trg-dismissals")).to_have_text("1")
    await expect(row.get_by_test_id("trg-rate")).to_have_text("50%")
    await expect(row).to_contain_text("30 s on the page")
    await expect(page.get_by_test_id("nav-triggers")).to_have_attribute("aria-current", "page")
    await shot(page, "e2e-triggers-console-desktop")

    # Off and on again from the list.
    toggle = row.get_by_test_id("trg-toggle")
    await expect(toggle).to_have_attribute("aria-checked", "true")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-checked", "false")
    r = await client.get(f"/api/v1/triggers/{t['id']}", headers=auth)
    assert r.json()["enabled"] is False
    site = (await Visitor(server, client).start())["site"]
    assert t["id"] not in [x["id"] for x in site["triggers"]]
    await row.get_by_test_id("trg-toggle").click()
    await expect(row.get_by_test_id("trg-toggle")).to_have_attribute("aria-checked", "true")

    # Create: field errors first, then a valid trigger.
    await page.get_by_test_id("trg-new").click()
    form = page.get_by_test_id("trg-form")
    await expect(form).to_be_visible()
    await page.get_by_test_id("trg-name").fill("Scrolled the docs")
    await page.get_by_test_id("trg-kind").select_option("scroll_depth")
    await page.get_by_test_id("trg-setting").fill("150")
    await page.get_by_test_id("trg-save").click()
    await expect(form.locator('[data-field="trg-f-percent"]')).to_have_text(
        "A whole number from 1 to 100."
    )
    await expect(form.locator('[data-field="trg-f-message"]')).to_have_text(
        "Write the message visitors will see."
    )
    await expect(page.get_by_test_id("trg-setting")).to_be_focused()
    await page.get_by_test_id("trg-setting").fill("60")
    await page.get_by_test_id("trg-message").fill("Stuck in the docs? Ask me anything.")
    await page.get_by_test_id("trg-pages").locator("select").select_option("glob")
    await page.get_by_test_id("trg-pages").locator("input").fill("/trg/console-docs/*")
    await form.locator("#trg-f-cooldown_minutes").fill("0")
    await shot(page, "e2e-triggers-console-form-desktop")
    await page.get_by_test_id("trg-save").click()
    await expect(page).to_have_url(re.compile(r"#/triggers$"))
    created = page.locator('[data-testid="trg-row"]', has_text="Scrolled the docs")
    await expect(created).to_contain_text("Scrolled 60%")
    new_id = int(await created.get_attribute("data-id") or 0)
    r = await client.get(f"/api/v1/triggers/{new_id}", headers=auth)
    got = r.json()
    assert (got["kind"], got["percent"], got["cooldown_minutes"]) == ("scroll_depth", 60, 0)
    assert got["pages"] == [{"match": "glob", "value": "/trg/console-docs/*"}]

    # Edit it, then delete it.
    await created.locator(".trg-name").click()
    await expect(page.get_by_test_id("trg-message")).to_have_value(
        "Stuck in the docs? Ask me anything."
    )
    await expect(page.get_by_test_id("trg-stats")).to_contain_text("Shows0")
    await page.get_by_test_id("trg-message").fill("Need a hand with the docs?")
    await page.get_by_test_id("trg-save").click()
    await expect(created).to_be_visible()
    r = await client.get(f"/api/v1/triggers/{new_id}", headers=auth)
    assert r.json()["message"] == "Need a hand with the docs?"
    await created.locator(".trg-name").click()
    await page.get_by_test_id("trg-delete").click()
    await expect(page).to_have_url(re.compile(r"#/triggers$"))
    await expect(created).to_have_count(0)
    assert (await client.get(f"/api/v1/triggers/{new_id}", headers=auth)).status_code == 404
    assert not errors
    await page.context.close()

    # A phone: the same page, one column.
    phone = await console_page(browser, server, PHONE, ADMIN_EMAIL, ADMIN_PASSWORD)
    await phone.goto(f"{server.url}/console#/triggers")
    await expect(phone.locator(f'[data-testid="trg-row"][data-id="{t["id"]}"]')).to_be_visible()
    await shot(phone, "e2e-triggers-console-phone")
    await phone.locator(f'[data-testid="trg-row"][data-id="{t["id"]}"] .trg-name').click()
    await expect(phone.get_by_test_id("trg-form")).to_be_visible()
    await shot(phone, "e2e-triggers-console-form-phone")
    await phone.context.close()


async def test_plain_agents_have_no_triggers_page(server: RunningServer, browser: Browser) -> None:
    await signed_in(server, Role.agent)
    email = f"agent-{server.settings.port}@example.com"
    page = await console_page(browser, server, DESKTOP, email, PASSWORD)
    await expect(page.get_by_test_id("nav-triggers")).to_be_hidden()
    await page.goto(f"{server.url}/console#/triggers")
    await expect(page.get_by_text("Triggers are for support leads")).to_be_visible()
    await page.context.close()
