"""Closing by the visitor and by inactivity, and reopening within (or after) the window."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlmodel import col

from app.conversations.models import Conversation, Message
from app.db import utcnow
from app.events.service import unit_of_work
from app.lifecycle.service import sweep
from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer


async def _conversation(v: Visitor) -> dict[str, Any]:
    r = await v.client.get("/api/v1/widget/conversation", headers=v.headers)
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


async def _until(v: Visitor, check: Any, timeout: float = 30) -> dict[str, Any]:
    """Poll the visitor's conversation until ``check`` holds."""
    for _ in range(int(timeout * 10)):
        data = await _conversation(v)
        if check(data):
            return data
        await asyncio.sleep(0.1)
    raise AssertionError(f"condition not met: {data}")


def _bot_answered(data: dict[str, Any]) -> bool:
    return bool(data["messages"]) and data["messages"][-1]["sender"] == "bot"


async def _age(conversation_id: int, minutes: int) -> None:
    """Make a conversation look ``minutes`` old: it and its messages were written then."""
    then = utcnow() - timedelta(minutes=minutes)
    async with unit_of_work() as s:
        await s.exec(
            update(Message)
            .where(col(Message.conversation_id) == conversation_id)
            .values(created_at=then)
        )
        await s.exec(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(created_at=then)
        )


async def _closed_events(client: httpx.AsyncClient, auth: dict[str, str], cid: int) -> list[dict]:
    r = await client.get(
        f"/api/v1/conversations/{cid}/transcript", params={"format": "json"}, headers=auth
    )
    assert r.status_code == 200
    return [e for e in r.json()["events"] if e["type"] == "conversation.closed"]


async def test_visitor_ends_the_chat(server: RunningServer) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()
        # Nothing to end yet.
        r = await client.post("/api/v1/widget/close", headers=v.headers)
        assert r.status_code == 409 and r.json()["error"] == "Conflict"
        await v.say("do gift cards expire?")
        await _until(v, _bot_answered)
        r = await client.post("/api/v1/widget/close", headers=v.headers)
        assert r.status_code == 200, r.text
        conv = r.json()["conversation"]
        assert conv["status"] == "closed" and conv["closed_at"] and conv["csat_rating"] is None
        data = await _conversation(v)
        assert data["messages"][-1]["text"] == "Conversation closed by the visitor."
        # Ending twice: nothing is open any more.
        again = await client.post("/api/v1/widget/close", headers=v.headers)
        assert again.status_code == 409
        closes = await _closed_events(client, auth, conv["id"])
        assert [(e["detail"]["by"]) for e in closes] == ["visitor"]
        # Without a token: 401.
        assert (await client.post("/api/v1/widget/close")).status_code == 401


async def test_inactivity_closes_then_the_visitor_reopens_within_the_window(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        quiet, busy = Visitor(server, client), Visitor(server, client)
        await quiet.start()
        await busy.start()
        await quiet.say("do gift cards expire?")
        await busy.say("what are your opening hours?")
        cid = (await _until(quiet, _bot_answered))["conversation"]["id"]
        busy_id = (await _until(busy, _bot_answered))["conversation"]["id"]

        await _age(cid, 31)  # 31 quiet minutes; the site default limit is 30
        await _age(busy_id, 29)
        await sweep()
        data = await _conversation(quiet)
        assert data["conversation"]["status"] == "closed"
        assert data["messages"][-1]["text"] == (
            "Conversation closed after 30 minutes without messages."
        )
        assert (await _conversation(busy))["conversation"]["status"] == "bot"
        closes = await _closed_events(client, auth, cid)
        assert closes[-1]["detail"] == {"by": "inactivity", "reason": "no messages for 30 minutes"}
        await sweep()  # a second sweep changes nothing for it
        assert len(await _closed_events(client, auth, cid)) == 1

        # Writing again within 24 hours reopens the same conversation, back to the bot.
        r = await quiet.say("and can I get a refund on one?")
        assert r.status_code == 201
        sent = r.json()
        assert sent["conversation"]["id"] == cid
        assert sent["conversation"]["status"] == "bot"
        data = await _until(quiet, _bot_answered)
        texts = [m["text"] for m in data["messages"]]
        assert "Conversation reopened." in texts
        assert data["conversation"]["id"] == cid and data["conversation"]["closed_at"] is None


async def test_after_the_window_a_new_conversation_starts(server: RunningServer) -> None:
    async with server.client() as client:
        v = Visitor(server, client)
        await v.start()
        await v.say("do gift cards expire?")
        first = (await _until(v, _bot_answered))["conversation"]["id"]
        assert (await client.post("/api/v1/widget/close", headers=v.headers)).status_code == 200
        async with unit_of_work() as s:
            await s.exec(
                update(Conversation)
                .where(col(Conversation.id) == first)
                .values(closed_at=utcnow() - timedelta(hours=25))
            )
        r = await v.say("hello again")
        assert r.status_code == 201
        assert r.json()["conversation"]["id"] != first
        assert r.json()["conversation"]["status"] == "bot"


async def test_reopen_goes_back_to_the_team_queue_when_a_person_had_it(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()
        await v.say("I want to talk to a human please")
        data = await _until(v, lambda d: d["conversation"]["status"] == "queued")
        cid = data["conversation"]["id"]
        r = await client.post(
            f"/api/v1/conversations/{cid}/messages",
            headers=auth,
            json={"client_message_id": "lc-1", "text": "Hi, Ada here."},
        )
        assert r.status_code == 201
        team = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()["team"]
        r = await client.post(f"/api/v1/conversations/{cid}/close", headers=auth)
        assert r.status_code == 200 and r.json()["status"] == "closed"
        closes = await _closed_events(client, auth, cid)
        assert closes[-1]["detail"]["by"] == "agent"

        r = await v.say("one more thing")
        assert r.json()["conversation"]["id"] == cid
        assert r.json()["conversation"]["status"] == "queued"
        detail = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()
        assert detail["status"] == "queued" and detail["assignee"] is None
        assert detail["team"] == team
        texts = [m["text"] for m in detail["messages"]]
        assert "Conversation reopened. Waiting for a teammate." in texts
        # The bot stays out of a conversation that is waiting for a person.
        await asyncio.sleep(1)
        detail = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()
        assert detail["messages"][-1]["text"] == "one more thing"


async def test_waiting_conversations_are_not_closed_and_sites_set_their_limits(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        site_id = (await client.get("/api/v1/sites", headers=auth)).json()[0]["id"]
        r = await client.get(f"/api/v1/sites/{site_id}/lifecycle", headers=auth)
        assert r.status_code == 200
        assert r.json() == {"inactivity_minutes": 30, "reopen_hours": 24}
        for bad in ({"inactivity_minutes": -1, "reopen_hours": 24}, {"reopen_hours": 2}):
            r = await client.put(f"/api/v1/sites/{site_id}/lifecycle", headers=auth, json=bad)
            assert r.status_code == 422
        assert (
            await client.put(
                "/api/v1/sites/999999/lifecycle",
                headers=auth,
                json={"inactivity_minutes": 10, "reopen_hours": 1},
            )
        ).status_code == 404

        waiting = Visitor(server, client)
        await waiting.start()
        r = await client.post("/api/v1/widget/handoff", headers=waiting.headers)
        assert r.status_code == 200
        wid = r.json()["conversation"]["id"]
        await _age(wid, 120)
        await sweep()
        assert (await _conversation(waiting))["conversation"]["status"] == "queued"

        # A site that never closes quiet conversations.
        r = await client.put(
            f"/api/v1/sites/{site_id}/lifecycle",
            headers=auth,
            json={"inactivity_minutes": 0, "reopen_hours": 24},
        )
        assert r.status_code == 200
        try:
            v = Visitor(server, client)
            await v.start()
            await v.say("do gift cards expire?")
            cid = (await _until(v, _bot_answered))["conversation"]["id"]
            await _age(cid, 600)
            await sweep()
            assert (await _conversation(v))["conversation"]["status"] == "bot"
        finally:
            r = await client.put(
                f"/api/v1/sites/{site_id}/lifecycle",
                headers=auth,
                json={"inactivity_minutes": 30, "reopen_hours": 24},
            )
            assert r.status_code == 200


async def test_a_reopened_conversation_gets_what_the_visitor_told_since_it_closed(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()
        await v.say("do gift cards expire?")
        cid = (await _until(v, _bot_answered))["conversation"]["id"]
        r = await client.post("/api/v1/widget/close", headers=v.headers)
        assert r.status_code == 200, r.text
        # Between the two chats the site tells us who this is (typed, so unverified).
        r = await client.post(
            "/api/v1/widget/identify",
            json={"name": "Grace Hopper", "email": "grace@example.com"},
            headers=v.headers,
        )
        assert r.status_code == 200, r.text
        r = await v.say("and can I get a refund on one?")
        assert r.status_code == 201 and r.json()["conversation"]["id"] == cid  # reopened
        r = await client.get(f"/api/v1/conversations/{cid}", headers=auth)
        assert r.status_code == 200, r.text
        agent_view = r.json()
        assert agent_view["visitor_name"] == "Grace Hopper"
        assert agent_view["context"]["email"] == "grace@example.com"
        assert agent_view["context"]["email_verified"] is False
