"""An agent typing a reply: the other agents' stream says who; the visitor's says only
that a teammate is typing."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer
from tests.sse import SSEEvent, SSEReader

PASSWORD = "typing-password-1"


async def test_other_agents_see_who_is_typing_and_the_visitor_sees_no_name(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        admin = {"Authorization": f"Bearer {await agent_token(client)}"}
        me = (await client.get("/api/v1/agents/me", headers=admin)).json()
        email = f"bo-{uuid.uuid4().hex[:8]}@example.com"
        r = await client.post(
            "/api/v1/agents",
            headers=admin,
            json={"name": "Bo Typist", "email": email, "role": "agent", "password": PASSWORD},
        )
        assert r.status_code == 201, r.text
        bo_id = r.json()["id"]
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        bo = {"Authorization": f"Bearer {login.json()['access_token']}"}
        try:
            v = Visitor(server, client)
            await v.start()
            r = await client.post("/api/v1/widget/handoff", headers=v.headers)
            cid = r.json()["conversation"]["id"]

            async with (
                SSEReader(client, "/api/v1/agent/stream", bo) as bo_stream,
                SSEReader(client, "/api/v1/widget/stream", v.headers) as visitor_stream,
            ):
                r = await client.post(
                    f"/api/v1/conversations/{cid}/typing", headers=admin, json={"typing": True}
                )
                assert r.status_code == 204

                def typing(on: bool) -> Callable[[SSEEvent], bool]:
                    return lambda e: (
                        e.event == "typing"
                        and e.data["conversation_id"] == cid
                        and e.data["typing"] is on
                    )

                seen = await bo_stream.until(typing(True))
                assert seen[-1].data == {
                    "conversation_id": cid,
                    "sender": "agent",
                    "typing": True,
                    "agent": {"id": me["id"], "name": "Ada Admin"},
                }
                # The visitor is told a teammate is typing, not which agent.
                seen = await visitor_stream.until(typing(True))
                assert seen[-1].data == {"conversation_id": cid, "sender": "agent", "typing": True}

                # And when they stop, the other agents hear it from the same agent.
                r = await client.post(
                    f"/api/v1/conversations/{cid}/typing", headers=admin, json={"typing": False}
                )
                assert r.status_code == 204
                seen = await bo_stream.until(typing(False))
                assert seen[-1].data["agent"] == {"id": me["id"], "name": "Ada Admin"}
                await visitor_stream.until(typing(False))

            # Only agents: no token, no typing; a visitor's token is not an agent's.
            r = await client.post(f"/api/v1/conversations/{cid}/typing", json={"typing": True})
            assert r.status_code == 401
            r = await client.post(
                f"/api/v1/conversations/{cid}/typing", headers=v.headers, json={"typing": True}
            )
            assert r.status_code == 401
        finally:
            await client.patch(f"/api/v1/agents/{bo_id}", headers=admin, json={"is_active": False})
