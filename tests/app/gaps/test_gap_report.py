"""The gap report over real conversations: unanswered questions grouped, drafted, covered."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer

SKATEBOARDS = [
    "Do you sell skateboards?",
    "Can I buy a skateboard in your shop?",
    "do you have skateboards for kids",
]
KAYAK = "Do you repair inflatable kayaks?"


async def ask_until_handoff(server: RunningServer, client: httpx.AsyncClient, text: str) -> dict:
    v = Visitor(server, client)
    await v.start()
    assert (await v.say(text)).status_code == 201
    for _ in range(200):
        convo = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        if convo["conversation"]["status"] != "bot":
            return dict(convo["conversation"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no handoff for {text!r}")


async def test_unanswered_questions_are_grouped_and_start_a_draft(
    server: RunningServer, api: httpx.AsyncClient, lead: dict[str, str], agent: dict[str, str]
) -> None:
    async with server.client() as client:
        for text in [*SKATEBOARDS, KAYAK, "I want to talk to a human please"]:
            await ask_until_handoff(server, client, text)

    report = (await api.get("/api/v1/kb/gaps", headers=agent)).json()
    groups = {g["label"]: g for g in report["groups"]}
    skate = next(
        g for g in report["groups"] if any("skateboard" in e["text"] for e in g["examples"])
    )
    assert skate["count"] >= 3 and skate["conversations"] >= 3, report
    assert {e["text"] for e in skate["examples"]} >= set(SKATEBOARDS)
    assert all(
        e["score"] is not None and e["score"] < report["threshold"] for e in skate["examples"]
    )
    kayak = next(g for g in report["groups"] if g["label"] == KAYAK)
    assert kayak["count"] >= 1 and kayak is not skate
    # A request for a human is not a knowledge gap.
    assert not any("human" in label for label in groups)
    assert skate["covered_by"] is None

    # One click: a draft seeded with what visitors asked (leads only).
    denied = await api.post("/api/v1/kb/gaps/draft", headers=agent, json={"title": skate["label"]})
    assert denied.status_code == 403
    r = await api.post(
        "/api/v1/kb/gaps/draft",
        headers=lead,
        json={"title": skate["label"], "questions": [e["text"] for e in skate["examples"]]},
    )
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["source"] == "gap report"
    assert all(q in draft["body"] for q in SKATEBOARDS)

    # Once an answer is published, the group shows it as covered.
    answer = "We do not sell skateboards or skateboard parts; Northwind only sells bicycles, e-bikes and cycling accessories."
    await api.patch(
        f"/api/v1/kb/articles/{draft['id']}",
        headers=lead,
        json={"title": "Do you sell skateboards?", "body": answer, "publish": True},
    )
    report = (await api.get("/api/v1/kb/gaps", headers=agent)).json()
    skate = next(
        g for g in report["groups"] if any("skateboard" in e["text"] for e in g["examples"])
    )
    assert skate["covered_by"] is not None and skate["covered_by"]["slug"] == draft["slug"]
    await api.delete(f"/api/v1/kb/articles/{draft['id']}", headers=lead)


async def wait_for_status(
    client: httpx.AsyncClient, headers: dict[str, str], want: str
) -> dict[str, Any]:
    for _ in range(200):
        convo = (await client.get("/api/v1/widget/conversation", headers=headers)).json()
        if convo["conversation"]["status"] == want:
            return dict(convo["conversation"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"conversation never reached {want!r}")


async def test_every_handoff_of_a_conversation_is_a_gap(
    server: RunningServer, api: httpx.AsyncClient, agent: dict[str, str]
) -> None:
    # conversation.handoff keeps only the latest handoff; the report must count both.
    first, second = (
        "Do you rent canoes for a weekend trip?",
        "Can you service my boat's outboard motor?",
    )
    async with server.client() as client:
        admin = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()
        assert (await v.say(first)).status_code == 201
        conv = await wait_for_status(client, v.headers, "queued")
        r = await client.post(f"/api/v1/conversations/{conv['id']}/handback", headers=admin)
        assert r.status_code == 200 and r.json()["status"] == "bot"
        assert (await v.say(second)).status_code == 201
        await wait_for_status(client, v.headers, "queued")

    report = (await api.get("/api/v1/kb/gaps", headers=agent)).json()
    mine = [
        e for g in report["groups"] for e in g["examples"] if e["conversation_id"] == conv["id"]
    ]
    assert sorted(e["text"] for e in mine) == sorted([first, second]), report
    assert all(e["score"] is not None and e["score"] < report["threshold"] for e in mine)
    # An agent taking the queued conversation is not another handoff.
    async with server.client() as client:
        r = await client.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            headers=admin,
            json={"client_message_id": "gap-2", "text": "We don't, sorry."},
        )
        assert r.status_code == 201
    again = (await api.get("/api/v1/kb/gaps", headers=agent)).json()
    assert again["total"] == report["total"]
