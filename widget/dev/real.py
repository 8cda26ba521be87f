"""Dev-only: drive the widget on a running Parley server's /demo page (real backend).

    /work/main/.venv/bin/python dev/real.py --base http://127.0.0.1:8000 \
        --email admin@parley.local --password ...

Visitor flow in Chromium + agent actions over the console API (login, assign,
typing, reply); screenshots go to dev/shots/real-*.png.
"""
import argparse
import json
import os
import urllib.request

from playwright.sync_api import expect, sync_playwright

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "shots")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
MSG = "[data-testid=parley-message]:not([data-streaming])"

ap = argparse.ArgumentParser()
ap.add_argument("--base", default="http://127.0.0.1:8000")
ap.add_argument("--email", default="admin@parley.local")
ap.add_argument("--password", required=True)
ap.add_argument("--sizes", default="1280x800,390x844")
opts = ap.parse_args()
os.makedirs(OUT, exist_ok=True)


def api(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(opts.base + path, method=method, headers=headers,
                                 data=None if body is None else json.dumps(body).encode())
    raw = urllib.request.urlopen(req).read()
    return json.loads(raw) if raw else None


def run(pw, w, h, agent_token):
    tag = f"real-{w}x{h}"
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    ctx = browser.new_context(viewport={"width": w, "height": h}, is_mobile=w < 500, has_touch=w < 500)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and "favicon" not in m.location.get("url", "") and errors.append(m.text))

    def shot(name):
        page.wait_for_timeout(350)
        path = os.path.join(OUT, f"{tag}-{name}.png")
        page.screenshot(path=path)
        print("  ", path)

    page.goto(opts.base + "/demo")
    launcher = page.get_by_test_id("parley-launcher")
    expect(launcher).to_be_visible()
    shot("1-closed")
    launcher.click()
    expect(page.get_by_test_id("parley-panel")).to_be_visible()
    shot("2-open-greeting")

    inp = page.get_by_test_id("parley-input")
    inp.fill("How long does shipping take?")
    inp.press("Enter")
    expect(page.get_by_test_id("parley-source").first).to_be_visible(timeout=20000)
    shot("3-bot-answer-with-source")

    inp.fill("Can I return an e-bike if it doesn't fit?")
    inp.press("Enter")
    try:
        page.locator("[data-streaming=true]").wait_for(timeout=10000)
        page.screenshot(path=os.path.join(OUT, f"{tag}-4-streaming.png"))
        print("   streaming bubble seen")
    except Exception:
        print("   (answer arrived without a visible streaming phase)")
    expect(page.locator(MSG + "[data-sender=bot]")).to_have_count(2, timeout=20000)

    token = page.evaluate("localStorage.getItem('parley:pk_demo')")
    conv = api("GET", "/api/v1/widget/conversation", token=token)["conversation"]
    page.get_by_test_id("parley-human").click()
    expect(page.get_by_test_id("parley-status")).to_have_text("Waiting for a teammate…", timeout=10000)
    shot("5-waiting-for-human")

    me = api("GET", "/api/v1/agents/me", token=agent_token)
    api("POST", f"/api/v1/conversations/{conv['id']}/assign", {"agent_id": None}, token=agent_token)
    expect(page.get_by_test_id("parley-status")).to_have_text(f"{me['name']} joined", timeout=10000)
    api("POST", f"/api/v1/conversations/{conv['id']}/typing", {"typing": True}, token=agent_token)
    expect(page.get_by_test_id("parley-typing")).to_be_visible(timeout=10000)
    shot("6-agent-typing")
    api("POST", f"/api/v1/conversations/{conv['id']}/messages",
        {"client_message_id": os.urandom(8).hex(), "text": "Hi! I can help with that — what's your order number?"},
        token=agent_token)
    expect(page.locator(MSG + "[data-sender=agent]")).to_have_count(1, timeout=10000)
    shot("7-agent-replied")

    n = page.locator(MSG).count()
    page.goto(opts.base + "/demo/shipping")  # navigation: same conversation, panel still open
    expect(page.get_by_test_id("parley-panel")).to_be_visible()
    expect(page.locator(MSG)).to_have_count(n)
    expect(page.get_by_test_id("parley-status")).to_contain_text(me["name"])

    assert not errors, errors
    ctx.close()
    browser.close()


agent = api("POST", "/api/v1/auth/login", {"email": opts.email, "password": opts.password})["access_token"]
with sync_playwright() as pw:
    for size in opts.sizes.split(","):
        w, h = map(int, size.split("x"))
        print(size)
        run(pw, w, h, agent)
print("real OK")
