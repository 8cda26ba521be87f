"""A host page that sets the widget's own custom property names (`--pl-…`) on `*`, `:root`,
`html` or the widget's element does not restyle the widget; the site's theme colour
still paints it."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.conftest import RunningServer
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e

# What a careless (or hostile) page stylesheet does with names that happen to be ours.
HOSTILE = """
*, :root, html, parley-widget {
  --pl-brand: red; --pl-brand-strong: red; --pl-brand-soft: red; --pl-on-brand: red;
  --pl-bg: red; --pl-bg-subtle: red; --pl-text: red; --pl-border: red;
  --pl-bot-bubble: red; --pl-visitor-bubble: red;
  --pl-font: "Comic Sans MS", cursive; --pl-text-md: 40px;
  --pl-radius-pill: 0px; --pl-radius-lg: 0px; --pl-space-4: 0px; --pl-gap: 200px;
}
* { --pl-brand: red !important; --pl-on-brand: red !important; }
"""

THEME = "rgb(31, 122, 77)"  # the demo site's theme colour, #1f7a4d
WHITE = "rgb(255, 255, 255)"


async def test_page_custom_properties_do_not_restyle_the_widget(
    server: RunningServer, browser: Browser
) -> None:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{server.url}/demo")
    await page.add_style_tag(content=HOSTILE)
    # The page's own elements do take the values (the rules are live on the page).
    assert (
        await page.evaluate("getComputedStyle(document.body).getPropertyValue('--pl-bg').trim()")
        == "red"
    )

    launcher = page.get_by_test_id("parley-launcher")
    await expect(launcher).to_be_visible(timeout=15_000)
    look = await launcher.evaluate(
        "(el) => { const s = getComputedStyle(el); const r = el.getBoundingClientRect();"
        " return [s.backgroundColor, s.color, s.borderTopLeftRadius,"
        " Math.round(innerWidth - r.right), Math.round(innerHeight - r.bottom)]; }"
    )
    # The theme colour with white on it, round, 20 px from the corner.
    assert look == [THEME, WHITE, "999px", 20, 20], look

    await launcher.click()
    panel = page.get_by_test_id("parley-panel")
    await expect(panel).to_be_visible()
    await expect(panel).to_have_css("opacity", "1")  # opened (it fades in)
    panel_look = await panel.evaluate(
        "(el) => { const s = getComputedStyle(el); const head = getComputedStyle(el.querySelector('.pl-head'));"
        " return [s.backgroundColor, s.color, s.fontSize, s.fontFamily.includes('Comic'),"
        " head.backgroundColor, head.color]; }"
    )
    assert panel_look == [WHITE, "rgb(28, 31, 38)", "14px", False, THEME, WHITE], panel_look
    greeting = page.get_by_test_id("parley-greeting").locator(".pl-bubble")
    assert (
        await greeting.evaluate("(el) => getComputedStyle(el).backgroundColor")
        == "rgb(241, 242, 246)"
    )
    await shot(page, "widget-tokens-hostile-page")
    assert not errors, errors
    await ctx.close()
