"""Read receipts ("Seen", "Read") are not part of a transcript, in JSON as in HTML."""

from __future__ import annotations

from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer


async def test_read_marks_stay_out_of_both_transcripts(server: RunningServer) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()
        r = await client.post("/api/v1/widget/handoff", headers=v.headers)
        cid = r.json()["conversation"]["id"]
        sent = await v.say("Is my order on its way?")
        assert sent.status_code == 201
        r = await client.post(
            f"/api/v1/conversations/{cid}/read",
            headers=auth,
            json={"seq": sent.json()["message"]["seq"]},
        )
        assert r.status_code == 200 and r.json()["agent_read_seq"] > 0
        reply = await client.post(
            f"/api/v1/conversations/{cid}/messages",
            headers=auth,
            json={"client_message_id": "read-marks-1", "text": "Yes, it ships today."},
        )
        assert reply.status_code == 201
        r = await client.post(
            "/api/v1/widget/read",
            headers=v.headers,
            json={"conversation_id": cid, "seq": reply.json()["seq"]},
        )
        assert r.status_code == 200 and r.json()["visitor_read_seq"] == reply.json()["seq"]

        visitor = (
            await client.get(
                "/api/v1/widget/transcript", headers=v.headers, params={"format": "json"}
            )
        ).json()
        agent = (
            await client.get(
                f"/api/v1/conversations/{cid}/transcript", headers=auth, params={"format": "json"}
            )
        ).json()
        for t in (visitor, agent):
            types = [e["type"] for e in t["events"]]
            assert "conversation.read" not in types, (t["audience"], types)
            # The conversation itself is all there: both messages, and the status changes.
            texts = [m["text"] for m in t["messages"]]
            assert texts[0] == "Is my order on its way?" and texts[-1] == "Yes, it ships today."
            assert "conversation.updated" in types
