"""The widget API as a visitor (and a hostile visitor) uses it."""

from __future__ import annotations

import asyncio
import uuid

from tests.app.helpers import Visitor
from tests.conftest import RunningServer


async def test_session_resumes_with_its_token_and_captures_context(server: RunningServer) -> None:
    async with server.client() as client:
        v = Visitor(server, client)
        first = await v.start()
        assert first["site"]["name"] == "Northwind Cycles"
        assert first["conversation"] is None
        # A reload sends the stored token: same session, not a new visitor.
        again = await v.start(url="/checkout")
        assert again["session_id"] == first["session_id"]
        r = await v.say("Hello there")
        assert r.status_code == 201
        conv = r.json()["conversation"]
        assert conv["status"] in ("bot", "queued")
        # The conversation carries the captured context for agents.
        from tests.app.helpers import agent_token

        token = await agent_token(client)
        detail = (
            await client.get(
                f"/api/v1/conversations/{conv['id']}", headers={"Authorization": f"Bearer {token}"}
            )
        ).json()
        ctx = detail["context"]
        assert ctx["device"] == "mobile"
        assert ctx["browser"].startswith("Mobile Safari")
        assert ctx["os"].startswith("iOS")
        assert ctx["utm"] == {"utm_source": "newsletter", "utm_campaign": "spring"}
        assert ctx["referrer"] == "https://news.example.org/"
        assert ctx["url"] == f"{v.origin}/checkout", "agents see the page the visitor is on now"
        assert ctx["landing_url"].endswith("/pricing?utm_source=newsletter&utm_campaign=spring")
        trail = [p["url"] for p in detail["page_views"]]
        assert trail[-2:] == [
            f"{v.origin}/pricing?utm_source=newsletter&utm_campaign=spring",
            f"{v.origin}/checkout",
        ]


async def test_resending_a_message_is_idempotent(server: RunningServer) -> None:
    async with server.client() as client:
        v = Visitor(server, client)
        await v.start()
        cid = str(uuid.uuid4())
        first, second = await asyncio.gather(
            v.say("Where is my order?", cid), v.say("Where is my order?", cid)
        )
        assert sorted([first.status_code, second.status_code]) == [200, 201]
        assert first.json()["message"]["id"] == second.json()["message"]["id"]
        third = await v.say("Where is my order?", cid)
        assert third.status_code == 200
        convo = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        visitor_msgs = [m for m in convo["messages"] if m["sender"] == "visitor"]
        assert len(visitor_msgs) == 1


async def test_bad_input_gets_clear_4xx_and_loses_nothing(server: RunningServer) -> None:
    async with server.client() as client:
        v = Visitor(server, client)
        await v.start()
        ok = await v.say("First real message")
        assert ok.status_code == 201
        for body in (
            {"client_message_id": str(uuid.uuid4()), "text": "   "},
            {"client_message_id": str(uuid.uuid4()), "text": "x" * 5001},
            {"client_message_id": "has spaces and <script>", "text": "hi"},
            {"text": "no id"},
            {"client_message_id": str(uuid.uuid4()), "text": 42},
        ):
            r = await client.post("/api/v1/widget/messages", headers=v.headers, json=body)
            assert r.status_code == 422, body
            assert r.json()["error"] == "InvalidInput"
        r = await client.post(
            "/api/v1/widget/messages",
            headers={**v.headers, "Content-Type": "application/json"},
            content=b"{not json",
        )
        assert r.status_code == 422
        convo = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        texts = [m["text"] for m in convo["messages"] if m["sender"] == "visitor"]
        assert texts == ["First real message"]


async def test_tokens_are_required_bound_and_never_cross_visitors(server: RunningServer) -> None:
    async with server.client() as client:
        alice, bob = Visitor(server, client), Visitor(server, client)
        await alice.start()
        await bob.start()
        await alice.say("My order NW-55555 is late, my email is alice@example.com")
        r = await client.get("/api/v1/widget/conversation", headers={"Origin": alice.origin})
        assert r.status_code == 401 and r.json()["error"] == "Unauthorized"
        r = await client.get(
            "/api/v1/widget/conversation",
            headers={"Origin": alice.origin, "Authorization": "Bearer forged.token.x"},
        )
        assert r.status_code == 401
        bobs = (await client.get("/api/v1/widget/conversation", headers=bob.headers)).json()
        assert bobs["conversation"] is None and bobs["messages"] == []
        # A visitor token is not an agent token.
        r = await client.get(
            "/api/v1/conversations", headers={"Authorization": f"Bearer {alice.token}"}
        )
        assert r.status_code == 401


async def test_unknown_site_and_foreign_origin_are_refused(server: RunningServer) -> None:
    async with server.client() as client:
        r = await client.post(
            "/api/v1/widget/session",
            headers={"Origin": server.host_origin},
            json={"site_key": "pk_nope"},
        )
        assert r.status_code == 404
        r = await client.post(
            "/api/v1/widget/session",
            headers={"Origin": "https://evil.example"},
            json={"site_key": server.settings.demo_site_key},
        )
        assert r.status_code == 403 and r.json()["error"] == "Forbidden"
        # CORS pre-flight: allowed origin gets the headers, a foreign one does not.
        ok = await client.options(
            "/api/v1/widget/messages",
            headers={"Origin": server.host_origin, "Access-Control-Request-Method": "POST"},
        )
        assert ok.status_code == 204
        assert ok.headers["access-control-allow-origin"] == server.host_origin
        bad = await client.options(
            "/api/v1/widget/messages",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in bad.headers
        # The session call alone lets a foreign page read its refusal, so the widget can
        # stop quietly (one warning) instead of retrying a call the browser blocked.
        pre = await client.options(
            "/api/v1/widget/session",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert pre.status_code == 204
        assert pre.headers["access-control-allow-origin"] == "https://evil.example"
        assert "Content-Type" in pre.headers["access-control-allow-headers"]
        assert r.headers["access-control-allow-origin"] == "https://evil.example"
        assert "not allowed" in r.json()["detail"]


async def test_stream_opened_before_the_first_message_follows_the_new_conversation(
    server: RunningServer,
) -> None:
    from tests.sse import SSEReader

    async with server.client() as client:
        v = Visitor(server, client)
        await v.start()
        async with SSEReader(client, "/api/v1/widget/stream", v.headers) as stream:
            assert stream.status == 200
            await v.say("Hello!")
            first = await stream.next("message.created")
            assert first.id == "2" and first.data["text"] == "Hello!"
