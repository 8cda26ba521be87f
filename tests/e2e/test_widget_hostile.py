"""The widget in a hostile world, in real Chromium against a real `parley serve` process.

Host pages are served by this test from other origins than the API: one the site allows,
with a strict Content-Security-Policy built from widget/README.md and hostile global CSS;
one the site does not allow; and one with XSS payloads in its title. The server is a
subprocess with its own data directory, so it can be killed and started again on the same
port mid-conversation; the browser's network is cut mid-conversation too.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, free_port, prime_kb
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

PARLEY = str(Path(sys.executable).parent / "parley")
ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "widget" / "README.md"
DESKTOP = {"width": 1280, "height": 800}
MSG = '[data-testid="parley-message"]:not([data-streaming])'

# One marker for every payload: if any of them ran, window.XSS is set (or a dialog opens).
XSS = {
    "img": '<img src=x onerror="window.XSS=1">',
    "svg": "<svg onload=window.XSS=1>",
    "script": '"><script>window.XSS=1</script>',
    "js_link": "[click me](javascript:window.XSS=1)",
    "iframe": '<iframe src="javascript:window.XSS=1"></iframe>',
}
SITE_NAME = "Hostile <img src=x onerror=window.XSS=1> Inc"
GREETING = (
    'Hi <svg onload=window.XSS=1> [tap](javascript:window.XSS=1) "><script>window.XSS=1</script>'
)
LAUNCHER = "Ask <b onmouseover=window.XSS=1>us</b>"
AGENT_NAME = 'Eve <img src=x onerror="window.XSS=1">'
VISITOR_NAME = "Mallory <svg onload=window.XSS=1>"
PAGE_TITLE = "Shop <img src=x onerror=window.XSS=1> & more"
TRIGGER_MESSAGE = 'Psst <img src=x onerror="window.XSS=1"> [deal](javascript:window.XSS=1)'


# --------------------------------------------------------------------------- the docs


def documented_embed() -> tuple[str, str]:
    """The snippet of widget/README.md's "Embed" section and its inline first line."""
    text = README.read_text()
    block = re.search(r"## Embed.*?```html\n(.*?)```", text, re.S)
    assert block, "widget/README.md has no Embed snippet"
    inline = re.search(r"<script>(.*?)</script>", block.group(1))
    assert inline
    return block.group(1).strip(), inline.group(1)


def documented_csp() -> dict[str, list[str]]:
    """What widget/README.md's "Content Security Policy" section tells a site to allow."""
    section = README.read_text().split("## Content Security Policy", 1)
    assert len(section) == 2, "widget/README.md has no Content Security Policy section"
    block = re.search(r"```\n(.*?)```", section[1], re.S)
    assert block
    out: dict[str, list[str]] = {}
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip().rstrip(";")
        if line:
            name, *sources = line.split()
            out[name] = sources
    return out


def host_csp(parley_url: str) -> str:
    """The strictest policy a customer could have: their own 'self', plus the README's lines."""
    policy: dict[str, list[str]] = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "require-trusted-types-for": ["'script'"],
    }
    for name, sources in documented_csp().items():
        have = policy.setdefault(name, [])
        have += [s.replace("https://YOUR-PARLEY-HOST", parley_url) for s in sources]
    return "; ".join(f"{k} {' '.join(v)}" for k, v in policy.items())


# --------------------------------------------------------------------------- host pages

HOSTILE_CSS = """
/* Everything a careless (or hostile) site stylesheet does to whatever ends up on it. */
* { font-size: 44px !important; line-height: 3 !important; letter-spacing: 6px !important;
    font-family: "Comic Sans MS", cursive !important; color: #f0f !important;
    text-transform: uppercase !important; box-sizing: content-box !important;
    transition: all 3s linear !important; cursor: crosshair !important; }
*, *::before, *::after { z-index: 2147483647 !important; }
html { font-size: 300% !important; filter: none; }
body { margin: 0; min-height: 3000px; transform: translateZ(0) scale(1);
       will-change: transform; filter: hue-rotate(0deg); }
div, span, p, svg, textarea, form, section, header, footer { display: none !important; }
button, input, textarea, a { all: unset !important; width: 1px !important; height: 1px !important;
    overflow: hidden !important; background: hotpink !important; }
[hidden] { display: block !important; }
[role], [aria-label], [data-testid] { visibility: hidden !important; opacity: 0 !important; }
main { display: block; padding: 24px; }
/* A "cookie banner" at the highest z-index, stuck over the corner where the launcher
   sits (sticky: a fixed one would scroll with the transformed body). */
aside.banner { position: sticky !important; bottom: 0; display: block; height: 110px;
    background: rgba(20, 20, 20, .85); z-index: 2147483647 !important; }
"""


def host_page(parley_url: str, *, title: str = "Acme — strict CSP") -> str:
    """A customer's page embedding the loader with README's snippet, verbatim."""
    snippet, _ = documented_embed()
    snippet = snippet.replace("https://YOUR-PARLEY-HOST", parley_url)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/hostile.css"></head>
<body><main><h1>Acme outdoor gear</h1><h2>Tents, packs and boots</h2>
<ul>{"".join(f"<li>Product {i}: ridge shell jacket</li>" for i in range(30))}</ul></main>
<aside class="banner">We use cookies.</aside>
{snippet}
</body></html>"""


@dataclass
class HostSite:
    """Static pages on one origin (a real HTTP server on its own port)."""

    origin: str
    parley_url: str
    pages: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.origin + path


def serve_host(site: HostSite, port: int) -> http.server.ThreadingHTTPServer:
    class Pages(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            path = urlsplit(self.path).path
            if path == "/favicon.ico":
                self.send_response(204)
                self.end_headers()
                return
            if path == "/hostile.css":
                body, headers = HOSTILE_CSS.encode(), {"Content-Type": "text/css"}
            elif path in site.pages:
                text, headers = site.pages[path]
                body = text.encode()
                headers = {"Content-Type": "text/html; charset=utf-8", **headers}
            else:
                self.send_error(404)
                return
            self.send_response(200)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Pages)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


# --------------------------------------------------------------------------- the server


ADD_SITE = """
import asyncio, json, sys
from app.config import get_settings
from app.db import dispose_engine, init_engine, sessionmaker
from app.sites.models import Site

async def main():
    init_engine(get_settings())
    async with sessionmaker()() as s:
        s.add(Site(**json.loads(sys.argv[1])))
        await s.commit()
    await dispose_engine()

asyncio.run(main())
"""


# The bot's clarifying question with quick replies, stored as the bot stores it (which
# articles compete closely enough to be offered depends on the embeddings).
OFFER = """
import asyncio, json, sys
from app.config import get_settings
import app.models  # every table, so foreign keys resolve
from app.conversations import service
from app.conversations.models import Conversation
from app.db import dispose_engine, init_engine
from app.events.service import unit_of_work

async def main():
    conv_id, text, labels = json.loads(sys.argv[1])
    init_engine(get_settings())
    async with unit_of_work() as s:
        c = await s.get(Conversation, conv_id)
        await service.bot_message(s, c, text, sources=[], stream_id=None, intent="faq",
                                  confidence=0.5, lang="en", quick_replies=labels)
    await dispose_engine()

asyncio.run(main())
"""


class ParleyProcess:
    """`parley serve` in a subprocess, so it can be killed and started again (same port, data)."""

    def __init__(self, data_dir: Path, port: int, allowed: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.data_dir = data_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")} | {
            "PARLEY_DATA_DIR": str(data_dir),
            "PARLEY_SECRET_KEY": "hostile-" + uuid.uuid4().hex,
            "PARLEY_ADMIN_EMAIL": ADMIN_EMAIL,
            "PARLEY_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "PARLEY_PORT": str(port),
            "PARLEY_PUBLIC_URL": self.url,
            "PARLEY_DEMO_ALLOWED_ORIGINS": allowed,
            "PARLEY_RATE_LIMITS": "false",
            "PARLEY_SSE_PING_SECONDS": "5",
            # This checkout's code, whichever one the virtualenv was installed from.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }

    def seed(self, extra_sites: list[dict[str, Any]]) -> None:
        prime_kb(self.data_dir, self.data_dir.parent)
        subprocess.run([PARLEY, "seed"], env=self.env, check=True, capture_output=True, timeout=300)
        for site in extra_sites:
            self.run_script(ADD_SITE, site)

    def run_script(self, script: str, arg: Any) -> None:
        """Run Python against this server's database, as an operator's script would."""
        done = subprocess.run(
            [sys.executable, "-c", script, json.dumps(arg)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    def start(self) -> None:
        log = (self.data_dir / "serve.log").open("ab")
        self.proc = subprocess.Popen(
            [PARLEY, "serve", "--port", str(self.port)], env=self.env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("parley serve died:\n" + self.log_tail())
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError("parley serve did not start:\n" + self.log_tail())

    def kill(self) -> None:
        """A crash: SIGKILL, no graceful shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        path = self.data_dir / "serve.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=30)


@dataclass
class World:
    """The Parley process and the host origins around it."""

    parley: ParleyProcess
    allowed: HostSite  # an origin the sites allow
    refused: HostSite  # an origin no site allows


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    allowed_port, refused_port = free_port(), free_port()
    allowed = f"http://localhost:{allowed_port}"
    refused = f"http://localhost:{refused_port}"
    parley = ParleyProcess(tmp_path_factory.mktemp("hostile-data"), free_port(), allowed)
    # A second site whose own texts are payloads (there is no API for a site's theme yet:
    # operators set it in the database, as this does).
    parley.seed(
        [
            {
                "key": "pk_hostile",
                "name": SITE_NAME,
                "allowed_origins": [allowed],
                "theme": {"greeting": GREETING, "launcher_label": LAUNCHER, "color": "#7c3aed"},
            }
        ]
    )
    parley.start()
    url = parley.url
    csp = {"Content-Security-Policy": host_csp(url)}
    pages = {
        "/strict.html": (host_page(url), csp),
        "/xss.html": (
            host_page(url, title=PAGE_TITLE).replace(
                'data-site-key="pk_demo"', 'data-site-key="pk_hostile"'
            ),
            {},  # no CSP: a payload that got through would run, not just be reported
        ),
    }
    sites = World(parley, HostSite(allowed, url, pages), HostSite(refused, url, pages))
    servers = [serve_host(sites.allowed, allowed_port), serve_host(sites.refused, refused_port)]
    try:
        yield sites
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
        parley.stop()


# --------------------------------------------------------------------------- helpers

WATCH = """
(() => {
  // Before any page script: the globals the page starts with, CSP violations, layout shifts.
  const w = { keys: Object.keys(window), csp: [], shifts: [] };
  Object.defineProperty(window, '__watch', { value: w, enumerable: false });
  document.addEventListener('securitypolicyviolation', (e) => w.csp.push(
    e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.shifts.push({ value: e.value, recent: e.hadRecentInput });
    }).observe({ type: 'layout-shift', buffered: true });
  } catch (e) { w.shifts.push({ unsupported: String(e) }); }
})();
"""


@dataclass
class Watched:
    """A page with everything it reported: uncaught errors, console output, dialogs."""

    ctx: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)

    def console_of(self, kind: str) -> list[str]:
        return [t for k, t in self.console if k == kind]

    async def watch(self) -> dict[str, Any]:
        return dict(await self.page.evaluate("() => window.__watch"))


async def open_page(browser: Browser, url: str) -> Watched:
    ctx = await browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = await ctx.new_page()
    w = Watched(ctx, page)
    await page.add_init_script(WATCH)
    page.on("pageerror", lambda e: w.errors.append(str(e)))
    page.on("console", lambda m: w.console.append((m.type, m.text)))

    async def on_dialog(d: Any) -> None:
        w.errors.append("dialog: " + d.message)
        await d.dismiss()

    page.on("dialog", on_dialog)
    await page.goto(url)
    return w


def rows(page: Page, sender: str) -> Locator:
    return page.locator(f'{MSG}[data-sender="{sender}"]')


async def open_panel(page: Page) -> None:
    launcher = page.get_by_test_id("parley-launcher")
    await expect(launcher).to_be_visible(timeout=15_000)
    if not await page.get_by_test_id("parley-panel").is_visible():
        await launcher.click()
    await expect(page.get_by_test_id("parley-panel")).to_be_visible()


async def say(page: Page, text: str) -> None:
    await page.get_by_test_id("parley-input").fill(text)
    await page.get_by_test_id("parley-input").press("Enter")


async def texts(page: Page, sender: str) -> list[str]:
    return [
        (await r.locator(".pl-bubble").inner_text()).strip() for r in await rows(page, sender).all()
    ]


async def conversation_id(page: Page) -> int:
    """The visitor's conversation, as the widget knows it (rows carry it once stored)."""
    conv = page.locator(f"{MSG}[data-conv]").first
    await expect(conv).to_be_attached(timeout=15_000)
    return int(await conv.get_attribute("data-conv") or 0)


@asynccontextmanager
async def signed_in(
    parley: ParleyProcess, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """An API client and the headers of a signed-in agent."""
    async with parley.client() as client:
        r = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
        r.raise_for_status()
        yield client, {"Authorization": f"Bearer {r.json()['access_token']}"}


async def stored_messages(parley: ParleyProcess, conv_id: int) -> list[dict[str, Any]]:
    async with signed_in(parley) as (client, auth):
        r = await client.get(f"/api/v1/conversations/{conv_id}", headers=auth)
        r.raise_for_status()
        return list(r.json()["messages"])


def no_dupes(values: list[str]) -> None:
    dupes = {v for v in values if values.count(v) > 1}
    assert not dupes, f"shown more than once: {dupes}"


@pytest_asyncio.fixture(loop_scope="session")
async def pages(browser: Browser) -> AsyncIterator[list[Watched]]:
    """Pages a test opens; their contexts are closed afterwards."""
    opened: list[Watched] = []
    yield opened
    for w in opened:
        await w.ctx.close()


# --------------------------------------------------------------------------- the tests


def test_the_readme_csp_hash_is_the_snippet_s() -> None:
    """The CSP section's hash for the inline first line is that line's hash."""
    _, inline = documented_embed()
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in documented_csp()["script-src"]


async def test_strict_csp_and_hostile_css_on_another_origin(
    world: World, browser: Browser, pages: list[Watched]
) -> None:
    w = await open_page(browser, world.allowed.url("/strict.html"))
    pages.append(w)
    page = w.page
    assert urlsplit(page.url).netloc != urlsplit(world.parley.url).netloc
    launcher = page.get_by_test_id("parley-launcher")
    await expect(launcher).to_be_visible(timeout=15_000)
    await expect(launcher).to_contain_text("Chat with Northwind")

    # Only `Parley` is added to the page's globals.
    added = await page.evaluate(
        "() => Object.keys(window).filter((k) => !window.__watch.keys.includes(k))"
    )
    assert added == ["Parley"], added

    # The launcher sits in the viewport's corner even though the body is transformed and
    # tall and the page is scrolled; above the page's max-z-index "cookie banner".
    await page.mouse.wheel(0, 1200)
    await page.wait_for_function("() => window.scrollY > 500")
    box = await launcher.bounding_box()
    assert box, "launcher has no box"
    assert abs(DESKTOP["width"] - (box["x"] + box["width"]) - 20) <= 2, box
    assert abs(DESKTOP["height"] - (box["y"] + box["height"]) - 20) <= 2, box
    styles = await launcher.evaluate(
        "(el) => { const s = getComputedStyle(el); return [s.fontSize, s.textTransform, s.backgroundColor, s.letterSpacing]; }"
    )
    assert styles[:3] == ["15px", "none", "rgb(31, 122, 77)"], styles
    await shot(page, "e2e-hostile-closed")

    # z-index war: with the body's stacking context gone, the "cookie banner" competes at
    # the highest z-index; the launcher is still what receives the click there (Playwright
    # clicks only an element that gets the pointer).
    await page.evaluate(
        "() => { for (const p of ['transition', 'transform', 'will-change', 'filter'])"
        " document.body.style.setProperty(p, 'initial', 'important'); }"
    )
    await launcher.click()
    panel = page.get_by_test_id("parley-panel")
    await expect(panel).to_be_visible()
    pbox = await panel.bounding_box()
    assert pbox and pbox["width"] >= 320 and pbox["height"] >= 400, pbox
    assert pbox["x"] + pbox["width"] <= DESKTOP["width"] and pbox["y"] >= 0, pbox
    await say(page, "How long does a refund take?")
    await expect(rows(page, "bot").last).to_contain_text("business days", timeout=30_000)
    bubble = rows(page, "visitor").last.locator(".pl-bubble")
    await expect(bubble).to_have_text("How long does a refund take?")
    assert await bubble.evaluate("(el) => getComputedStyle(el).fontSize") == "14px"
    await shot(page, "e2e-hostile-open")

    watch = await w.watch()
    assert watch["csp"] == [], watch["csp"]
    assert [s for s in watch["shifts"] if not s.get("recent")] == [], watch["shifts"]
    assert w.errors == [], w.errors
    assert w.console_of("error") == [], w.console
    assert w.console_of("warning") == [], w.console


async def test_a_page_on_an_origin_the_site_does_not_allow_is_refused_cleanly(
    world: World, browser: Browser, pages: list[Watched]
) -> None:
    w = await open_page(browser, world.refused.url("/strict.html"))
    pages.append(w)
    page = w.page
    # The widget asks once, is told no, says so once, and renders nothing.
    for _ in range(50):
        if w.console_of("warning"):
            break
        await page.wait_for_timeout(300)
    await page.wait_for_timeout(2500)  # no retries follow
    warnings = w.console_of("warning")
    assert len(warnings) == 1 and "[Parley]" in warnings[0] and "not allowed" in warnings[0], (
        warnings
    )
    assert await page.locator("parley-widget").count() == 0
    assert w.errors == [], w.errors
    watch = await w.watch()
    assert watch["csp"] == [], watch["csp"]
    # The browser logs the refused call itself ("Failed to load resource: … 403"); no CORS
    # error, nothing else.
    others = [e for e in w.console_of("error") if "403" not in e]
    assert others == [], w.console


async def test_network_cut_mid_conversation_loses_and_repeats_nothing(
    world: World, browser: Browser, pages: list[Watched]
) -> None:
    w = await open_page(browser, world.allowed.url("/strict.html"))
    pages.append(w)
    page = w.page
    await open_panel(page)
    await say(page, "How long does a refund take?")
    await expect(rows(page, "bot").last).to_contain_text("business days", timeout=30_000)
    conv = await conversation_id(page)
    banner = page.get_by_test_id("parley-connection")
    await expect(banner).to_be_hidden()

    tag = uuid.uuid4().hex[:6]
    sent = [f"First while offline {tag}", f"Second while offline {tag}"]
    reply = f"An agent answered during the cut {tag}"
    await w.ctx.set_offline(True)
    await expect(banner).to_be_visible()
    await expect(banner).to_have_attribute("data-state", "offline")
    for text in sent:
        await say(page, text)
    pending = page.locator('[data-testid="parley-message"].is-pending')
    await expect(pending).to_have_count(2)
    await expect(pending.first).to_contain_text("waiting for the connection")
    await shot(page, "e2e-hostile-offline")

    # Meanwhile an agent answers (and so takes the conversation).
    async with signed_in(world.parley) as (client, auth):
        r = await client.post(
            f"/api/v1/conversations/{conv}/messages",
            headers=auth,
            json={"client_message_id": str(uuid.uuid4()), "text": reply},
        )
        assert r.status_code == 201, r.text
    await page.wait_for_timeout(500)
    assert await rows(page, "agent").count() == 0  # still cut off

    await w.ctx.set_offline(False)
    await expect(banner).to_be_hidden(timeout=15_000)
    await expect(pending).to_have_count(0, timeout=15_000)
    await expect(rows(page, "agent")).to_have_count(1, timeout=15_000)
    await expect(rows(page, "agent").last).to_contain_text(reply)
    visitor = await texts(page, "visitor")
    assert visitor == ["How long does a refund take?", *sent], visitor

    # Stored once each, in the order typed; the DOM has every stored message exactly once.
    stored = await stored_messages(world.parley, conv)
    assert [m["text"] for m in stored if m["sender"] == "visitor"] == visitor
    assert [m["text"] for m in stored if m["sender"] == "agent"] == [reply]
    await page.wait_for_timeout(1000)  # late duplicates, if any, would have arrived
    ids = await page.locator(f"{MSG}[data-id]").evaluate_all(
        "(els) => els.map((e) => e.dataset.id)"
    )
    no_dupes(ids)
    visible = {str(m["id"]) for m in stored if m["sender"] != "system"}
    assert visible <= set(ids), (visible, ids)
    await shot(page, "e2e-hostile-back-online")
    assert w.errors == [], w.errors


async def test_server_crash_and_restart_mid_conversation(
    world: World, browser: Browser, pages: list[Watched]
) -> None:
    w = await open_page(browser, world.allowed.url("/strict.html"))
    pages.append(w)
    page = w.page
    streams: list[str | None] = []

    async def on_request(req: Any) -> None:
        if req.url.endswith("/api/v1/widget/stream"):
            streams.append((await req.all_headers()).get("last-event-id"))

    page.on("request", on_request)
    await open_panel(page)
    await say(page, "How long does a refund take?")
    await expect(rows(page, "bot").last).to_contain_text("business days", timeout=30_000)
    conv = await conversation_id(page)
    last_seq = max(
        int(s)
        for s in await page.locator(f"{MSG}[data-seq]").evaluate_all(
            "(els) => els.map((e) => e.dataset.seq)"
        )
    )
    before = len(streams)

    await asyncio.to_thread(world.parley.kill)
    banner = page.get_by_test_id("parley-connection")
    await expect(banner).to_have_attribute("data-state", "reconnecting", timeout=15_000)
    await expect(banner).to_be_visible()
    question = "Do you offer financing?"
    await say(page, question)
    pending = page.locator('[data-testid="parley-message"].is-pending')
    await expect(pending).to_have_count(1)
    await shot(page, "e2e-hostile-server-down")

    await asyncio.to_thread(world.parley.start)
    await expect(pending).to_have_count(0, timeout=40_000)
    await expect(banner).to_be_hidden(timeout=40_000)
    # The bot answers the message sent while the server was down.
    answer = rows(page, "bot")
    await expect(answer).to_have_count(2, timeout=30_000)
    await expect(answer.last).to_contain_text(re.compile("financ", re.I))
    await shot(page, "e2e-hostile-after-restart")

    # The stream came back asking for what followed the last event it had seen.
    resumed = [h for h in streams[before:] if h is not None]
    assert resumed and int(resumed[0]) >= last_seq, (streams, last_seq)
    stored = await stored_messages(world.parley, conv)
    assert [m["text"] for m in stored if m["sender"] == "visitor"] == [
        "How long does a refund take?",
        question,
    ]
    await page.wait_for_timeout(1000)
    assert await texts(page, "visitor") == ["How long does a refund take?", question]
    ids = await page.locator(f"{MSG}[data-id]").evaluate_all(
        "(els) => els.map((e) => e.dataset.id)"
    )
    no_dupes(ids)
    assert {str(m["id"]) for m in stored if m["sender"] != "system"} <= set(ids)
    assert w.errors == [], w.errors


SCAN = """() => {
  // What a payload would have become, had any text been parsed as HTML.
  const r = document.querySelector('parley-widget').shadowRoot;
  const all = [...r.querySelectorAll('*')];
  return {
    tags: all.filter((e) => /^(script|img|iframe|object|embed|style|link|foreignobject|b)$/i.test(e.tagName)).map((e) => e.tagName),
    handlers: all.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => e.tagName + ' ' + a.name)),
    hrefs: all.filter((e) => e.hasAttribute('href')).map((e) => e.getAttribute('href')),
    svgs: [...r.querySelectorAll('svg')].filter((s) => s.getAttribute('aria-hidden') !== 'true').length,
    pageImages: document.images.length,
    xss: window.XSS,
  };
}"""

ARTICLES = [
    (
        'Quuxberry care <img src=x onerror="window.XSS=1">',
        "Quuxberry plants need watering twice a week <svg onload=window.XSS=1> and a "
        'sunny spot. [Read more](javascript:window.XSS=1) "><script>window.XSS=1</script> '
        "See [the guide](https://example.com/quux).",
    ),
    (
        "Quuxberry pruning <svg onload=window.XSS=1>",
        "Prune quuxberry bushes in late winter <img src=x onerror=window.XSS=1> before "
        "new growth starts.",
    ),
]
AGENT_TEXT = (
    'Hello from **Eve** <img src=x onerror="window.XSS=1">\n\n'
    "[click me](javascript:window.XSS=1) [safe](https://example.com/ok) "
    "[mail](mailto:help@example.com) [data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
    '<svg onload=window.XSS=1> "><script>window.XSS=1</script>'
)
VISITOR_TEXT = " ".join(XSS.values())


async def test_xss_payloads_in_every_text_are_shown_as_text(
    world: World, browser: Browser, pages: list[Watched]
) -> None:
    parley = world.parley
    async with signed_in(parley) as (client, auth):
        r = await client.post(
            "/api/v1/agents",
            headers=auth,
            json={"name": AGENT_NAME, "email": "eve@example.com", "password": "eve-password-1234"},
        )
        assert r.status_code == 201, r.text
        for title, body in ARTICLES:
            r = await client.post(
                "/api/v1/kb/articles",
                headers=auth,
                json={"title": title, "body": body, "publish": True},
            )
            assert r.status_code == 201, r.text
        sites = (await client.get("/api/v1/sites", headers=auth)).json()
        site_id = next(s["id"] for s in sites if s["key"] == "pk_hostile")
        r = await client.post(
            "/api/v1/triggers",
            headers=auth,
            json={
                "site_id": site_id,
                "name": "XSS",
                "kind": "custom_event",
                "event": "xss",
                "message": TRIGGER_MESSAGE,
            },
        )
        assert r.status_code == 201, r.text
        r = await client.get(f"/api/v1/sites/{site_id}/identity-secret", headers=auth)
        secret = r.json()["identity_secret"]
    # Signed user id, page-supplied name: the name reaches the contact and the console.
    signature = hmac.new(secret.encode(), b"user-42", hashlib.sha256).hexdigest()

    w = await open_page(browser, world.allowed.url("/xss.html"))
    pages.append(w)
    page = w.page
    fetched: list[str] = []
    page.on("request", lambda req: fetched.append(req.url))
    assert await page.title() == PAGE_TITLE

    # The site's own texts: launcher label, name, greeting.
    launcher = page.get_by_test_id("parley-launcher")
    await expect(launcher.locator(".pl-launcher-label")).to_have_text(LAUNCHER, timeout=15_000)
    await launcher.hover()
    await page.evaluate(
        "([name, signature]) => Parley('identify', { id: 'user-42', name, email: 'mallory@example.com', signature })",
        [VISITOR_NAME, signature],
    )
    await launcher.click()
    await expect(page.locator("#pl-title")).to_have_text(SITE_NAME)
    greeting = page.get_by_test_id("parley-greeting")
    await expect(greeting).to_contain_text(
        'Hi <svg onload=window.XSS=1> [tap](javascript:window.XSS=1) "><script>'
    )
    await page.get_by_test_id("parley-close").click()

    # A proactive message.
    await page.evaluate("() => Parley('track', 'xss')")
    bubble = page.get_by_test_id("parley-proactive")
    await expect(bubble).to_contain_text(TRIGGER_MESSAGE, timeout=10_000)
    await page.get_by_test_id("parley-proactive-open").click()
    await expect(page.get_by_test_id("parley-panel")).to_be_visible()

    # A bot answer quoting a knowledge-base article: its body and its title (the source).
    await say(page, "How often do quuxberry plants need watering?")
    answer = rows(page, "bot").last
    await expect(answer).to_contain_text("<svg onload=window.XSS=1>", timeout=30_000)
    await expect(answer.get_by_test_id("parley-source")).to_have_text(f"Source: {ARTICLES[0][0]}")
    conv = await conversation_id(page)

    # Quick replies are article titles the bot offers (which one do you mean?); a stored
    # offer is shown again after a reload. Tapping one sends its label as the visitor's.
    labels = [t for t, _ in ARTICLES]
    await asyncio.to_thread(
        world.parley.run_script, OFFER, [conv, "Which one do you mean?", labels]
    )
    await page.reload()
    await open_panel(page)
    choices = page.get_by_test_id("parley-quick-reply")
    await expect(choices).to_have_text(labels, timeout=15_000)
    await choices.first.click()
    await expect(rows(page, "visitor").last.locator(".pl-bubble")).to_have_text(labels[0])

    # The visitor's own message.
    await say(page, VISITOR_TEXT)
    await expect(rows(page, "visitor").last.locator(".pl-bubble")).to_have_text(VISITOR_TEXT)

    # An agent whose display name is a payload types, then answers in markdown.
    async with signed_in(parley, "eve@example.com", "eve-password-1234") as (client, eve):
        r = await client.post(
            f"/api/v1/conversations/{conv}/messages",
            headers=eve,
            json={"client_message_id": str(uuid.uuid4()), "text": AGENT_TEXT},
        )
        assert r.status_code == 201, r.text
        await expect(page.get_by_test_id("parley-status")).to_contain_text(
            AGENT_NAME, timeout=15_000
        )
        r = await client.post(
            f"/api/v1/conversations/{conv}/typing", headers=eve, json={"typing": True}
        )
        assert r.status_code == 204, r.text
        await expect(page.get_by_test_id("parley-typing")).to_have_text(f"{AGENT_NAME} is typing…")
    agent = rows(page, "agent").last
    await expect(agent).to_contain_text(
        'Hello from Eve <img src=x onerror="window.XSS=1">', timeout=15_000
    )
    await expect(agent.locator(".pl-author")).to_have_text(AGENT_NAME)
    await expect(agent).to_contain_text("[click me](javascript:window.XSS=1)")
    await expect(agent.locator("a")).to_have_count(2)  # https and mailto only
    # An answer the bot was still streaming when Eve took over is never stored: not shown.
    await expect(page.locator('[data-testid="parley-message"][data-streaming]')).to_have_count(0)
    await expect(page.locator("#pl-title")).to_have_text(SITE_NAME)
    await shot(page, "e2e-hostile-xss-widget")

    found = await page.evaluate(SCAN)
    assert found["tags"] == [] and found["handlers"] == [] and found["svgs"] == 0, found
    assert all(re.match(r"^(https?:|mailto:)", h) for h in found["hrefs"]), found["hrefs"]
    assert (
        "https://example.com/ok" in found["hrefs"] and "mailto:help@example.com" in found["hrefs"]
    )
    assert found["pageImages"] == 0 and found["xss"] is None, found
    assert not [u for u in fetched if urlsplit(u).path == "/x"], fetched
    assert w.errors == [], w.errors

    # The agent's console shows the visitor's name, message and page title as text too.
    c = await open_page(browser, f"{parley.url}/console")
    pages.append(c)
    console = c.page
    await console.get_by_test_id("login-email").fill("eve@example.com")
    await console.get_by_test_id("login-password").fill("eve-password-1234")
    await console.get_by_test_id("login-submit").click()
    await expect(console.get_by_test_id("connection-status")).to_be_visible(timeout=15_000)
    await console.evaluate("(id) => { location.hash = '#/all/' + id; }", conv)
    visitor_msgs = console.locator('[data-testid="msg"][data-sender="visitor"]')
    # (The console renders visitors' markdown: the javascript: link is left as its text.)
    shown = visitor_msgs.filter(has_text=" ".join(v for k, v in XSS.items() if k != "js_link")[:60])
    await expect(shown).to_have_count(1, timeout=15_000)
    for k, v in XSS.items():
        await expect(shown).to_contain_text(v if k != "js_link" else "click me")
    panel = console.get_by_test_id("context-panel")
    await expect(panel).to_contain_text(VISITOR_NAME)
    await expect(panel).to_contain_text(PAGE_TITLE)
    agent_msg = console.locator('[data-testid="msg"][data-sender="agent"]').last
    await expect(agent_msg).to_contain_text(AGENT_NAME)
    await expect(agent_msg).to_contain_text('Hello from Eve <img src=x onerror="window.XSS=1">')
    await expect(agent_msg).to_contain_text(
        '<svg onload=window.XSS=1> "><script>window.XSS=1</script>'
    )
    await shot(console, "e2e-hostile-xss-console")
    hrefs = await console.locator("main [href], aside [href]").evaluate_all(
        "(els) => els.map((e) => e.getAttribute('href'))"
    )
    assert not [h for h in hrefs if re.match(r"^\s*(javascript|data|vbscript):", h, re.I)], hrefs
    assert await console.evaluate("() => window.XSS") is None
    assert await console.locator("img[src='x'], svg[onload], script:not([src])").count() == 0
    watch = await c.watch()
    assert watch["csp"] == [], watch["csp"]  # an injected handler would be reported here
    assert c.errors == [], c.errors
    assert await page.evaluate("() => window.XSS") is None
