"""An agent hands a conversation back to the bot, which resumes on the visitor's next message."""

from __future__ import annotations

from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer
from tests.sse import SSEReader


async def test_agent_hands_back_and_the_bot_answers_with_context(server: RunningServer) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()
        await v.say("My order NW-48213 is late, I want to talk to a human")
        async with SSEReader(client, "/api/v1/widget/stream", v.headers) as stream:
            await stream.until(
                lambda e: (
                    e.event == "conversation.updated"
                    and e.data["conversation"]["status"] == "queued"
                )
            )
            convo = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
            conv_id = convo["conversation"]["id"]
            r = await client.post(
                f"/api/v1/conversations/{conv_id}/messages",
                headers=auth,
                json={"client_message_id": "hb-1", "text": "It ships tomorrow. Anything else?"},
            )
            assert r.status_code == 201

            r = await client.post(f"/api/v1/conversations/{conv_id}/handback", headers=auth)
            assert r.status_code == 200
            row = r.json()
            assert row["status"] == "bot" and row["assignee"] is None
            # The visitor sees the system message and the status change live.
            seen = await stream.until(
                lambda e: (
                    e.event == "conversation.updated" and e.data["conversation"]["status"] == "bot"
                )
            )
            system = [
                e.data["text"]
                for e in seen
                if e.event == "message.created" and e.data["sender"] == "system"
            ]
            assert "Ada Admin handed the conversation back to the bot." in system
            # Handing back twice changes nothing.
            again = await client.post(f"/api/v1/conversations/{conv_id}/handback", headers=auth)
            assert again.status_code == 200 and again.json()["status"] == "bot"

            # The visitor's next message resumes the paused graph and is answered.
            await v.say("do gift cards expire?")
            answered = await stream.until(
                lambda e: (
                    e.event == "message.created"
                    and e.data["sender"] == "bot"
                    and "expire" in e.data["text"]
                )
            )
            bot = answered[-1].data
            assert bot["sources"][0]["url"].endswith("/help/gift-cards")
            assert any(e.event == "bot.delta" for e in answered)

        detail = (await client.get(f"/api/v1/conversations/{conv_id}", headers=auth)).json()
        assert detail["status"] == "bot"
        # The handoff stays on record, with when and by whom it was handed back.
        assert detail["handoff"]["reason"] == "human_request"
        assert detail["handoff"]["handed_back_by"] == "Ada Admin"
        senders = [m["sender"] for m in detail["messages"]]
        assert senders.count("system") >= 2 and senders[-1] == "bot"


async def test_handback_needs_an_open_conversation_and_an_agent(server: RunningServer) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()
        await v.say("agent please")
        convo = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        conv_id = convo["conversation"]["id"]
        assert (await client.post(f"/api/v1/conversations/{conv_id}/handback")).status_code == 401
        missing = await client.post("/api/v1/conversations/999999/handback", headers=auth)
        assert missing.status_code == 404 and missing.json()["error"] == "NotFound"
        await client.post(f"/api/v1/conversations/{conv_id}/close", headers=auth)
        closed = await client.post(f"/api/v1/conversations/{conv_id}/handback", headers=auth)
        assert closed.status_code == 409 and closed.json()["error"] == "Conflict"
