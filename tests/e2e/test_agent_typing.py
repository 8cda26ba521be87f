"""Two agents on one conversation in real Chromium: while Ada types a reply, Bo sees
"Ada Admin is typing…" (and the visitor sees a teammate typing); a private note is not
typing, for Bo nor for the visitor."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Request, ViewportSize, expect

from tests.app.helpers import agent_token
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PASSWORD = "typing-e2e-password"


async def new_page(browser: Browser, errors: list[str]) -> Page:
    ctx = await browser.new_context(viewport=DESKTOP)
    page = await ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


async def sign_in(page: Page, server: RunningServer, email: str, password: str) -> None:
    await page.goto(f"{server.url}/console")
    await page.get_by_test_id("login-email").fill(email)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_be_visible()


async def test_other_agents_see_who_types_a_reply_and_never_a_note(
    server: RunningServer, host_site: str, browser: Browser
) -> None:
    errors: list[str] = []
    async with server.client() as client:
        admin = {"Authorization": f"Bearer {await agent_token(client)}"}
        bo_email = f"bo-{uuid.uuid4().hex[:8]}@example.com"
        r = await client.post(
            "/api/v1/agents",
            headers=admin,
            json={"name": "Bo Typist", "email": bo_email, "role": "agent", "password": PASSWORD},
        )
        assert r.status_code == 201, r.text
        bo_id = r.json()["id"]
        try:
            # A visitor waiting for a person.
            visitor = await new_page(browser, errors)
            await visitor.goto(f"{host_site}/index.html")
            await visitor.get_by_test_id("parley-launcher").click()
            field = visitor.get_by_test_id("parley-input")
            await field.fill("I'd like to talk to a human, please")
            async with visitor.expect_response(
                lambda r: r.url.endswith("/api/v1/widget/messages") and r.request.method == "POST"
            ) as sent:
                await field.press("Enter")
            cid = int((await (await sent.value).json())["conversation"]["id"])
            await expect(visitor.get_by_test_id("parley-status")).to_contain_text(
                "aiting", timeout=30_000
            )

            ada = await new_page(browser, errors)
            bo = await new_page(browser, errors)
            await sign_in(ada, server, ADMIN_EMAIL, ADMIN_PASSWORD)
            await sign_in(bo, server, bo_email, PASSWORD)
            for page in (ada, bo):
                await page.goto(f"{server.url}/console#/all/{cid}")
                await expect(page.get_by_test_id("reply-input")).to_be_visible(timeout=15_000)

            typed: list[Any] = []  # what Ada's console sent to /typing, in order

            def on_request(req: Request) -> None:
                if req.url.endswith(f"/conversations/{cid}/typing"):
                    typed.append(req.post_data_json)

            ada.on("request", on_request)

            # ---- a reply: Bo sees who; the visitor sees a teammate typing
            composer = ada.get_by_test_id("reply-input")
            await composer.click()
            await ada.keyboard.type("Let me check that for you")
            bo_typing = bo.get_by_test_id("typing-indicator")
            await expect(bo_typing).to_be_visible(timeout=10_000)
            await expect(bo_typing).to_have_text("Ada Admin is typing…")
            await expect(visitor.get_by_test_id("parley-typing")).to_be_visible(timeout=10_000)
            # Ada's own console does not show her own typing.
            await expect(ada.get_by_test_id("typing-indicator")).to_be_hidden()
            await shot(bo, "agent-typing-seen-by-another-agent")

            # ---- a private note: typing stops for both, and no "typing" goes out for it
            await ada.keyboard.press("Control+Alt+N")
            await expect(ada.get_by_test_id("composer-tab-note")).to_have_attribute(
                "aria-selected", "true"
            )
            switched = len(typed)
            await ada.keyboard.type(" (note: refund RF-7 was already issued)")
            await expect(bo_typing).to_be_hidden(timeout=10_000)
            await expect(visitor.get_by_test_id("parley-typing")).to_be_hidden(timeout=10_000)
            async with ada.expect_response(
                lambda r: (
                    r.url.endswith(f"/conversations/{cid}/notes") and r.request.method == "POST"
                )
            ):
                await ada.keyboard.press("Enter")
            await expect(bo.get_by_test_id("private-note").last).to_contain_text(
                "RF-7", timeout=10_000
            )
            assert typed[:switched] and typed[0] == {"typing": True}, typed
            assert {"typing": True} not in typed[switched:], typed
            await expect(bo_typing).to_be_hidden()
            assert not errors, errors
            for page in (visitor, ada, bo):
                await page.context.close()
        finally:
            await client.patch(f"/api/v1/agents/{bo_id}", headers=admin, json={"is_active": False})
