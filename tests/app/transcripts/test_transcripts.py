"""Transcript export: JSON with stable keys, and an HTML document that runs nothing."""

from __future__ import annotations

import httpx

from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)> [click](javascript:alert(2))'
TOP_KEYS = {"format", "audience", "exported_at", "conversation", "messages", "events"}
CONV_KEYS = {
    "id",
    "site",
    "status",
    "created_at",
    "closed_at",
    "visitor_name",
    "assignee",
    "team",
    "intent",
    "language",
    "handoff",
    "csat",
}
MESSAGE_KEYS = {"id", "seq", "sender", "author", "text", "created_at", "sources", "attachments"}
EVENT_KEYS = {"seq", "type", "created_at", "detail"}


def _download_headers(r: httpx.Response, ext: str, cid: int) -> None:
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == (
        f'attachment; filename="parley-conversation-{cid}.{ext}"'
    )
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_transcripts_for_agents_and_visitors(server: RunningServer) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()
        r = await client.post("/api/v1/widget/handoff", headers=v.headers)
        cid = r.json()["conversation"]["id"]
        assert (await v.say(XSS)).status_code == 201
        r = await client.post(
            f"/api/v1/conversations/{cid}/messages",
            headers=auth,
            json={
                "client_message_id": "tr-1",
                "text": "**Sorry** about that. See [our policy](https://example.com/refunds).",
            },
        )
        assert r.status_code == 201
        assert (await client.post("/api/v1/widget/close", headers=v.headers)).status_code == 200
        r = await client.post(
            "/api/v1/widget/csat",
            headers=v.headers,
            json={"conversation_id": cid, "rating": 5, "comment": "<b>great</b>"},
        )
        assert r.status_code == 201

        # ---- agent JSON: everything, stable keys
        r = await client.get(
            f"/api/v1/conversations/{cid}/transcript", headers=auth, params={"format": "json"}
        )
        _download_headers(r, "json", cid)
        assert r.headers["content-type"].startswith("application/json")
        t = r.json()
        assert set(t) == TOP_KEYS and t["format"] == "parley.transcript/1"
        assert t["audience"] == "agent"
        assert set(t["conversation"]) == CONV_KEYS
        c = t["conversation"]
        assert c["id"] == cid and c["status"] == "closed" and c["closed_at"]
        assert c["handoff"]["reason"] == "visitor_requested"
        assert c["csat"]["rating"] == 5 and c["csat"]["comment"] == "<b>great</b>"
        assert all(set(m) == MESSAGE_KEYS for m in t["messages"])
        assert all(set(e) == EVENT_KEYS for e in t["events"])
        texts = [m["text"] for m in t["messages"]]
        assert XSS in texts  # stored and exported verbatim: escaping is the renderer's job
        assert [m["sender"] for m in t["messages"]].count("agent") == 1
        assert all(m["attachments"] == [] for m in t["messages"])
        types = [e["type"] for e in t["events"]]
        assert "conversation.closed" in types and "csat.submitted" in types
        assert "message.created" not in types  # messages are listed once, above
        closed = next(e for e in t["events"] if e["type"] == "conversation.closed")
        assert closed["detail"]["by"] == "visitor"
        seqs = [m["seq"] for m in t["messages"]]
        assert seqs == sorted(seqs)

        # ---- agent HTML: escaped, nothing runs, markdown rendered safely
        r = await client.get(f"/api/v1/conversations/{cid}/transcript", headers=auth)
        _download_headers(r, "html", cid)
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert "default-src 'none'" in r.headers["content-security-policy"]
        page = r.text
        assert page.startswith("<!DOCTYPE html>")
        lower = page.lower()
        assert "<script" not in lower and "<img" not in lower
        # The javascript: link stays text: no link is made of it.
        assert 'href="javascript:' not in lower and "[click](javascript:alert(2))" in page
        assert "&lt;script&gt;" in page
        assert "<strong>Sorry</strong>" in page
        assert '<a href="https://example.com/refunds">our policy</a>' in page
        assert "&lt;b&gt;great&lt;/b&gt;" in page and "<b>great</b>" not in page
        assert "<style" not in lower and "<link" not in lower  # inline styles only
        assert "Rating" in page and "5/5" in page

        # ---- visitor: their own conversation only, what their widget showed
        r = await client.get(
            "/api/v1/widget/transcript", headers=v.headers, params={"format": "json"}
        )
        _download_headers(r, "json", cid)
        vt = r.json()
        assert set(vt) == TOP_KEYS and vt["audience"] == "visitor"
        assert set(vt["conversation"]) == CONV_KEYS
        assert vt["conversation"]["handoff"] is None and vt["conversation"]["intent"] is None
        assert [m["text"] for m in vt["messages"]] == texts
        # Agent-only events (how it was closed) stay out.
        assert "conversation.closed" not in [e["type"] for e in vt["events"]]
        r = await client.get(
            "/api/v1/widget/transcript", headers=v.headers, params={"conversation_id": cid}
        )
        _download_headers(r, "html", cid)
        assert "<script" not in r.text.lower()

        other = Visitor(server, client)
        await other.start()
        r = await client.get(
            "/api/v1/widget/transcript", headers=other.headers, params={"conversation_id": cid}
        )
        assert r.status_code == 404
        r = await client.get("/api/v1/widget/transcript", headers=other.headers)
        assert r.status_code == 404  # no conversation yet
        bad = await client.get(
            "/api/v1/widget/transcript", headers=v.headers, params={"format": "pdf"}
        )
        assert bad.status_code == 422
        assert (await client.get(f"/api/v1/conversations/{cid}/transcript")).status_code == 401
        r = await client.get("/api/v1/conversations/99999999/transcript", headers=auth)
        assert r.status_code == 404
