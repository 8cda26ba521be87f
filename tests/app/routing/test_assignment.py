"""Assignment on a real server (SQLite + in-process bus, PostgreSQL + Redis): rules route an
escalation, least-loaded and round-robin within capacity and availability, the queue by
priority then wait, draining, idle re-assignment, transfers with private notes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from app.db import utcnow
from app.routing.worker import sweep
from tests.app.routing.helpers import (
    assignee,
    detail,
    escalated,
    event_types,
    set_agent_times,
    set_conversation,
    staff,
    token,
)
from tests.conftest import RunningServer
from tests.sse import SSEReader


async def test_a_rule_routes_to_the_least_loaded_online_agent_then_the_queue(
    server: RunningServer,
) -> None:
    async with staff(server) as st:
        key, page = f"vip{token()}", f"/vip-{token()}"
        await st.team(key, "VIP desk")
        await st.agent("Ann", teams=[key], capacity=2)
        await st.agent("Bob", teams=[key], capacity=2)
        await st.agent("Cyd", teams=[key], capacity=5)  # offline: never picked
        await st.agent("Dee", capacity=5)  # online but not in the team
        await st.set("Ann", "online")
        await st.set("Bob", "online")
        await st.set("Dee", "online")
        await st.rule(
            {
                "name": "VIP pages",
                "conditions": [{"field": "page", "match": "contains", "value": page}],
                "actions": {"team": key, "priority": 1, "labels": ["vip", "priority desk"]},
            }
        )

        visitors = [await escalated(server, st.client, page) for _ in range(5)]
        ids = [v.conversation_id for v in visitors]  # type: ignore[attr-defined]
        # 0/0 → Ann (never assigned, lower id); 1/0 → Bob; 1/1 → Ann (idle longer); ...
        assert [await assignee(st, i) for i in ids[:4]] == ["Ann", "Bob", "Ann", "Bob"]
        d = await detail(st, ids[4])
        assert d["status"] == "queued" and d["assignee"] is None
        assert d["team"] == key and d["priority"] == 1
        assert d["labels"] == ["vip", "priority desk"]

        first = await detail(st, ids[0])
        kinds = [a["kind"] for a in first["activity"]]
        assert kinds == ["decided", "assigned"]
        decided, assigned = first["activity"]
        assert decided["rule"]["name"] == "VIP pages" and decided["default"] is False
        assert decided["reasons"] == [f"page contains {page}"]
        assert "Rule “VIP pages”" in decided["text"]
        assert assigned["agent"]["name"] == "Ann" and assigned["strategy"] == "least_loaded"
        assert "least loaded: 0 open chats" in assigned["text"]
        queued = await detail(st, ids[4])
        assert [a["kind"] for a in queued["activity"]] == ["decided", "queued"]

        # Routing notes are for agents: stored as not visitor-visible, never streamed to them.
        routing = [(t, vis) for t, vis in await event_types(ids[0]) if t.startswith("routing.")]
        assert routing and all(vis is False for _, vis in routing)
        async with SSEReader(st.client, "/api/v1/widget/stream", visitors[0].headers) as stream:
            seen = await stream.until(
                lambda e: (
                    e.event == "conversation.updated"
                    and e.data["conversation"]["status"] == "assigned"
                )
            )
            assert not [e for e in seen if e.event.startswith("routing.")]
            assert all("agent" not in e.data and "labels" not in e.data for e in seen)

        # The fifth visitor waits first in line.
        q = (await st.client.get("/api/v1/widget/queue", headers=visitors[4].headers)).json()
        assert q["queued"] is True and q["position"] == 1 and q["agents_online"] == 2
        assert q["team"] == key

        # Ann closes one: she has room, the queue drains to her.
        r = await st.client.post(
            f"/api/v1/conversations/{ids[0]}/close", headers=st.agents["Ann"]["headers"]
        )
        assert r.status_code == 200, r.text
        assert await assignee(st, ids[4]) == "Ann"
        drained = await detail(st, ids[4])
        assert drained["activity"][-1]["kind"] == "assigned"
        assert "from the queue" in drained["activity"][-1]["text"]
        q = (await st.client.get("/api/v1/widget/queue", headers=visitors[4].headers)).json()
        assert q == {**q, "queued": False, "position": None}


async def test_round_robin_takes_turns_and_skips_the_full(server: RunningServer) -> None:
    async with staff(server) as st:
        key, page = f"rr{token()}", f"/rr-{token()}"
        await st.team(key, assignment="round_robin")
        for name, cap in (("Rae", 5), ("Sam", 1), ("Tia", 5)):
            await st.agent(name, teams=[key], capacity=cap)
            await st.set(name, "online")
        await st.rule(
            {
                "name": "RR",
                "conditions": [{"field": "page", "value": page}],
                "actions": {"team": key},
            }
        )
        got = []
        for _ in range(5):
            v = await escalated(server, st.client, page)
            got.append(await assignee(st, v.conversation_id))  # type: ignore[attr-defined]
        # Sam is full after one: the turn passes over him.
        assert got == ["Rae", "Sam", "Tia", "Rae", "Tia"]
        d = await detail(st, v.conversation_id)  # type: ignore[attr-defined]
        assert d["activity"][-1]["strategy"] == "round_robin"


async def test_availability_capacity_and_the_queue_order(server: RunningServer) -> None:
    async with staff(server) as st:
        key, page, urgent = f"q{token()}", f"/q-{token()}", f"/urgent-{token()}"
        await st.team(key)
        await st.agent("Uma", teams=[key], capacity=2)
        await st.agent("Vic", teams=[key], capacity=0)
        await st.set("Vic", "online")  # online, but no room at all
        await st.set("Uma", "away")
        await st.rule(
            {
                "name": "Urgent",
                "conditions": [{"field": "page", "value": urgent}],
                "actions": {"team": key, "priority": 2},
            }
        )
        await st.rule(
            {
                "name": "Queue",
                "conditions": [{"field": "page", "value": page}],
                "actions": {"team": key},
            }
        )
        normal1 = await escalated(server, st.client, page)
        normal2 = await escalated(server, st.client, page)
        hot = await escalated(server, st.client, urgent)
        ids = [x.conversation_id for x in (normal1, normal2, hot)]  # type: ignore[attr-defined]
        for i in ids:
            assert (await detail(st, i))["assignee"] is None  # away / full: nobody takes it

        # Priority first, then the longest wait.
        places = [
            (await st.client.get("/api/v1/widget/queue", headers=v.headers)).json()
            for v in (normal1, normal2, hot)
        ]
        assert [p["position"] for p in places] == [2, 3, 1]
        assert all(p["agents_online"] == 1 for p in places)
        # Too few past waits for this team: words, not a number.
        assert places[0]["estimate_seconds"] is None
        assert places[0]["estimate_text"] == "Usually a few minutes."

        # The inbox's queue view shows the same order.
        rows = (
            await st.client.get(
                f"/api/v1/conversations?view=unassigned&team={key}", headers=st.admin
            )
        ).json()["items"]
        assert [r["id"] for r in rows] == [ids[2], ids[0], ids[1]]

        # Uma comes online with room for two: the urgent one, then the longest waiting.
        await st.set("Uma", "online")
        assert [await assignee(st, i) for i in ids] == ["Uma", None, "Uma"]
        place = (await st.client.get("/api/v1/widget/queue", headers=normal2.headers)).json()
        assert place["position"] == 1


async def test_wait_estimate_is_the_median_of_recent_waits_times_position_per_agent(
    server: RunningServer,
) -> None:
    from app.events.service import unit_of_work
    from app.routing.models import Assignment

    async with staff(server) as st:
        key, page = f"est{token()}", f"/est-{token()}"
        await st.team(key)
        await st.agent("Wes", teams=[key], capacity=0)
        await st.agent("Xan", teams=[key], capacity=0)
        await st.rule(
            {
                "name": "Est",
                "conditions": [{"field": "page", "value": page}],
                "actions": {"team": key},
            }
        )
        first = await escalated(server, st.client, page)
        second = await escalated(server, st.client, page)
        q = (await st.client.get("/api/v1/widget/queue", headers=second.headers)).json()
        # Nobody online: no promise at all.
        assert q["position"] == 2 and q["agents_online"] == 0
        assert q["estimate_seconds"] is None and "Nobody" in q["estimate_text"]

        async with unit_of_work() as s:
            for waited in (60, 120, 600, 180, 240):  # median 180 s
                s.add(
                    Assignment(
                        conversation_id=first.conversation_id,  # type: ignore[attr-defined]
                        team=key,
                        waited_seconds=waited,
                    )
                )
        await st.set("Wes", "online")
        q = (await st.client.get("/api/v1/widget/queue", headers=second.headers)).json()
        assert q["estimate_seconds"] == 360  # 180 × position 2 / 1 agent
        assert q["estimate_text"] == "About 6 minutes."
        await st.set("Xan", "online")
        q = (await st.client.get("/api/v1/widget/queue", headers=second.headers)).json()
        assert q["estimate_seconds"] == 180 and q["estimate_text"] == "About 3 minutes."
        q = (await st.client.get("/api/v1/widget/queue", headers=first.headers)).json()
        assert q["position"] == 1 and q["estimate_seconds"] == 90
        assert q["estimate_text"] == "About 2 minutes."


async def test_idle_agents_lose_waiting_visitors_to_someone_online(server: RunningServer) -> None:
    async with staff(server) as st:
        key, page = f"idle{token()}", f"/idle-{token()}"
        await st.team(key, answer_timeout_seconds=0)
        ann = await st.agent("Ari", teams=[key], capacity=1)
        await st.set("Ari", "online")
        await st.rule(
            {
                "name": "Idle",
                "conditions": [{"field": "page", "value": page}],
                "actions": {"team": key},
            }
        )
        v = await escalated(server, st.client, page)
        conv_id = v.conversation_id  # type: ignore[attr-defined]
        assert await assignee(st, conv_id) == "Ari"
        await st.agent("Ben", teams=[key], capacity=1)
        await st.set("Ben", "online")

        # Ari answers, then stops using the console; the visitor writes again.
        r = await st.client.post(
            f"/api/v1/conversations/{conv_id}/messages",
            headers=ann["headers"],
            json={"client_message_id": f"ari-{token()}", "text": "Looking into it."},
        )
        assert r.status_code == 201
        await v.say("Any news?")
        now = utcnow()
        await set_agent_times(ann["id"], last_active_at=now - timedelta(minutes=30))
        result = await sweep(now)
        assert result["away"] >= 1 and result["reassigned"] >= 1
        assert await assignee(st, conv_id) == "Ben"
        d = await detail(st, conv_id)
        moved = [a for a in d["activity"] if a["kind"] == "reassigned"]
        assert moved and moved[-1]["reason"] == "agent_away"
        assert moved[-1]["previous"]["name"] == "Ari"
        agents = {
            a["name"]: a for a in (await st.client.get("/api/v1/agents", headers=st.admin)).json()
        }
        assert agents["Ari"]["availability"] == "away" and agents["Ari"]["availability_auto"]

        # Activity brings an automatic away back online.
        r = await st.client.post(
            "/api/v1/agents/me/heartbeat", headers=ann["headers"], json={"active": True}
        )
        assert r.json()["availability"] == "online"

        # A console closed for long enough: offline.
        await set_agent_times(ann["id"], last_seen_at=now - timedelta(minutes=10))
        await sweep(utcnow())
        agents = {
            a["name"]: a for a in (await st.client.get("/api/v1/agents", headers=st.admin)).json()
        }
        assert agents["Ari"]["availability"] == "offline"


async def test_no_answer_within_the_team_time_out_moves_it_on(server: RunningServer) -> None:
    async with staff(server) as st:
        key, page = f"slow{token()}", f"/slow-{token()}"
        await st.team(key, answer_timeout_seconds=60)
        await st.agent("Cat", teams=[key], capacity=1)
        await st.set("Cat", "online")
        await st.rule(
            {
                "name": "Slow",
                "conditions": [{"field": "page", "value": page}],
                "actions": {"team": key},
            }
        )
        v = await escalated(server, st.client, page)
        conv_id = v.conversation_id  # type: ignore[attr-defined]
        assert await assignee(st, conv_id) == "Cat"
        later = utcnow() + timedelta(seconds=61)
        # Nobody else could take it: it stays (no "joined" ping-pong for the visitor).
        await sweep(later)
        assert await assignee(st, conv_id) == "Cat"
        await st.agent("Dan", teams=[key], capacity=1)
        await st.set("Dan", "online")
        await set_agent_times(st.agents["Cat"]["id"], last_seen_at=later, last_active_at=later)
        await sweep(later)
        assert await assignee(st, conv_id) == "Dan"
        d = await detail(st, conv_id)
        assert [a["reason"] for a in d["activity"] if a["kind"] == "reassigned"] == ["no_answer"]
        assert "did not answer within 1 minute" in d["activity"][-2]["text"]
        # Dan answers in time: nothing moves.
        await st.client.post(
            f"/api/v1/conversations/{conv_id}/messages",
            headers=st.agents["Dan"]["headers"],
            json={"client_message_id": f"dan-{token()}", "text": "Hi, I'm here."},
        )
        await set_conversation(conv_id, assigned_at=utcnow() - timedelta(minutes=5))
        await set_agent_times(st.agents["Dan"]["id"], last_seen_at=utcnow() + timedelta(minutes=5))
        await sweep(utcnow() + timedelta(seconds=1))
        assert await assignee(st, conv_id) == "Dan"


async def test_concurrent_claims_exactly_one_wins(server: RunningServer) -> None:
    async with staff(server) as st:
        key, page = f"claim{token()}", f"/claim-{token()}"
        await st.team(key)
        names = [f"Claimer{i}" for i in range(6)]
        for n in names:
            await st.agent(n, teams=[key])  # all offline: nothing is auto-assigned
        await st.rule(
            {
                "name": "Claim",
                "conditions": [{"field": "page", "value": page}],
                "actions": {"team": key},
            }
        )
        for _ in range(4):
            v = await escalated(server, st.client, page)
            conv_id = v.conversation_id  # type: ignore[attr-defined]
            responses = await asyncio.gather(
                *(
                    st.client.post(
                        f"/api/v1/conversations/{conv_id}/claim", headers=st.agents[n]["headers"]
                    )
                    for n in names
                )
            )
            codes = sorted(r.status_code for r in responses)
            assert codes == [200] + [409] * 5, [r.text for r in responses]
            winner = next(r for r in responses if r.status_code == 200).json()
            losers = [r.json() for r in responses if r.status_code == 409]
            assert all(x["error"] == "Conflict" for x in losers)
            assert all(winner["assignee"]["name"] in x["detail"] for x in losers)
            d = await detail(st, conv_id)
            assert d["assignee"]["id"] == winner["assignee"]["id"]
            joined = [m for m in d["messages"] if m["text"].endswith("joined the conversation.")]
            assert len(joined) == 1
            assert [a["kind"] for a in d["activity"]].count("claimed") == 1


async def test_concurrent_claims_in_separate_transactions(server: RunningServer) -> None:
    """The same race one level down: each claim in its own session and transaction."""
    from app.agents.models import Agent
    from app.conversations.models import Conversation
    from app.errors import Conflict
    from app.events.service import unit_of_work
    from app.routing import service

    async with staff(server) as st:
        key, page = f"tx{token()}", f"/tx-{token()}"
        await st.team(key)
        for i in range(5):
            await st.agent(f"Tx{i}", teams=[key])
        await st.rule(
            {
                "name": "Tx",
                "conditions": [{"field": "page", "value": page}],
                "actions": {"team": key},
            }
        )
        v = await escalated(server, st.client, page)
        conv_id = v.conversation_id  # type: ignore[attr-defined]

        async def claim(agent_id: int) -> str:
            try:
                async with unit_of_work() as s:
                    c = await s.get(Conversation, conv_id)
                    a = await s.get(Agent, agent_id)
                    assert c is not None and a is not None
                    await service.claim(s, c, a)
                return "won"
            except Conflict:
                return "lost"

        results = await asyncio.gather(*(claim(st.agents[f"Tx{i}"]["id"]) for i in range(5)))
        assert sorted(results) == ["lost"] * 4 + ["won"]


async def test_transfer_to_a_team_or_an_agent_with_a_private_note(server: RunningServer) -> None:
    async with staff(server) as st:
        a_key, b_key, page = f"ta{token()}", f"tb{token()}", f"/tr-{token()}"
        await st.team(a_key, "Front desk")
        await st.team(b_key, "Specialists")
        await st.agent("Eve", teams=[a_key])
        await st.agent("Fay", teams=[b_key])
        await st.agent("Gus", teams=[b_key])
        await st.set("Eve", "online")
        await st.rule(
            {
                "name": "Tr",
                "conditions": [{"field": "page", "value": page}],
                "actions": {"team": a_key},
            }
        )
        v = await escalated(server, st.client, page)
        conv_id = v.conversation_id  # type: ignore[attr-defined]
        assert await assignee(st, conv_id) == "Eve"
        eve = st.agents["Eve"]["headers"]
        url = f"/api/v1/conversations/{conv_id}/transfer"

        bad: list[tuple[dict[str, Any], int, str]] = [
            ({}, 422, "choose a team or an agent"),
            ({"team": "nope-team"}, 422, "There is no team"),
            ({"agent_id": st.agents["Fay"]["id"]}, 409, "Fay is offline"),
            ({"agent_id": 999999}, 404, "No such agent"),
            ({"team": b_key, "note": "x" * 2001}, 422, "at most 2000"),
        ]
        for body, code, message in bad:
            r = await st.client.post(url, headers=eve, json=body)
            assert r.status_code == code, r.text
            assert message in str(r.json()["detail"])

        # To the Specialists' queue: nobody there is online, so it waits in their queue.
        secret = f"Card ending 4242 charged twice; refund approved {token()}"
        r = await st.client.post(url, headers=eve, json={"team": b_key, "note": secret})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "queued" and r.json()["team"] == b_key
        # Fay comes online: the queue drains to her.
        await st.set("Fay", "online")
        assert await assignee(st, conv_id) == "Fay"
        # Fay hands it to Gus directly.
        await st.set("Gus", "online")
        r = await st.client.post(
            url,
            headers=st.agents["Fay"]["headers"],
            json={"agent_id": st.agents["Gus"]["id"], "note": "Gus knows refunds"},
        )
        assert r.status_code == 200 and r.json()["assignee"]["name"] == "Gus"

        d = await detail(st, conv_id)
        notes = [a for a in d["activity"] if a["kind"] == "transferred"]
        assert [n["note"] for n in notes] == [secret, "Gus knows refunds"]
        assert notes[0]["by"]["name"] == "Eve" and notes[0]["team"] == b_key
        assert notes[1]["agent"]["name"] == "Gus" and notes[1]["previous"]["name"] == "Fay"

        # The visitor never sees the notes: not in messages, not in the stream.
        mine = (await st.client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        assert secret not in str(mine)
        async with SSEReader(st.client, "/api/v1/widget/stream", v.headers) as stream:
            seen = await stream.until(
                lambda e: e.event == "message.created" and "Gus joined" in e.data["text"]
            )
        assert secret not in str([e.data for e in seen])
        assert "Gus knows refunds" not in str([e.data for e in seen])


@pytest.mark.parametrize("leaves", ["claimed", "gives_up"])
async def test_waiting_visitors_hear_when_the_line_moves(
    server: RunningServer, leaves: str
) -> None:
    """The visitor ahead is claimed by an agent, or ends the chat while still waiting."""
    async with staff(server) as st:
        key, page = f"line{token()}", f"/line-{token()}"
        await st.team(key)
        await st.agent("Lou", teams=[key])
        await st.rule(
            {
                "name": "Line",
                "conditions": [{"field": "page", "value": page}],
                "actions": {"team": key},
            }
        )
        first = await escalated(server, st.client, page)
        second = await escalated(server, st.client, page)
        q = (await st.client.get("/api/v1/widget/queue", headers=second.headers)).json()
        assert q["position"] == 2
        async with SSEReader(st.client, "/api/v1/widget/stream", second.headers) as stream:
            if leaves == "claimed":
                r = await st.client.post(
                    f"/api/v1/conversations/{first.conversation_id}/claim",  # type: ignore[attr-defined]
                    headers=st.agents["Lou"]["headers"],
                )
            else:  # nobody was assigned: no agent's room frees up, the line still moves
                r = await st.client.post("/api/v1/widget/close", headers=first.headers)
            assert r.status_code == 200, r.text
            moved = await stream.next("queue.updated")
            assert moved.data == {"conversation_id": second.conversation_id}  # type: ignore[attr-defined]
            assert moved.id is None  # live only, never replayed
        q = (await st.client.get("/api/v1/widget/queue", headers=second.headers)).json()
        assert q["position"] == 1


async def test_a_team_out_of_its_own_hours_says_when_it_is_back(server: RunningServer) -> None:
    from tests.app.sites.helpers import opens_later

    async with staff(server) as st:
        key, page = f"late{token()}", f"/late-{token()}"
        await st.team(key, business_hours=opens_later())
        await st.agent("Max", teams=[key])
        await st.set("Max", "online")
        await st.rule(
            {
                "name": "Late",
                "conditions": [{"field": "page", "value": page}],
                "actions": {"team": key},
            }
        )
        v = await escalated(server, st.client, page)
        # The site is open, so it is a live handoff; the team's own hours are not, yet an
        # online member may still take it.
        assert await assignee(st, v.conversation_id) == "Max"  # type: ignore[attr-defined]
        await st.set("Max", "offline")
        w = await escalated(server, st.client, page)
        q = (await st.client.get("/api/v1/widget/queue", headers=w.headers)).json()
        assert q["queued"] is True and q["team_open"] is False and q["back_at"]
        assert q["estimate_seconds"] is None and "out of hours" in q["estimate_text"]
