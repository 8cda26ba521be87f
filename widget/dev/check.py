"""Dev-only behaviour checks of the built widget against dev/server.mjs (real Chromium).

    npm run build && node dev/server.mjs &
    /work/main/.venv/bin/python dev/check.py

Covers what screenshots don't: globals, host isolation, the JS API, SPA page
views, idempotent retries, SSE resume, markdown/URL safety, multi-tab resume,
shutdown and data- attributes. Prints "N passed, N failed".
"""
import json
import sys
import time
import traceback
import urllib.request

from playwright.sync_api import expect, sync_playwright

SITE = "http://127.0.0.1:8788"
API = "http://127.0.0.1:8787"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
MSG = "[data-testid=parley-message]:not([data-streaming])"


def dev(path):
    req = urllib.request.Request(API + path, method="POST", data=b"")
    return json.loads(urllib.request.urlopen(req).read() or b"null")


def state():
    return dev("/dev/state")


def new_page(browser, **kw):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, **kw)
    page = ctx.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("dialog", lambda d: (page.errors.append("dialog: " + d.message), d.dismiss()))
    return ctx, page


def ask(page, text):
    inp = page.get_by_test_id("parley-input")
    inp.fill(text)
    inp.press("Enter")


def t_isolation(browser):
    ctx, page = new_page(browser)
    page.add_init_script("window.__keys = Object.keys(window)")
    page.goto(SITE + "/")
    expect(page.get_by_test_id("parley-launcher")).to_be_visible()
    added = page.evaluate("Object.keys(window).filter(k => !window.__keys.includes(k) && k !== '__keys')")
    assert added == ["Parley"], added
    info = page.evaluate("""() => {
      const host = document.querySelector('parley-widget');
      const r = host.getBoundingClientRect();
      return {w: r.width, h: r.height, pos: getComputedStyle(host).position,
              styles: document.querySelectorAll('style').length,
              links: document.querySelectorAll('link[rel=stylesheet]').length,
              mode: host.shadowRoot && host.shadowRoot.mode,
              adopted: host.shadowRoot.adoptedStyleSheets.length,
              launcherBg: getComputedStyle(host.shadowRoot.querySelector('[data-testid=parley-launcher]')).backgroundColor}
    }""")
    assert info["w"] == 0 and info["h"] == 0 and info["pos"] == "fixed", info
    assert info["styles"] == 0 and info["links"] == 1, info  # only the host page's own site.css
    assert info["mode"] == "open" and info["adopted"] == 1, info
    assert info["launcherBg"] == "rgb(79, 70, 229)", info  # host's `button{background:hotpink!important}` didn't leak in
    assert not page.errors, page.errors  # includes CSP violations on this strict-CSP page
    ctx.close()


def t_js_api(browser):
    ctx, page = new_page(browser)
    # Commands queued before the loader runs must be replayed.
    page.add_init_script("""
      window.__ev = [];
      window.Parley = window.Parley || function(){(Parley.q=Parley.q||[]).push(arguments)};
      Parley('on', 'open', () => __ev.push('open'));
      Parley('on', 'close', () => __ev.push('close'));
      Parley('on', 'message', (m) => __ev.push('message:' + m.sender));
      Parley('on', 'unread', (n) => __ev.push('unread:' + n));
      Parley('identify', {email: 'a@b.co'});
      Parley('track', 'viewed_pricing', {plan: 'pro'});
    """)
    page.goto(SITE + "/")
    launcher = page.get_by_test_id("parley-launcher")
    expect(launcher).to_be_visible()
    page.evaluate("Parley('open')")
    expect(page.get_by_test_id("parley-panel")).to_be_visible()
    page.evaluate("Parley('close')")
    expect(page.get_by_test_id("parley-panel")).to_be_hidden()
    page.evaluate("Parley('hide')")
    expect(launcher).to_be_hidden()
    page.evaluate("Parley('show')")
    expect(launcher).to_be_visible()
    page.evaluate("Parley('nope')")  # unknown commands warn, never throw
    launcher.click()
    ask(page, "refund?")
    expect(page.get_by_test_id("parley-source")).to_have_count(1, timeout=10000)
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("parley-panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    dev("/dev/agent?text=Are+you+still+there%3F")
    expect(page.get_by_test_id("parley-unread")).to_have_text("1")
    expect(launcher).to_have_attribute("aria-label", "Open chat, 1 unread message")
    expect(page.get_by_test_id("parley-preview")).to_contain_text("Are you still there?")
    ev = page.evaluate("__ev")
    assert ev[:3] == ["open", "close", "open"], ev
    assert "message:bot" in ev and "message:agent" in ev and "unread:1" in ev, ev
    page.get_by_test_id("parley-preview").get_by_text("Are you still there?").click()
    expect(page.get_by_test_id("parley-panel")).to_be_visible()
    expect(page.get_by_test_id("parley-preview")).to_be_hidden()
    expect(page.get_by_test_id("parley-unread")).to_be_hidden()
    assert page.evaluate("__ev").count("unread:0") == 1
    ctx.close()


def t_spa_pageviews(browser):
    ctx, page = new_page(browser)
    page.goto(SITE + "/spa")
    expect(page.get_by_test_id("parley-launcher")).to_be_visible()
    sid = page.evaluate("localStorage.getItem('parley:pk_demo')")
    page.click("#go-a")
    page.wait_for_timeout(600)
    page.click("#go-b")
    page.wait_for_timeout(600)
    page.evaluate("history.replaceState({}, '', location.href)")  # same URL: not a new view
    page.go_back()
    page.wait_for_timeout(600)
    sess = next(s for s in state()["sessions"] if s["pageviews"] and s["pageviews"][0]["url"].endswith("/spa"))
    views = [(v["url"].replace(SITE, ""), v["title"]) for v in sess["pageviews"]][-4:]
    assert views == [("/spa", "SPA home — Northwind"), ("/spa/a", "Page A — Northwind"),
                     ("/spa/b", "Page B — Northwind"), ("/spa/a", "Page B — Northwind")], views
    assert sid
    ctx.close()


def t_retry_same_client_id(browser):
    ctx, page = new_page(browser)
    page.goto(SITE + "/")
    page.get_by_test_id("parley-launcher").click()
    seen = []

    def handler(route):
        body = json.loads(route.request.post_data)
        seen.append(body["client_message_id"])
        if len(seen) <= 2:
            route.abort("failed")  # network failure
        else:
            route.continue_()
    page.route("**/api/v1/widget/messages", handler)
    text = f"retry me please {time.time()}"
    ask(page, text)
    row = page.locator(MSG + "[data-sender=visitor]")
    expect(row).to_have_count(1)
    expect(row).not_to_have_class("pl-row is-pending", timeout=15000)
    expect(page.locator(MSG + "[data-sender=bot]")).to_have_count(1, timeout=10000)
    assert len(seen) == 3 and len(set(seen)) == 1, seen
    conv = [c for c in state()["conversations"] if any(m["text"] == text for m in c["messages"])]
    assert len(conv) == 1 and sum(m["text"] == text for m in conv[0]["messages"]) == 1
    # A server-side failure (500) is retried too, then shows a Retry button.
    page.unroute("**/api/v1/widget/messages")
    ask(page, "FAIL500 once")
    expect(page.locator(".pl-meta")).to_contain_text("retrying", timeout=15000)
    ctx.close()


def t_stream_resume(browser):
    ctx, page = new_page(browser)
    headers = []
    page.on("request", lambda r: "/widget/stream" in r.url and headers.append(r.headers.get("last-event-id")))
    page.goto(SITE + "/")
    page.get_by_test_id("parley-launcher").click()
    ask(page, "refund")
    expect(page.locator(MSG + "[data-sender=bot]")).to_have_count(1, timeout=10000)
    dev("/dev/drop")
    dev("/dev/agent?text=Sent+while+you+were+away")
    expect(page.locator(MSG + "[data-sender=agent]")).to_have_count(1, timeout=15000)
    page.wait_for_timeout(500)
    assert len(headers) >= 2 and headers[-1] and int(headers[-1]) >= 2, headers  # seq of the bot answer
    expect(page.locator(MSG)).to_have_count(3)  # nothing duplicated by the replay
    ids = page.eval_on_selector_all(MSG, "els => els.map(e => e.dataset.id)")
    assert len(ids) == len(set(ids)), ids
    ctx.close()


def t_markdown_safety(browser):
    ctx, page = new_page(browser)
    page.goto(SITE + "/")
    page.get_by_test_id("parley-launcher").click()
    ask(page, "xss test")
    bot = page.locator(MSG + "[data-sender=bot]")
    expect(bot).to_have_count(1, timeout=10000)
    res = bot.evaluate("""el => ({
      bad: el.querySelectorAll('script,img,iframe,[onerror]').length,
      hrefs: [...el.querySelectorAll('a')].map(a => a.getAttribute('href')),
      text: el.textContent})""")
    assert res["bad"] == 0, res
    assert all(h.startswith(("http://", "https://", "mailto:")) for h in res["hrefs"]), res
    assert "https://example.com/ok" in res["hrefs"], res
    assert "<script>alert(1)</script>" in res["text"] and "[click me](javascript:alert(3))" in res["text"], res
    src = page.get_by_test_id("parley-source")
    expect(src).to_have_count(1)  # the javascript: source is dropped
    expect(src).to_have_text("Source: Safe source")
    page.wait_for_timeout(300)
    assert not page.errors, page.errors
    ctx.close()


def t_new_tab_and_shutdown(browser):
    ctx, page = new_page(browser)
    page.goto(SITE + "/")
    page.get_by_test_id("parley-launcher").click()
    ask(page, "shipping")
    expect(page.locator(MSG + "[data-sender=bot]")).to_have_count(1, timeout=10000)
    tab = ctx.new_page()
    tab.goto(SITE + "/pricing")
    expect(tab.get_by_test_id("parley-launcher")).to_be_visible()
    expect(tab.get_by_test_id("parley-panel")).to_be_hidden()  # open state is per tab
    tab.get_by_test_id("parley-launcher").click()
    expect(tab.locator(MSG)).to_have_count(2)
    # A message from the second tab shows up live in the first.
    ask(tab, "hello from tab two")
    expect(page.locator(MSG + "[data-sender=visitor]")).to_have_count(2, timeout=10000)
    tab.evaluate("Parley('shutdown')")
    assert tab.evaluate("document.querySelector('parley-widget')") is None
    assert tab.evaluate("localStorage.getItem('parley:pk_demo')") is None
    tab.reload()
    tab.get_by_test_id("parley-launcher").click()
    expect(tab.locator(MSG)).to_have_count(0)  # a fresh session after shutdown
    ctx.close()


def t_data_attributes(browser):
    ctx, page = new_page(browser)
    page.goto(SITE + '/?attrs=data-position="left" data-color="%230f766e"')
    launcher = page.get_by_test_id("parley-launcher")
    expect(launcher).to_be_visible()
    box = launcher.bounding_box()
    assert box["x"] < 100, box
    assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(15, 118, 110)"
    ctx.close()
    ctx, page = new_page(browser)
    page.goto(SITE + '/?attrs=data-hide-launcher')
    page.wait_for_function("window.Parley && Parley.loaded")
    page.wait_for_selector("parley-widget", state="attached")
    expect(page.get_by_test_id("parley-launcher")).to_be_hidden()
    page.evaluate("Parley('open')")
    expect(page.get_by_test_id("parley-panel")).to_be_visible()
    ctx.close()


def t_composer(browser):
    ctx, page = new_page(browser)
    typing = []
    page.on("request", lambda r: "/widget/typing" in r.url and typing.append(r.post_data))
    page.goto(SITE + "/")
    page.get_by_test_id("parley-launcher").click()
    ask(page, "first")
    expect(page.locator(MSG + "[data-sender=bot]")).to_have_count(1, timeout=10000)
    inp = page.get_by_test_id("parley-input")
    inp.type("line one")
    inp.press("Shift+Enter")
    inp.type("line two")
    assert inp.input_value() == "line one\nline two"
    page.wait_for_timeout(3000)
    assert any('"typing":true' in t for t in typing) and any('"typing":false' in t for t in typing), typing
    page.get_by_test_id("parley-send").click()
    expect(page.locator(MSG + "[data-sender=visitor]").last).to_have_text("line one\nline two")
    assert inp.input_value() == ""
    ctx.close()


def t_closed_then_new_conversation(browser):
    ctx, page = new_page(browser)
    page.goto(SITE + "/")
    page.get_by_test_id("parley-launcher").click()
    ask(page, "human please")
    status = page.get_by_test_id("parley-status")
    expect(status).to_have_text("Waiting for a teammate…", timeout=10000)
    dev("/dev/assign?name=Grace")
    expect(status).to_have_text("Grace joined")
    dev("/dev/close")
    expect(status).to_have_text("Conversation closed")
    expect(page.get_by_test_id("parley-human")).to_be_visible()
    # A new message after a close starts a new conversation; the stream follows it.
    ask(page, "one more thing about refunds")
    expect(page.get_by_test_id("parley-source")).to_have_count(1, timeout=10000)
    expect(status).to_have_text("Bot · answers instantly")
    page.reload()
    expect(page.locator(MSG + "[data-sender=visitor]")).to_have_count(1)  # the latest conversation
    ctx.close()


TESTS = [t_isolation, t_js_api, t_spa_pageviews, t_retry_same_client_id, t_stream_resume,
         t_markdown_safety, t_new_tab_and_shutdown, t_data_attributes, t_composer,
         t_closed_then_new_conversation]

if __name__ == "__main__":
    only = sys.argv[1:]
    passed = failed = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for t in TESTS:
            if only and t.__name__ not in only:
                continue
            t0 = time.time()
            try:
                t(browser)
                passed += 1
                print(f"PASS {t.__name__} ({time.time() - t0:.1f}s)")
            except Exception:
                failed += 1
                print(f"FAIL {t.__name__}")
                traceback.print_exc()
        browser.close()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
