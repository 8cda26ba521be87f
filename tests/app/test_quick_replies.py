"""Quick replies and departments over real HTTP and SSE: stored, replayed, shown to agents."""

from __future__ import annotations

from typing import Any

import httpx

from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer
from tests.sse import SSEReader

# Against the demo knowledge base "discount" is ambiguous between two articles.
CLARIFYING_QUESTION = "discount"
CHOICES = ["Discounts, promo codes and sales", "Price match guarantee"]


async def bot_reply(client: httpx.AsyncClient, v: Visitor, text: str) -> dict[str, Any]:
    """Send a message and wait for the bot's stored answer to it."""
    async with SSEReader(client, "/api/v1/widget/stream", v.headers) as stream:
        sent = await v.say(text)
        assert sent.status_code == 201, sent.text
        seq = sent.json()["message"]["seq"]
        events = await stream.until(
            lambda e: (
                e.event == "message.created" and e.data["sender"] == "bot" and e.data["seq"] > seq
            )
        )
    return dict(events[-1].data)


async def test_clarification_offers_stored_quick_replies_and_a_tap_gets_the_answer(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()
        ask = await bot_reply(client, v, CLARIFYING_QUESTION)
        assert ask["quick_replies"] == CHOICES
        assert ask["sources"] == []

        # Stored: the visitor's reload, a replay from the start, and the agent all see them.
        mine = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        stored = next(m for m in mine["messages"] if m["id"] == ask["id"])
        assert stored["quick_replies"] == CHOICES
        resumed = await v.start()
        assert [m["quick_replies"] for m in resumed["messages"] if m["id"] == ask["id"]] == [
            CHOICES
        ]
        async with SSEReader(
            client, "/api/v1/widget/stream", {**v.headers, "Last-Event-ID": "0"}
        ) as replay:
            again = await replay.until(
                lambda e: e.event == "message.created" and e.data["id"] == ask["id"]
            )
        assert again[-1].data["quick_replies"] == CHOICES
        conv_id = ask["conversation_id"]
        detail = (await client.get(f"/api/v1/conversations/{conv_id}", headers=auth)).json()
        assert [m["quick_replies"] for m in detail["messages"] if m["sender"] == "bot"] == [CHOICES]
        # Other messages carry none.
        assert all(m["quick_replies"] == [] for m in detail["messages"] if m["sender"] != "bot")

        # The visitor taps the first choice: its label is their message, the bot answers
        # from that article, and offers nothing more.
        answer = await bot_reply(client, v, CHOICES[0])
        assert [s["slug"] for s in answer["sources"]] == ["discounts-and-promotions"]
        assert answer["quick_replies"] == []
        detail = (await client.get(f"/api/v1/conversations/{conv_id}", headers=auth)).json()
        visitor_texts = [m["text"] for m in detail["messages"] if m["sender"] == "visitor"]
        assert visitor_texts == [CLARIFYING_QUESTION, CHOICES[0]]


async def test_talk_to_a_person_is_offered_after_an_unhelpful_answer(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()
        first = await bot_reply(client, v, "How long does a refund take?")
        assert first["quick_replies"] == []
        sorry = await bot_reply(client, v, "that didn't help at all")
        assert sorry["quick_replies"] == ["Talk to a person"]
        # Tapping it hands over; the handoff message offers no buttons.
        handoff = await bot_reply(client, v, sorry["quick_replies"][0])
        assert handoff["quick_replies"] == []
        conv_id = handoff["conversation_id"]
        detail = (await client.get(f"/api/v1/conversations/{conv_id}", headers=auth)).json()
        assert detail["status"] == "queued"
        assert detail["handoff"]["reason"] == "human_request"
        assert detail["team"] == detail["handoff"]["department"] == "support"


async def test_escalation_records_the_department_as_the_team(server: RunningServer) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()
        reply = await bot_reply(client, v, "I was charged twice for my order NW-55120")
        conv_id = reply["conversation_id"]
        detail = (await client.get(f"/api/v1/conversations/{conv_id}", headers=auth)).json()
        assert detail["status"] == "queued"
        assert detail["handoff"]["reason"] == "billing_dispute"
        assert detail["team"] == "billing"
        assert detail["handoff"]["department"] == "billing"
        # The inbox row carries it too, and the visitor's view does not.
        listing = (await client.get("/api/v1/conversations?view=all", headers=auth)).json()
        assert next(i for i in listing["items"] if i["id"] == conv_id)["team"] == "billing"
        mine = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        assert "team" not in mine["conversation"]
