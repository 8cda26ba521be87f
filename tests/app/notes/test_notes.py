"""Private notes: agents see them live and in exports; the visitor never does — not on
their stream or its replay, not in the widget's history, not in their transcript, not in
the bot's context, and webhooks carry them only as their own ``note.created`` type."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlmodel import col, select

from app.bot.service import _turn_inputs
from app.conversations.models import Conversation, Message
from app.events.service import unit_of_work
from app.notes.service import NOTE_EVENT
from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer
from tests.sse import SSEReader


def _secret() -> str:
    return f"Refund approved, card ending 4242, ticket {uuid.uuid4().hex[:10]}"


async def _assigned(
    server: RunningServer, client: httpx.AsyncClient
) -> tuple[Visitor, int, dict[str, str]]:
    """A visitor whose conversation an admin has taken with a first reply."""
    admin = {"Authorization": f"Bearer {await agent_token(client)}"}
    v = Visitor(server, client)
    await v.start()
    r = await client.post("/api/v1/widget/handoff", headers=v.headers)
    assert r.status_code == 200, r.text
    cid = int(r.json()["conversation"]["id"])
    r = await client.post(
        f"/api/v1/conversations/{cid}/messages",
        headers=admin,
        json={"client_message_id": f"hi-{uuid.uuid4().hex}", "text": "Hi, I'm on it."},
    )
    assert r.status_code == 201, r.text
    return v, cid, admin


async def _note(
    client: httpx.AsyncClient, cid: int, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(f"/api/v1/conversations/{cid}/notes", headers=headers, json=body)


async def test_a_note_reaches_agents_live_and_never_the_visitor(server: RunningServer) -> None:
    async with server.client() as client:
        v, cid, admin = await _assigned(server, client)
        me = (await client.get("/api/v1/agents/me", headers=admin)).json()
        secret = _secret()
        after = f"Visible reply {uuid.uuid4().hex[:8]}"

        async with (
            SSEReader(client, "/api/v1/widget/stream", v.headers) as visitor_stream,
            SSEReader(client, "/api/v1/agent/stream", admin) as agent_stream,
        ):
            r = await _note(
                client, cid, admin, text=f"  {secret}  ", mentions=[me["id"]], client_note_id="n-1"
            )
            assert r.status_code == 201, r.text
            note = r.json()
            assert note["text"] == secret and note["private"] is True
            assert note["type"] == NOTE_EVENT and note["kind"] == "note"
            assert note["author"] == {"id": me["id"], "name": me["name"]}
            assert note["mentions"] == [{"id": me["id"], "name": me["name"]}]
            # A retried send is the same note, not a second one.
            again = await _note(client, cid, admin, text=secret, client_note_id="n-1")
            assert again.json()["id"] == note["id"]

            # Agents get it live, as they get transfer notes.
            got = await agent_stream.until(
                lambda e: e.event == NOTE_EVENT and e.data.get("conversation_id") == cid
            )
            assert got[-1].data["text"] == secret and got[-1].data["seq"] == note["seq"]

            r = await client.post(
                f"/api/v1/conversations/{cid}/messages",
                headers=admin,
                json={"client_message_id": f"after-{uuid.uuid4().hex}", "text": after},
            )
            assert r.status_code == 201
            live = await visitor_stream.until(
                lambda e: e.event == "message.created" and e.data.get("text") == after
            )
        assert secret not in str([(e.event, e.data) for e in live])
        assert NOTE_EVENT not in {e.event for e in live}

        # The replay after a reconnect from the start skips it too.
        async with SSEReader(
            client, "/api/v1/widget/stream", {**v.headers, "Last-Event-ID": "0"}
        ) as replay:
            seen = await replay.until(
                lambda e: e.event == "message.created" and e.data.get("text") == after
            )
        assert secret not in str([(e.event, e.data) for e in seen])
        # The sequence numbers the visitor sees skip the note's, and that is all.
        assert str(note["seq"]) not in {e.id for e in seen}

        # Widget history: the resumed session and the conversation endpoint.
        history = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        assert after in str(history) and secret not in str(history)
        resumed = await client.post(
            "/api/v1/widget/session",
            headers=v.headers,
            json={"site_key": server.settings.demo_site_key, "context": {}},
        )
        assert resumed.status_code == 200 and secret not in resumed.text

        # The visitor's transcript (both formats) has the reply and not the note.
        for fmt in ("json", "html"):
            r = await client.get(
                "/api/v1/widget/transcript", headers=v.headers, params={"format": fmt}
            )
            assert r.status_code == 200 and after in r.text
            assert secret not in r.text and "Private note" not in r.text

        # Agents: the detail places it among the messages by seq; the exports mark it.
        d = (await client.get(f"/api/v1/conversations/{cid}", headers=admin)).json()
        (mine,) = [a for a in d["activity"] if a["type"] == NOTE_EVENT]
        assert mine["text"] == secret and mine["seq"] == note["seq"] and mine["kind"] == "note"
        assert secret not in str(d["messages"])
        listed = (await client.get(f"/api/v1/conversations/{cid}/notes", headers=admin)).json()
        assert [n["id"] for n in listed] == [note["id"]]
        t = (
            await client.get(
                f"/api/v1/conversations/{cid}/transcript", headers=admin, params={"format": "json"}
            )
        ).json()
        (ev,) = [e for e in t["events"] if e["type"] == NOTE_EVENT]
        assert ev["detail"] == {
            "private": True,
            "author": me["name"],
            "text": secret,
            "mentions": [me["name"]],
        }
        assert secret not in str(t["messages"])
        page = await client.get(
            f"/api/v1/conversations/{cid}/transcript", headers=admin, params={"format": "html"}
        )
        assert secret in page.text and "Private note, agents only" in page.text


async def test_the_bot_never_reads_a_note(server: RunningServer) -> None:
    async with server.client() as client:
        v, cid, admin = await _assigned(server, client)
        secret = _secret()
        assert (await _note(client, cid, admin, text=secret)).status_code == 201
        r = await client.post(f"/api/v1/conversations/{cid}/handback", headers=admin)
        assert r.status_code == 200 and r.json()["status"] == "bot"
        assert (await v.say("Thanks! And how long does a refund take?")).status_code == 201
        async with unit_of_work() as s:
            c = await s.get(Conversation, cid)
            m = (
                await s.exec(
                    select(Message)
                    .where(Message.conversation_id == cid)
                    .order_by(col(Message.seq).desc())
                )
            ).first()
            assert c is not None and m is not None and m.sender == "visitor"
            contact, history, transcript = await _turn_inputs(s, c, m)
        # What a human said since the bot last spoke reaches the graph; the note does not.
        assert "Hi, I'm on it." in str(transcript)
        assert secret not in str((contact, history, transcript))


async def test_notes_are_validated(server: RunningServer) -> None:
    async with server.client() as client:
        _, cid, admin = await _assigned(server, client)
        bad: list[tuple[dict[str, Any], str]] = [
            ({"text": ""}, "The note is empty"),
            ({"text": " \n\t "}, "The note is empty"),
            ({"text": "x" * 5001}, "at most 5000"),
            ({"text": "hi", "mentions": [999999]}, "No active agent with id 999999"),
            ({"text": "hi", "mentions": list(range(1, 23))}, "at most 20"),
            ({"text": "hi", "client_note_id": "has spaces"}, "pattern"),
            ({"text": "hi", "visible": True}, "Extra inputs"),
            ({}, "Field required"),
        ]
        for body, message in bad:
            r = await _note(client, cid, admin, **body)
            assert r.status_code == 422, (body, r.text)
            assert message in str(r.json()["detail"]), (body, r.text)
        assert (await _note(client, cid, {}, text="hi")).status_code == 401
        assert (await _note(client, 99999999, admin, text="hi")).status_code == 404
        # A closed conversation still takes notes (what happened after the chat).
        assert (await client.post(f"/api/v1/conversations/{cid}/close", headers=admin)).is_success
        r = await _note(client, cid, admin, text="Refund sent after the chat.")
        assert r.status_code == 201, r.text
        d = (await client.get(f"/api/v1/conversations/{cid}", headers=admin)).json()
        assert d["status"] == "closed"  # a note never reopens anything


async def test_webhooks_carry_notes_as_their_own_private_type(server: RunningServer) -> None:
    async with server.client() as client:
        _, cid, admin = await _assigned(server, client)
        site_id = (await client.get(f"/api/v1/conversations/{cid}", headers=admin)).json()[
            "site_id"
        ]
        r = await client.post(
            "/api/v1/webhooks/subscriptions",
            headers=admin,
            # Nobody listens there: the log is what this test reads.
            json={"site_id": site_id, "url": "http://127.0.0.1:9/hook"},
        )
        assert r.status_code == 201, r.text
        sub = r.json()
        try:
            secret = _secret()
            assert (await _note(client, cid, admin, text=secret)).status_code == 201
            assert (
                await client.post(f"/api/v1/conversations/{cid}/close", headers=admin)
            ).is_success
            r = await client.get(
                "/api/v1/webhooks/deliveries",
                headers=admin,
                params={"subscription_id": sub["id"], "conversation_id": cid, "limit": 200},
            )
            rows = r.json()["items"]
            payloads = [
                (await client.get(f"/api/v1/webhooks/deliveries/{x['id']}", headers=admin)).json()
                for x in rows
            ]
            by_type: dict[str, list[dict[str, Any]]] = {}
            for p in payloads:
                by_type.setdefault(p["event_type"], []).append(p["payload"]["data"])
            (note,) = by_type["note.created"]
            assert note["private"] is True and note["note"]["text"] == secret
            assert note["conversation_id"] == cid
            # Never as a message, nor in the closing transcript of messages.
            assert secret not in str(by_type.get("message.created"))
            assert secret not in str(by_type["conversation.closed"])
        finally:
            await client.delete(f"/api/v1/webhooks/subscriptions/{sub['id']}", headers=admin)
