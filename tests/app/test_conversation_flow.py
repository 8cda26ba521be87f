"""The product loop over real HTTP and SSE: visitor → bot → agent → visitor."""

from __future__ import annotations

import asyncio

from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer
from tests.sse import SSEEvent, SSEReader


def stream_seen(stream: SSEReader) -> list[SSEEvent]:
    """Events the reader has consumed so far."""
    return stream.seen


async def test_bot_streams_a_cited_answer_then_stores_it(server: RunningServer) -> None:
    async with server.client() as client:
        v = Visitor(server, client)
        await v.start()
        r = await v.say("How long does a refund take?")
        assert r.status_code == 201
        async with SSEReader(client, "/api/v1/widget/stream", v.headers) as stream:
            events = await stream.until(
                lambda e: e.event == "message.created" and e.data["sender"] == "bot"
            )
        deltas = [e for e in events if e.event == "bot.delta"]
        final = events[-1].data
        assert deltas, "the answer should arrive as a stream of chunks first"
        assert all(d.data["stream_id"] == final["stream_id"] for d in deltas)
        assert "".join(d.data["delta"] for d in deltas).strip() == final["text"].strip()
        assert final["sources"], "a knowledge-base answer cites its article"
        assert final["sources"][0]["url"].startswith(server.url + "/help/")
        assert "5–7 business days" in final["text"]
        # Stored events carry their sequence number as the SSE id, in order.
        ids = [int(e.id) for e in events if e.id is not None]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        # The cited article is a real page.
        page = await client.get(final["sources"][0]["url"])
        assert page.status_code == 200 and final["sources"][0]["title"] in page.text


async def test_human_request_escalates_and_agent_reply_reaches_visitor_live(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        token = await agent_token(client)
        auth = {"Authorization": f"Bearer {token}"}
        v = Visitor(server, client)
        await v.start()
        async with SSEReader(client, "/api/v1/agent/stream", auth) as inbox:
            await v.say("My order NW-48213 never arrived. I want to talk to a human please")
            async with SSEReader(client, "/api/v1/widget/stream", v.headers) as stream:
                await stream.until(
                    lambda e: (
                        e.event == "conversation.updated"
                        and e.data["conversation"]["status"] == "queued"
                    )
                )
                conv_id = v_conv = None
                # Agent-only detail (handoff summary, inbox row) never reaches the visitor.
                assert all("agent" not in e.data for e in stream_seen(stream))
                convo = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
                conv_id = v_conv = convo["conversation"]["id"]
                # The agent's inbox heard about it live.
                await inbox.until(
                    lambda e: (
                        e.event == "conversation.updated"
                        and e.data.get("conversation", {}).get("id") == v_conv
                    )
                )
                listing = (
                    await client.get("/api/v1/conversations?view=unassigned", headers=auth)
                ).json()
                row = next(i for i in listing["items"] if i["id"] == conv_id)
                assert row["handoff_reason"] == "human_request"
                assert listing["counts"]["unassigned"] >= 1
                detail = (await client.get(f"/api/v1/conversations/{conv_id}", headers=auth)).json()
                assert detail["handoff"]["reason"] == "human_request"
                assert "NW-48213" in (detail["handoff"]["summary"] or "")
                assert detail["context"]["device"] == "mobile"
                # The agent replies; the visitor sees it without reloading.
                r = await client.post(
                    f"/api/v1/conversations/{conv_id}/messages",
                    headers=auth,
                    json={
                        "client_message_id": "agent-1",
                        "text": "Hi, I'm on it — checking NW-48213 now.",
                    },
                )
                assert r.status_code == 201
                got = await stream.until(
                    lambda e: e.event == "message.created" and e.data["sender"] == "agent"
                )
                assert got[-1].data["text"].startswith("Hi, I'm on it")
                assert got[-1].data["author_name"] == "Ada Admin"
                assert any(
                    e.event == "conversation.updated"
                    and e.data["conversation"]["status"] == "assigned"
                    for e in got
                )
                # While a human has the conversation, the bot stays quiet.
                await v.say("Thanks! How long does a refund take?")
                await asyncio.sleep(1.5)
                closed = await client.post(f"/api/v1/conversations/{conv_id}/close", headers=auth)
                assert closed.json()["status"] == "closed"
                tail = await stream.until(
                    lambda e: (
                        e.event == "conversation.updated"
                        and e.data["conversation"]["status"] == "closed"
                    )
                )
                assert not any(
                    e.event == "message.created" and e.data["sender"] == "bot" for e in tail
                )


async def test_reconnect_with_last_event_id_replays_what_was_missed(server: RunningServer) -> None:
    async with server.client() as client:
        v = Visitor(server, client)
        await v.start()
        await v.say("Hi")
        async with SSEReader(client, "/api/v1/widget/stream", v.headers) as stream:
            first = await stream.until(
                lambda e: e.event == "message.created" and e.data["sender"] == "bot"
            )
        seen = [int(e.id) for e in first if e.id]
        # Offline for a while: two more turns happen.
        await v.say("What payment methods do you accept?")
        await v.say("Do you ship to Canada?")
        await asyncio.sleep(0.2)
        headers = {**v.headers, "Last-Event-ID": str(seen[-1])}
        async with SSEReader(client, "/api/v1/widget/stream", headers) as stream:
            replay = await stream.until(
                lambda e: (
                    e.event == "message.created" and e.data["text"] == "Do you ship to Canada?"
                )
            )
        replayed = [int(e.id) for e in replay if e.id]
        assert replayed[0] == seen[-1] + 1, "replay starts right after the last seen event"
        assert replayed == list(range(replayed[0], replayed[0] + len(replayed)))


async def test_sequence_numbers_are_gap_free_under_concurrent_writes(server: RunningServer) -> None:
    async with server.client() as client:
        token = await agent_token(client)
        auth = {"Authorization": f"Bearer {token}"}
        v = Visitor(server, client)
        await v.start()
        await client.post("/api/v1/widget/handoff", headers=v.headers)
        convo = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        conv_id = convo["conversation"]["id"]
        sends = [v.say(f"visitor {i}") for i in range(10)] + [
            client.post(
                f"/api/v1/conversations/{conv_id}/messages",
                headers=auth,
                json={"client_message_id": f"a-{i}", "text": f"agent {i}"},
            )
            for i in range(10)
        ]
        results = await asyncio.gather(*sends)
        assert all(r.status_code == 201 for r in results)
        detail = (await client.get(f"/api/v1/conversations/{conv_id}", headers=auth)).json()
        seqs = [m["seq"] for m in detail["messages"]]
        assert len(seqs) == len(set(seqs))
        async with SSEReader(client, "/api/v1/widget/stream", v.headers) as stream:
            events = await stream.until(
                lambda e: e.id is not None and int(e.id) == detail["messages"][-1]["seq"]
            )
        ids = [int(e.id) for e in events if e.id]
        # Agent-only events keep their numbers but are not shown to the visitor.
        assert ids == sorted(ids) and len(ids) == len(set(ids))
        texts = {e.data["text"] for e in events if e.event == "message.created"}
        assert {f"visitor {i}" for i in range(10)} | {f"agent {i}" for i in range(10)} <= texts


async def test_agent_endpoints_require_sign_in(server: RunningServer) -> None:
    async with server.client() as client:
        assert (await client.get("/api/v1/conversations")).status_code == 401
        bad = await client.post(
            "/api/v1/auth/login", json={"email": "admin@example.com", "password": "nope"}
        )
        assert bad.status_code == 401 and bad.json()["error"] == "Unauthorized"
        r = await client.get("/api/v1/agent/stream", headers={"Authorization": "Bearer x.y.z"})
        assert r.status_code == 401
