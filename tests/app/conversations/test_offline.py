"""Out of business hours: the offline reply, the offline form's endpoint, and in-hours queues."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlmodel import col, func, select

from app.contacts.models import Contact
from app.conversations.models import Conversation, Message
from app.events.service import unit_of_work
from tests.app.helpers import Visitor, agent_token
from tests.app.sites.helpers import ALWAYS_CLOSED, ALWAYS_OPEN, site_hours
from tests.conftest import RunningServer
from tests.sse import SSEReader

OFFLINE_PHRASE = "Our team is offline right now"


def queued(e: Any) -> bool:
    return e.event == "conversation.updated" and e.data["conversation"]["status"] == "queued"


async def auth_of(client: httpx.AsyncClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {await agent_token(client)}"}


async def leave(v: Visitor, **body: Any) -> httpx.Response:
    payload = {"client_message_id": str(uuid.uuid4()), "email": "you@example.com", "text": "Hi"}
    payload.update(body)
    return await v.client.post("/api/v1/widget/offline-message", headers=v.headers, json=payload)


async def test_out_of_hours_a_human_request_gets_the_offline_form(server: RunningServer) -> None:
    async with server.client() as client:
        auth = await auth_of(client)
        async with site_hours(server, client, auth, ALWAYS_CLOSED):
            v = Visitor(server, client)
            await v.start()
            async with SSEReader(client, "/api/v1/widget/stream", v.headers) as stream:
                await v.say("My bike arrived broken. I want to talk to a human please")
                seen = await stream.until(queued)
                conv = seen[-1].data["conversation"]
                assert conv["offline"] is True and conv["offline_email"] is None
                bot = [
                    e.data
                    for e in seen
                    if e.event == "message.created" and e.data["sender"] == "bot"
                ]
                assert bot and bot[-1]["text"].startswith(OFFLINE_PHRASE)
                conv_id = conv["id"]

                # Agents see an offline message to answer later: queued, nobody assigned.
                detail = (await client.get(f"/api/v1/conversations/{conv_id}", headers=auth)).json()
                assert detail["status"] == "queued" and detail["assignee"] is None
                assert detail["offline"] is True and detail["handoff"]["offline"] is True
                assert detail["handoff"]["reason"] == "human_request"
                rows = (
                    await client.get("/api/v1/conversations?view=unassigned", headers=auth)
                ).json()
                row = next(i for i in rows["items"] if i["id"] == conv_id)
                assert row["offline"] is True and row["offline_email"] is None

                # The visitor leaves an email and a message.
                cmid = str(uuid.uuid4())
                r = await leave(
                    v,
                    client_message_id=cmid,
                    email="  rider@example.com ",
                    text="Frame cracked on delivery, order NW-5521. Call me back?",
                )
                assert r.status_code == 201, r.text
                sent = r.json()
                assert sent["message"]["sender"] == "visitor"
                assert sent["message"]["text"].startswith("Frame cracked")
                assert sent["conversation"]["offline_email"] == "rider@example.com"
                # The stream (other tabs, a reload) learns the form was sent.
                done = await stream.until(
                    lambda e: (
                        e.event == "conversation.updated"
                        and e.data["conversation"]["offline_email"] == "rider@example.com"
                    )
                )
                assert any(
                    e.event == "message.created" and e.data["client_message_id"] == cmid
                    for e in done
                )
                assert all("agent" not in e.data for e in stream.seen)

            # Sending again (a retry) keeps one copy.
            again = await leave(v, client_message_id=cmid, email="rider@example.com", text="x")
            assert (
                again.status_code == 200 and again.json()["message"]["id"] == sent["message"]["id"]
            )
            mine = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
            assert [m["client_message_id"] for m in mine["messages"]].count(cmid) == 1
            assert mine["conversation"]["offline"] is True

            detail = (await client.get(f"/api/v1/conversations/{conv_id}", headers=auth)).json()
            assert detail["status"] == "queued" and detail["assignee"] is None
            assert detail["offline_email"] == "rider@example.com"
            assert detail["handoff"]["email"] == "rider@example.com"
            assert detail["context"]["email"] == "rider@example.com"
            assert detail["context"]["email_verified"] is False
            assert detail["messages"][-1]["text"].startswith("Frame cracked")

            # An agent answers later: the reply waits in the visitor's conversation.
            r = await client.post(
                f"/api/v1/conversations/{conv_id}/messages",
                headers=auth,
                json={
                    "client_message_id": "offline-reply-1",
                    "text": "Sorry! A new frame ships today.",
                },
            )
            assert r.status_code == 201
            mine = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
            assert mine["messages"][-1]["text"] == "Sorry! A new frame ships today."
            assert mine["conversation"]["status"] == "assigned"
            # With a teammate in the chat, the form is not the way to write any more.
            r = await leave(v, text="Thanks!")
            assert r.status_code == 409 and r.json()["error"] == "Conflict"


async def test_out_of_hours_the_human_button_leads_to_the_offline_form(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        auth = await auth_of(client)
        async with site_hours(server, client, auth, ALWAYS_CLOSED):
            v = Visitor(server, client)
            await v.start()
            r = await client.post("/api/v1/widget/handoff", headers=v.headers)
            assert r.status_code == 200
            conv = r.json()["conversation"]
            assert conv["status"] == "queued" and conv["offline"] is True
            detail = (await client.get(f"/api/v1/conversations/{conv['id']}", headers=auth)).json()
            assert detail["handoff"]["reason"] == "visitor_requested"
            assert detail["handoff"]["offline"] is True and detail["assignee"] is None


async def test_the_form_works_without_a_conversation(server: RunningServer) -> None:
    async with server.client() as client:
        auth = await auth_of(client)
        async with site_hours(server, client, auth, ALWAYS_CLOSED):
            v = Visitor(server, client)
            await v.start()
            r = await leave(v, email="first@example.com", text="Do you service e-bikes?")
            assert r.status_code == 201, r.text
            conv = r.json()["conversation"]
            assert conv["status"] == "queued" and conv["offline"] is True
            detail = (await client.get(f"/api/v1/conversations/{conv['id']}", headers=auth)).json()
            assert detail["handoff"]["reason"] == "offline_message"
            assert [m["text"] for m in detail["messages"]] == ["Do you service e-bikes?"]


async def test_bad_offline_messages_get_a_clear_4xx_and_store_nothing(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        auth = await auth_of(client)
        async with site_hours(server, client, auth, ALWAYS_CLOSED):
            v = Visitor(server, client)
            await v.start()
            await client.post("/api/v1/widget/handoff", headers=v.headers)
            before = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
            cases: list[tuple[dict[str, Any], str]] = [
                ({"email": ""}, "Enter an email"),
                ({"email": "   "}, "Enter an email"),
                ({"email": "not-an-email"}, "does not look right"),
                ({"email": "a@b"}, "does not look right"),
                ({"email": "a b@example.com"}, "does not look right"),
                ({"email": "x" * 250 + "@example.com"}, "at most 254"),
                ({"text": ""}, "empty"),
                ({"text": " \n\t "}, "empty"),
                ({"text": "A" * 5001}, "at most 5000"),
                ({"client_message_id": "bad id!"}, "pattern"),
            ]
            for change, words in cases:
                r = await leave(v, **change)
                assert r.status_code == 422, (change, r.text)
                body = r.json()
                assert body["error"] == "InvalidInput"
                assert any(words in e["msg"] for e in body["detail"]), (change, body)
            missing = {"client_message_id": "m-1", "text": "Hello"}
            r = await client.post("/api/v1/widget/offline-message", headers=v.headers, json=missing)
            assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "email"]
            r = await client.post(
                "/api/v1/widget/offline-message",
                headers={"Origin": v.origin},
                json={"client_message_id": "m-2", "email": "a@example.com", "text": "Hi"},
            )
            assert r.status_code == 401
            after = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
            assert after["messages"] == before["messages"]
            assert after["conversation"]["offline_email"] is None


async def test_a_typed_email_never_links_another_contact(server: RunningServer) -> None:
    owner_email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    async with server.client() as client:
        auth = await auth_of(client)
        async with site_hours(server, client, auth, ALWAYS_CLOSED):
            v = Visitor(server, client)
            session = await v.start()
            async with unit_of_work() as s:
                # Someone else's contact with that email.
                other = (await s.exec(select(Conversation).order_by(col(Conversation.id)))).first()
                assert other is not None
                s.add(Contact(site_id=other.site_id, email=owner_email, name="Real Owner"))
            r = await leave(v, email=owner_email, text="What did I order last time?")
            assert r.status_code == 201
            conv_id = r.json()["conversation"]["id"]
            async with unit_of_work() as s:
                c = await s.get(Conversation, conv_id)
                assert c is not None and c.contact_id is None
                n = (
                    await s.exec(
                        select(func.count())
                        .select_from(Contact)
                        .where(Contact.email == owner_email)
                    )
                ).one()
                assert n == 1, "no contact is created or merged from a typed email"
                msgs = (
                    await s.exec(select(Message).where(Message.conversation_id == conv_id))
                ).all()
                assert [m.text for m in msgs] == ["What did I order last time?"]
            detail = (await client.get(f"/api/v1/conversations/{conv_id}", headers=auth)).json()
            assert detail["visitor_name"] == f"Visitor #{conv_id}"
            mine = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
            assert [m["text"] for m in mine["messages"]] == ["What did I order last time?"]
            assert session["session_id"]


async def test_in_hours_a_human_request_queues_as_usual(server: RunningServer) -> None:
    async with server.client() as client:
        auth = await auth_of(client)
        async with site_hours(server, client, auth, ALWAYS_OPEN):
            v = Visitor(server, client)
            site = (await v.start())["site"]
            assert site["open_now"] is True
            async with SSEReader(client, "/api/v1/widget/stream", v.headers) as stream:
                await v.say("I want to talk to a human please")
                seen = await stream.until(queued)
            conv = seen[-1].data["conversation"]
            assert conv["offline"] is False
            bot = [
                e.data for e in seen if e.event == "message.created" and e.data["sender"] == "bot"
            ]
            assert bot and not bot[-1]["text"].startswith(OFFLINE_PHRASE)
            r = await client.post("/api/v1/widget/handoff", headers=v.headers)
            assert r.json()["conversation"]["offline"] is False
            detail = (await client.get(f"/api/v1/conversations/{conv['id']}", headers=auth)).json()
            assert detail["handoff"]["offline"] is False and detail["offline"] is False
