"""Attachments end to end in real Chromium: a visitor attaches a screenshot with the
picker and another by pasting, drops a file on the panel, sees previews and then the
messages; the agent sees the images in the console and replies with a PDF; the visitor
downloads it. A refused file and a too-big one say why and send nothing. An admin
downloads a contact's export as a ZIP with their files."""

from __future__ import annotations

import base64
import io
import json
import re
import uuid
import zipfile

import pytest
from PIL import Image, ImageDraw
from playwright.async_api import Browser, Page, expect

from tests.app.contacts.helpers import demo_site, signature
from tests.app.helpers import Visitor
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def screenshot_png(color: tuple[int, int, int], size: tuple[int, int] = (640, 400)) -> bytes:
    """A fake screenshot: a window with a title bar and an error box."""
    im = Image.new("RGB", size, (245, 246, 250))
    draw = ImageDraw.Draw(im)
    w, h = size
    draw.rectangle((0, 0, w, 36), fill=color)
    draw.rectangle(
        (w // 6, h * 2 // 5, w * 5 // 6, h * 3 // 5),
        fill=(254, 226, 226),
        outline=(185, 28, 28),
        width=3,
    )
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


# Paste and drop: the browser's own events with a File in their DataTransfer.
DISPATCH = """async ([kind, b64, name, type]) => {
  const root = document.querySelector('parley-widget').shadowRoot;
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, { type }));
  if (kind === 'paste') {
    const ta = root.querySelector('[data-testid="parley-input"]');
    ta.focus();
    ta.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    return true;
  }
  const panel = root.querySelector('[data-testid="parley-panel"]');
  panel.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
  const shown = !root.querySelector('[data-testid="parley-drop"]').hidden;
  if (kind === 'drop') panel.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  return shown;
}"""


async def dispatch(page: Page, kind: str, data: bytes, name: str, mime: str) -> bool:
    return bool(await page.evaluate(DISPATCH, [kind, base64.b64encode(data).decode(), name, mime]))


async def loaded(img) -> None:  # type: ignore[no-untyped-def]
    """The <img> shows a decoded picture (its blob: URL arrived)."""
    await expect(img).to_have_attribute("src", re.compile("^blob:"), timeout=15_000)
    handle = await img.element_handle()
    await img.page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=handle)


async def test_visitor_and_agent_exchange_files(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    errors: list[str] = []
    visitor_ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await visitor_ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{host_site}/index.html")
    await page.get_by_test_id("parley-launcher").click()
    await expect(page.get_by_test_id("parley-panel")).to_be_visible()
    visitor_rows = page.locator('[data-testid="parley-message"][data-sender="visitor"]')

    # A refused file (an SVG named like a PNG) and a too-big one: each says why, nothing is sent.
    await page.get_by_test_id("parley-file-input").set_input_files(
        [
            {"name": "logo.png", "mimeType": "image/png", "buffer": SVG},
            {
                "name": "video.png",
                "mimeType": "image/png",
                "buffer": b"\x89PNG" + b"0" * (10 * 1024 * 1024),
            },
        ]
    )
    errs = page.get_by_test_id("parley-upload-error")
    await expect(errs.nth(0)).to_contain_text("can't be attached", timeout=15_000)
    await expect(errs.nth(0)).to_contain_text("PDF")
    await expect(errs.nth(1)).to_contain_text("Too big")
    await shot(page, "e2e-attachments-refused")
    await page.get_by_test_id("parley-input").press("Enter")
    # A send shows its row at once (the outbox is synchronous): none means nothing was sent.
    assert await visitor_rows.count() == 0, "a refused file sends nothing"
    for _ in range(2):
        await page.get_by_test_id("parley-upload-remove").first.click()
    await expect(page.get_by_test_id("parley-tray")).to_be_hidden()

    # A pasted screenshot, sent on its own (no text).
    preview = page.get_by_test_id("parley-upload")
    await dispatch(page, "paste", screenshot_png((220, 38, 38)), "image.png", "image/png")
    await expect(preview).to_have_count(1)
    await expect(preview.locator("img")).to_be_visible()
    await expect(preview).to_have_attribute("data-id", re.compile(r"^\d+$"), timeout=15_000)
    async with page.expect_response("**/api/v1/widget/messages") as sent:
        await page.get_by_test_id("parley-input").press("Enter")
    cid = (await (await sent.value).json())["conversation"]["id"]
    await expect(visitor_rows).to_have_count(1, timeout=15_000)
    await loaded(visitor_rows.first.locator("img"))
    await expect(page.get_by_test_id("parley-tray")).to_be_hidden()
    # The bot cannot read files: it says so and offers a person.
    bot = page.locator('[data-testid="parley-message"][data-sender="bot"]').last
    await expect(bot).to_contain_text("can't open files", timeout=30_000)
    await expect(page.get_by_test_id("parley-quick-reply")).to_contain_text("Talk to a person")

    # The picker: a screenshot, previewed, uploaded, then sent with a line of text.
    await page.get_by_test_id("parley-file-input").set_input_files(
        {
            "name": "checkout-error.png",
            "mimeType": "image/png",
            "buffer": screenshot_png((79, 70, 229)),
        }
    )
    await expect(preview).to_have_count(1)
    await expect(preview.locator("img")).to_be_visible()
    await expect(preview).to_contain_text("checkout-error.png")
    await expect(preview).to_have_attribute("data-id", re.compile(r"^\d+$"), timeout=15_000)
    await page.get_by_test_id("parley-input").fill("The checkout shows this error, I need a person")
    await shot(page, "e2e-attachments-preview")
    await page.get_by_test_id("parley-send").click()
    second = visitor_rows.nth(1)
    await expect(second).to_contain_text("The checkout shows this error")
    await loaded(second.locator('[data-testid="parley-attachment"][data-kind="image"] img'))
    await expect(page.get_by_test_id("parley-status")).to_contain_text("aiting", timeout=30_000)

    # Dragging a file over the panel shows the drop zone; dropping it attaches it.
    assert await dispatch(page, "dragenter", b"notes", "notes.txt", "text/plain")
    await expect(page.get_by_test_id("parley-drop")).to_be_visible()
    await shot(page, "e2e-attachments-drop-zone")
    await dispatch(page, "drop", b"Order NW-1 was charged twice.", "notes.txt", "text/plain")
    await expect(page.get_by_test_id("parley-drop")).to_be_hidden()
    await expect(preview).to_contain_text("notes.txt")
    await expect(preview).to_have_attribute("data-id", re.compile(r"^\d+$"), timeout=15_000)
    await page.get_by_test_id("parley-send").click()
    await expect(visitor_rows).to_have_count(3, timeout=15_000)
    await expect(visitor_rows.nth(2).get_by_test_id("parley-attachment")).to_contain_text(
        "notes.txt"
    )
    await shot(page, "e2e-attachments-visitor-sent")

    # The agent sees the screenshots in the console and opens one full size.
    agent_ctx = await browser.new_context(viewport={"width": 1440, "height": 900})
    console = await agent_ctx.new_page()
    console.on("pageerror", lambda e: errors.append("console: " + str(e)))
    await console.goto(f"{server.url}/console")
    await console.get_by_test_id("login-email").fill(ADMIN_EMAIL)
    await console.get_by_test_id("login-password").fill(ADMIN_PASSWORD)
    await console.get_by_test_id("login-submit").click()
    await expect(console.get_by_test_id("conv-item").first).to_be_visible(timeout=15_000)
    await console.evaluate(f"location.hash = '#/all/{cid}'")
    images = console.locator(
        '[data-testid="msg"][data-sender="visitor"] [data-testid="msg-attachment"][data-kind="image"]'
    )
    await expect(images).to_have_count(2, timeout=15_000)
    for i in range(2):
        await loaded(images.nth(i).locator("img"))
    await expect(
        console.locator('[data-testid="msg-attachment"][data-kind="file"]')
    ).to_contain_text("notes.txt")
    async with agent_ctx.expect_page() as opened:
        await images.first.click()
    full = await opened.value
    await expect(full).to_have_url(re.compile("^blob:"))
    await full.close()

    # The agent replies with a PDF.
    await console.get_by_test_id("reply-file-input").set_input_files(
        {"name": "refund-policy.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    upload = console.get_by_test_id("reply-upload")
    await expect(upload).to_contain_text("refund-policy.pdf")
    await expect(upload).to_have_attribute("data-id", re.compile(r"^\d+$"), timeout=15_000)
    await console.get_by_test_id("reply-input").fill("Here is our refund policy.")
    await shot(console, "e2e-attachments-console-composer")
    await console.get_by_test_id("reply-send").click()
    mine = console.locator('[data-testid="msg"][data-sender="agent"]').last
    await expect(mine.get_by_test_id("msg-attachment")).to_contain_text(
        "refund-policy.pdf", timeout=15_000
    )
    await expect(mine).not_to_have_class(re.compile("is-sending"))
    await shot(console, "e2e-attachments-console")

    # The visitor sees the PDF chip and downloads it.
    agent_row = page.locator('[data-testid="parley-message"][data-sender="agent"]').last
    chip = agent_row.locator('[data-testid="parley-attachment"][data-kind="file"]')
    await expect(chip).to_contain_text("refund-policy.pdf", timeout=15_000)
    await expect(agent_row).to_contain_text("Here is our refund policy.")
    await shot(page, "e2e-attachments-visitor-pdf")
    async with page.expect_download() as dl:
        await chip.click()
    download = await dl.value
    assert download.suggested_filename == "refund-policy.pdf"
    assert (await download.path()).read_bytes() == PDF

    # A page whose CSP allows no blob: images: the pictures become chips that still open.
    await page.add_init_script(
        """if (location.hash === '#strict') document.addEventListener('DOMContentLoaded', () => {
          const m = document.createElement('meta');
          m.httpEquiv = 'Content-Security-Policy';
          m.content = "img-src 'self'";
          document.head.prepend(m);
        });"""
    )
    await page.goto(f"{host_site}/index.html#strict")
    await page.reload()
    launcher = page.get_by_test_id("parley-launcher")
    await expect(launcher).to_be_visible()  # the widget is up (the panel may reopen by itself)
    if await launcher.get_attribute("aria-expanded") != "true":
        await launcher.click()
    await expect(page.get_by_test_id("parley-panel")).to_be_visible()
    chips = page.locator('button.pl-att-file[data-testid="parley-attachment"][data-kind="image"]')
    await expect(chips).to_have_count(2, timeout=15_000)
    await expect(chips.first).to_contain_text("image.png")
    async with visitor_ctx.expect_page() as opened:
        await chips.first.click()
    full = await opened.value
    await expect(full).to_have_url(re.compile("^blob:"))
    await full.close()

    # On a phone, after a reload: the same files, rendered from the stored messages.
    phone_ctx = await browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    # The same visitor: their token is in place before the widget starts (else it would
    # open a session of its own first).
    token = await page.evaluate("localStorage.getItem('parley:pk_demo')")
    await phone_ctx.add_init_script(f"localStorage.setItem('parley:pk_demo', {json.dumps(token)})")
    phone = await phone_ctx.new_page()
    phone.on("pageerror", lambda e: errors.append("phone: " + str(e)))
    await phone.goto(f"{host_site}/index.html")
    await phone.get_by_test_id("parley-launcher").click()
    await expect(
        phone.locator('[data-testid="parley-attachment"][data-kind="file"]').last
    ).to_contain_text("refund-policy.pdf", timeout=15_000)
    await loaded(phone.locator('[data-testid="parley-attachment"][data-kind="image"] img').first)
    # The panel has finished fading in (the screenshot shows it, not the page behind).
    await phone.wait_for_function(
        "getComputedStyle(document.querySelector('parley-widget').shadowRoot"
        ".querySelector('.pl-panel')).opacity === '1'"
    )
    await shot(phone, "e2e-attachments-phone")
    await phone.get_by_test_id("parley-file-input").set_input_files(
        {
            "name": "receipt.png",
            "mimeType": "image/png",
            "buffer": screenshot_png((21, 128, 61), (300, 500)),
        }
    )
    await expect(phone.get_by_test_id("parley-upload")).to_have_attribute(
        "data-id", re.compile(r"^\d+$"), timeout=15_000
    )
    await shot(phone, "e2e-attachments-phone-preview")

    assert not errors, errors
    for ctx in (visitor_ctx, agent_ctx, phone_ctx):
        await ctx.close()


async def test_admin_downloads_a_contacts_files_as_a_zip(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    async with server.client() as client:
        _, secret = await demo_site(server, client)
        v = Visitor(server, client)
        await v.start()
        user = f"zip-{uuid.uuid4().hex[:8]}"
        r = await client.post(
            "/api/v1/widget/identify",
            headers=v.headers,
            json={"id": user, "signature": signature(secret, user)},
        )
        contact_id = r.json()["contact"]["id"]
        shot_png = screenshot_png((14, 116, 144))
        up = await client.post(
            "/api/v1/widget/files",
            params={"filename": "broken-cart.png"},
            headers={**v.headers, "Content-Type": "application/octet-stream"},
            content=shot_png,
        )
        assert up.status_code == 201
        r = await client.post(
            "/api/v1/widget/messages",
            headers=v.headers,
            json={
                "client_message_id": "zip-1",
                "text": "see this",
                "attachments": [up.json()["id"]],
            },
        )
        assert r.status_code == 201

    ctx = await browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    console = await ctx.new_page()
    await console.goto(f"{server.url}/console")
    await console.get_by_test_id("login-email").fill(ADMIN_EMAIL)
    await console.get_by_test_id("login-password").fill(ADMIN_PASSWORD)
    await console.get_by_test_id("login-submit").click()
    await expect(console.get_by_test_id("conv-item").first).to_be_visible(timeout=15_000)
    await console.evaluate(f"location.hash = '#/contacts/{contact_id}'")
    button = console.get_by_test_id("crm-export-zip")
    await expect(button).to_be_visible(timeout=15_000)
    async with console.expect_download() as dl:
        await button.click()
    download = await dl.value
    assert download.suggested_filename == f"contact-{contact_id}-export.zip"
    with zipfile.ZipFile(await download.path()) as z:
        doc = json.loads(z.read("contact.json"))
        (f,) = doc["files"]
        assert f["name"] == "broken-cart.png" and f["path"].startswith("files/")
        assert Image.open(io.BytesIO(z.read(f["path"]))).size == (640, 400)
    await ctx.close()
