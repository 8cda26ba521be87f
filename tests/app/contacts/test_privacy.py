"""Contact export and erasure: everything out as JSON, then no trace left in the
database, the bot's checkpoints, the vector store or the outbox."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel

from app.articles.index import get_store
from app.bot import service as bot_service
from app.db import sessionmaker
from tests.app.contacts.helpers import admin_headers, demo_site, signature
from tests.app.crm.conftest import eventually
from tests.app.crm.receiver import Receiver
from tests.app.helpers import Visitor
from tests.conftest import RunningServer


async def _database_dump() -> str:
    """Every row of every table, as one JSON text."""
    rows: list[Any] = []
    async with sessionmaker()() as s:
        for table in SQLModel.metadata.sorted_tables:
            result = await s.exec(select(table))  # type: ignore[call-overload]
            rows += [dict(r._mapping) for r in result]
    return json.dumps(rows, default=str)


def _vector_dump() -> str:
    store = get_store()
    docs: list[Any] = []
    for info in store.client.list_collections():
        col = store.client.get_collection(getattr(info, "name", str(info)))
        got = col.get(include=["documents", "metadatas"])
        docs += [got["documents"], got["metadatas"]]
    return json.dumps(docs, default=str)


async def _checkpoint(conversation_id: int) -> Any:
    saver = bot_service.get_runtime().graph.checkpointer
    return await saver.aget_tuple({"configurable": {"thread_id": str(conversation_id)}})


async def test_export_then_erase_leaves_no_trace(
    server: RunningServer, receiver: Receiver, subscription: dict[str, Any]
) -> None:
    marker = f"ZQX{uuid.uuid4().hex[:10]}"
    user = f"erase-{marker}"
    email = f"{marker.lower()}@example.com"
    receiver.status_for = lambda rec, seen: 500  # the CRM keeps failing: payloads wait
    async with server.client() as client:
        _, secret = await demo_site(server, client)
        admin = await admin_headers(client)
        v = Visitor(server, client)
        await v.start(url=f"/orders?ref={marker}")
        # An anonymous chat first; identifying links it (same browser, same person).
        first = (await v.say(f"Hi, my code is {marker}, do you offer financing?")).json()
        cid = first["conversation"]["id"]
        r = await client.post(
            "/api/v1/widget/identify",
            headers=v.headers,
            json={
                "id": user,
                "email": email,
                "name": f"Erin {marker}",
                "attributes": {"ref": marker},
                "signature": signature(secret, user),
            },
        )
        contact_id = r.json()["contact"]["id"]

        async def bot_answered() -> bool:
            convo = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
            return any(m["sender"] == "bot" for m in convo["messages"])

        await eventually(bot_answered, timeout=60, what="the bot's answer")
        await client.post(
            f"/api/v1/contacts/{contact_id}/notes",
            headers=admin,
            json={"text": f"Called about {marker}"},
        )
        await client.post(f"/api/v1/conversations/{cid}/close", headers=admin)
        assert await _checkpoint(cid) is not None, "the bot kept a checkpoint of the thread"
        await eventually(lambda: receiver.of(cid), what="a failed delivery attempt")

        # ---- export ----
        r = await client.get(f"/api/v1/contacts/{contact_id}/export", headers=admin)
        assert r.status_code == 200
        data = r.json()
        assert data["contact"]["external_id"] == user
        assert data["contact"]["attributes"] == {"ref": marker}
        (conv,) = data["conversations"]
        assert conv["id"] == cid
        assert any(marker in m["text"] for m in conv["messages"])
        assert any(m["sender"] == "bot" for m in conv["messages"])
        assert any(e["type"] == "message.created" for e in conv["events"])
        assert any(marker in p["url"] for s in data["visitor_sessions"] for p in s["page_views"])
        assert data["notes"][0]["text"] == f"Called about {marker}"
        assert data["related"]["webhook_delivery"], "outbox rows about them are exported"
        agent = await client.get(
            f"/api/v1/contacts/{contact_id}/export",
            headers={"Authorization": "Bearer nonsense"},
        )
        assert agent.status_code == 401

        # ---- erase ----
        assert marker in await _database_dump()
        r = await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=admin)
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["conversations"] == 1 and out["messages"] >= 2 and out["checkpoints"] == 1
        assert out["rows"].get("webhook_delivery", 0) >= 1

        dump = await _database_dump()
        for needle in (marker, marker.lower(), user, email):
            assert needle not in dump, f"{needle} is still in the database"
        assert await _checkpoint(cid) is None, "the bot's memory of the thread is gone"
        assert marker not in _vector_dump()
        cache = getattr(get_store().embedder, "_cache", {})
        assert not any(marker in t for t in cache), "no in-memory vector of their texts"
        assert (
            await client.get(f"/api/v1/contacts/{contact_id}", headers=admin)
        ).status_code == 404
        # Their widget session is gone too: the token no longer opens anything.
        gone = await client.get("/api/v1/widget/conversation", headers=v.headers)
        assert gone.status_code == 401
        # Erasing is admin-only and the contact is gone.
        assert (
            await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=admin)
        ).status_code == 404


async def test_merge_moves_history_and_refuses_two_verified_people(server: RunningServer) -> None:
    async with server.client() as client:
        site_id, secret = await demo_site(server, client)
        admin = await admin_headers(client)
        user = f"merge-{uuid.uuid4().hex[:8]}"
        v = Visitor(server, client)
        await v.start()
        await v.say("hello from the verified me")
        verified = (
            await client.post(
                "/api/v1/widget/identify",
                headers=v.headers,
                json={"id": user, "signature": signature(secret, user), "attributes": {"a": 1}},
            )
        ).json()["contact"]
        manual = (
            await client.post(
                "/api/v1/contacts",
                headers=admin,
                json={
                    "site_id": site_id,
                    "name": "Dup",
                    "email": f"{user}@example.com",
                    "attributes": {"a": 2, "b": 3},
                },
            )
        ).json()
        await client.post(
            f"/api/v1/contacts/{manual['id']}/notes", headers=admin, json={"text": "dup note"}
        )
        r = await client.post(
            f"/api/v1/contacts/{verified['id']}/merge",
            headers=admin,
            json={"other_id": manual["id"]},
        )
        assert r.status_code == 200, r.text
        merged = r.json()
        assert merged["external_id"] == user and merged["email"] == f"{user}@example.com"
        assert merged["attributes"] == {"a": 1, "b": 3}
        assert any(i["kind"] == "note" for i in merged["timeline"])
        assert (
            await client.get(f"/api/v1/contacts/{manual['id']}", headers=admin)
        ).status_code == 404
        other_user = f"other-{uuid.uuid4().hex[:8]}"
        w = Visitor(server, client)
        await w.start()
        other = (
            await client.post(
                "/api/v1/widget/identify",
                headers=w.headers,
                json={"id": other_user, "signature": signature(secret, other_user)},
            )
        ).json()["contact"]
        r = await client.post(
            f"/api/v1/contacts/{verified['id']}/merge",
            headers=admin,
            json={"other_id": other["id"]},
        )
        assert r.status_code == 409
        # Editing attributes replaces them; bad ones are a 422.
        r = await client.patch(
            f"/api/v1/contacts/{verified['id']}", headers=admin, json={"attributes": {"vip": True}}
        )
        assert r.json()["attributes"] == {"vip": True}
        r = await client.patch(
            f"/api/v1/contacts/{verified['id']}", headers=admin, json={"attributes": {"x": [1]}}
        )
        assert r.status_code == 422
