"""Read receipts: the visitor's and the agents' read marks, validated, stored and streamed."""

from __future__ import annotations

import httpx

from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer
from tests.sse import SSEReader


async def _handed_over(client: httpx.AsyncClient, v: Visitor) -> int:
    """A conversation waiting for a person (no bot turn racing the test's sequence numbers)."""
    await v.start()
    r = await client.post("/api/v1/widget/handoff", headers=v.headers)
    assert r.status_code == 200, r.text
    return int(r.json()["conversation"]["id"])


async def test_read_marks_are_validated_stored_and_streamed(server: RunningServer) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v, other = Visitor(server, client), Visitor(server, client)
        cid = await _handed_over(client, v)
        sent = (await v.say("where is my parcel?")).json()
        visitor_seq = sent["message"]["seq"]
        assert sent["conversation"]["agent_read_seq"] == 0

        # ---- validation: the agent side
        detail = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()
        last = max(m["seq"] for m in detail["messages"])
        assert detail["visitor_read_seq"] == 0 and detail["agent_read_seq"] == 0
        url = f"/api/v1/conversations/{cid}/read"
        for body, code in [
            ({"seq": last + 50}, 422),  # beyond the conversation
            ({"seq": -1}, 422),
            ({"seq": "soon"}, 422),
            ({}, 422),
        ]:
            r = await client.post(url, headers=auth, json=body)
            assert r.status_code == code, (body, r.text)
            assert r.json()["error"] == "InvalidInput"
        assert (await client.post(url, json={"seq": 1})).status_code == 401
        r = await client.post("/api/v1/conversations/99999999/read", headers=auth, json={"seq": 1})
        assert r.status_code == 404

        # ---- validation: the visitor side
        wurl = "/api/v1/widget/read"
        r = await client.post(
            wurl, headers=v.headers, json={"conversation_id": cid, "seq": last + 50}
        )
        assert r.status_code == 422 and r.json()["error"] == "InvalidInput"
        r = await client.post(wurl, headers=v.headers, json={"conversation_id": 0, "seq": 1})
        assert r.status_code == 422
        r = await client.post(wurl, headers=v.headers, json={"conversation_id": 99999999, "seq": 1})
        assert r.status_code == 404
        # Someone else's conversation looks like a missing one.
        await other.start()
        r = await client.post(wurl, headers=other.headers, json={"conversation_id": cid, "seq": 1})
        assert r.status_code == 404 and r.json()["error"] == "NotFound"
        assert (await client.post(wurl, json={"conversation_id": cid, "seq": 1})).status_code == 401
        # Nothing was stored by any of those.
        detail = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()
        assert detail["visitor_read_seq"] == 0 and detail["agent_read_seq"] == 0
        updated_at = detail["updated_at"]

        async with (
            SSEReader(client, "/api/v1/widget/stream", v.headers) as widget,
            SSEReader(client, "/api/v1/agent/stream", auth) as agents,
        ):
            # ---- an agent reads the visitor's message: the widget learns it live
            r = await client.post(url, headers=auth, json={"seq": visitor_seq})
            assert r.status_code == 200, r.text
            assert r.json() == {
                "conversation_id": cid,
                "visitor_read_seq": 0,
                "agent_read_seq": visitor_seq,
            }
            ev = (await widget.until(lambda e: e.event == "conversation.read"))[-1]
            assert ev.data["by"] == "agent" and ev.data["seq"] == visitor_seq
            assert ev.data["conversation_id"] == cid

            # ---- the agent replies; the visitor reads it: the console learns it live
            reply = await client.post(
                f"/api/v1/conversations/{cid}/messages",
                headers=auth,
                json={"client_message_id": "rr-1", "text": "It ships today."},
            )
            assert reply.status_code == 201
            agent_seq = reply.json()["seq"]
            r = await client.post(
                wurl, headers=v.headers, json={"conversation_id": cid, "seq": agent_seq}
            )
            assert r.status_code == 200, r.text
            assert r.json()["visitor_read_seq"] == agent_seq
            assert r.json()["agent_read_seq"] == visitor_seq
            ev = (
                await agents.until(
                    lambda e: e.event == "conversation.read" and e.data["by"] == "visitor"
                )
            )[-1]
            assert ev.data == {
                "conversation_id": cid,
                "by": "visitor",
                "seq": agent_seq,
                "agent_id": None,
            }

        # Marks never move back, and an unchanged mark records nothing.
        before = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()
        r = await client.post(url, headers=auth, json={"seq": 1})
        assert r.status_code == 200 and r.json()["agent_read_seq"] == visitor_seq
        r = await client.post(
            wurl, headers=v.headers, json={"conversation_id": cid, "seq": agent_seq}
        )
        assert r.status_code == 200 and r.json()["visitor_read_seq"] == agent_seq
        after = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()
        assert len(after["messages"]) == len(before["messages"])

        # Both marks survive a reload: the widget's session and the console's detail carry them.
        again = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        assert again["conversation"]["agent_read_seq"] == visitor_seq
        assert after["visitor_read_seq"] == agent_seq and after["agent_read_seq"] == visitor_seq
        # Reading is not activity: the inbox order (updated_at) moved only with the reply.
        assert after["updated_at"] != updated_at  # the reply touched it
        touched = after["updated_at"]
        r = await client.post(url, headers=auth, json={"seq": agent_seq})
        assert r.status_code == 200 and r.json()["agent_read_seq"] == agent_seq
        final = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()
        assert final["updated_at"] == touched
