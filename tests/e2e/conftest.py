"""Shared browser fixtures: Debian's Chromium, and a host page on another origin."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from tests.conftest import RunningServer

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


def host_page_html(parley_url: str) -> str:
    """A customer's page embedding the widget exactly as the README says."""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme host page</title></head>
<body><h1>Host page on another origin</h1><p>Content of the customer's site.</p>
<a id="next" href="/other.html">Next page</a>
<script>window.Parley=window.Parley||function(){{(Parley.q=Parley.q||[]).push(arguments)}};</script>
<script async src="{parley_url}/widget/loader.js" data-site-key="pk_demo"></script>
</body></html>"""


@pytest.fixture(scope="module")
def host_site(server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the host page from the origin the demo site allows (a different port)."""
    root = tmp_path_factory.mktemp("host")
    (root / "index.html").write_text(host_page_html(server.url))
    (root / "other.html").write_text(host_page_html(server.url).replace("Host page", "Other page"))
    port = urlsplit(server.host_origin).port
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port or 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.host_origin
    finally:
        httpd.shutdown()
        httpd.server_close()


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
    """Keep a screenshot of the state for people to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"))
