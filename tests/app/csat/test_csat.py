"""CSAT: one rating per closed conversation, validated, stored, emitted and shown to agents."""

from __future__ import annotations

from typing import Any

import httpx

from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer
from tests.sse import SSEReader


async def _closed_conversation(client: httpx.AsyncClient, v: Visitor) -> int:
    await v.start()
    r = await client.post("/api/v1/widget/handoff", headers=v.headers)
    assert r.status_code == 200
    cid = int(r.json()["conversation"]["id"])
    await v.say("my parcel never arrived")
    return cid


async def _rate(client: httpx.AsyncClient, v: Visitor, **body: Any) -> httpx.Response:
    return await client.post("/api/v1/widget/csat", headers=v.headers, json=body)


async def test_csat_is_validated_stored_once_and_visible_to_agents(server: RunningServer) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v, other = Visitor(server, client), Visitor(server, client)
        cid = await _closed_conversation(client, v)
        # Still open: nothing to rate yet.
        r = await _rate(client, v, conversation_id=cid, rating=4)
        assert r.status_code == 409 and r.json()["error"] == "Conflict"
        assert (await client.post("/api/v1/widget/close", headers=v.headers)).status_code == 200

        bad: list[tuple[dict[str, Any], int]] = [
            ({"conversation_id": cid, "rating": 0}, 422),
            ({"conversation_id": cid, "rating": 6}, 422),
            ({"conversation_id": cid, "rating": "five"}, 422),
            ({"conversation_id": cid}, 422),
            ({"conversation_id": cid, "rating": 4, "comment": "x" * 1001}, 422),
            ({"conversation_id": 99999999, "rating": 4}, 404),
        ]
        for body, code in bad:
            r = await _rate(client, v, **body)
            assert r.status_code == code, (body, r.text)
            assert r.json()["error"] in ("InvalidInput", "NotFound")
        # Someone else's conversation looks like a missing one.
        await other.start()
        r = await _rate(client, other, conversation_id=cid, rating=1)
        assert r.status_code == 404
        assert (
            await client.post("/api/v1/widget/csat", json={"conversation_id": cid, "rating": 1})
        ).status_code == 401
        detail = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()
        assert detail["csat"] is None  # nothing stored by any of those

        async with SSEReader(client, "/api/v1/agent/stream", auth) as agents:
            r = await _rate(client, v, conversation_id=cid, rating=4, comment="  Quick and kind  ")
            assert r.status_code == 201, r.text
            out = r.json()
            assert out["rating"] == 4 and out["comment"] == "Quick and kind"
            ev = await agents.until(
                lambda e: e.event == "csat.submitted" and e.data["conversation_id"] == cid
            )
            assert ev[-1].data["rating"] == 4 and ev[-1].data["comment"] == "Quick and kind"

        # One answer per conversation: a second one (even a different one) is refused.
        r = await _rate(client, v, conversation_id=cid, rating=1, comment="changed my mind")
        assert r.status_code == 409
        detail = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()
        assert detail["csat"]["rating"] == 4 and detail["csat"]["comment"] == "Quick and kind"
        mine = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        assert mine["conversation"]["csat_rating"] == 4
        # An empty comment is no comment.
        w = Visitor(server, client)
        wid = await _closed_conversation(client, w)
        assert (await client.post("/api/v1/widget/close", headers=w.headers)).status_code == 200
        r = await _rate(client, w, conversation_id=wid, rating=2, comment="   ")
        assert r.status_code == 201 and r.json()["comment"] is None
