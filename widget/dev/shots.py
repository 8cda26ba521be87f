"""Dev-only: screenshots + smoke checks of the widget against dev/server.mjs.

    node dev/server.mjs &   # after npm run build
    /work/main/.venv/bin/python dev/shots.py [--base http://127.0.0.1:8788]

Writes PNGs to dev/shots/ at 1280x800 and 390x844 and fails loudly on any
console error (including CSP violations) or broken expectation.
"""
import argparse
import os
import sys
import urllib.request

from playwright.sync_api import expect, sync_playwright

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "shots")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

ap = argparse.ArgumentParser()
ap.add_argument("--base", default="http://127.0.0.1:8788")
ap.add_argument("--api", default="http://127.0.0.1:8787")
ap.add_argument("--sizes", default="1280x800,390x844")
ap.add_argument("--mock", action="store_true", default=True)
opts = ap.parse_args()
os.makedirs(OUT, exist_ok=True)


def dev(path):
    req = urllib.request.Request(opts.api + path, method="POST", data=b"")
    return urllib.request.urlopen(req).read()


def run(pw, w, h):
    tag = f"{w}x{h}"
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    ctx = browser.new_context(viewport={"width": w, "height": h}, device_scale_factor=1,
                              is_mobile=w < 500, has_touch=w < 500)
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))

    def shot(name):
        page.wait_for_timeout(350)  # let transitions settle
        path = os.path.join(OUT, f"{tag}-{name}.png")
        page.screenshot(path=path)
        print("  ", path)

    page.goto(opts.base + "/")
    launcher = page.get_by_test_id("parley-launcher")
    expect(launcher).to_be_visible()
    shot("1-closed")

    launcher.click()
    panel = page.get_by_test_id("parley-panel")
    expect(panel).to_be_visible()
    expect(page.get_by_test_id("parley-status")).to_have_text("Bot · answers instantly")
    if w >= 500:  # touch screens don't get the keyboard popped up on open
        expect(page.get_by_test_id("parley-input")).to_be_focused()
    shot("2-open-greeting")

    inp = page.get_by_test_id("parley-input")
    inp.fill("How do refunds work?")
    inp.press("Enter")
    src = page.get_by_test_id("parley-source")
    expect(src).to_have_text("Source: Refund policy", timeout=10000)
    assert src.get_attribute("target") == "_blank" and "noopener" in src.get_attribute("rel")
    expect(page.locator("[data-testid=parley-message][data-sender=visitor]")).to_have_count(1)
    expect(page.locator("[data-testid=parley-message][data-sender=bot]")).to_have_count(1)
    shot("3-bot-answer-with-source")

    inp.fill("And how slow is shipping?")
    page.get_by_test_id("parley-send").click()
    page.locator("[data-streaming=true]").wait_for(timeout=5000)
    page.wait_for_timeout(2200)
    shot("4-streaming")
    expect(page.locator("[data-streaming=true]")).to_have_count(0, timeout=30000)
    expect(page.locator("[data-testid=parley-message][data-sender=bot]")).to_have_count(2)

    page.get_by_test_id("parley-human").click()
    expect(page.get_by_test_id("parley-status")).to_have_text("Waiting for a teammate…")
    expect(page.get_by_test_id("parley-human")).to_be_hidden()
    shot("5-waiting-for-human")

    dev("/dev/assign?name=Ada")
    expect(page.get_by_test_id("parley-status")).to_have_text("Ada joined")
    dev("/dev/typing?sender=agent")
    expect(page.get_by_test_id("parley-typing")).to_be_visible()
    shot("6-agent-typing")
    dev("/dev/agent?name=Ada")
    expect(page.locator("[data-testid=parley-message][data-sender=agent]")).to_have_count(1)
    expect(page.get_by_test_id("parley-typing")).to_be_hidden()
    shot("7-agent-replied")

    # Reload: same conversation, panel still open, status restored.
    page.reload()
    expect(page.get_by_test_id("parley-panel")).to_be_visible()
    expect(page.locator("[data-testid=parley-message]")).to_have_count(5)
    expect(page.get_by_test_id("parley-status")).to_have_text("Ada is here")

    # Close → agent message → unread badge.
    page.get_by_test_id("parley-input").focus()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    dev("/dev/agent?name=Ada&text=Your+refund+for+NW-12345+is+on+its+way.")
    expect(page.get_by_test_id("parley-unread")).to_have_text("1")
    shot("8-closed-unread")

    assert not errors, errors
    ctx.close()
    browser.close()


with sync_playwright() as pw:
    for size in opts.sizes.split(","):
        w, h = map(int, size.split("x"))
        print(size)
        run(pw, w, h)
print("shots OK")
