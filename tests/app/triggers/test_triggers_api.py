"""Proactive triggers: the leads' CRUD, validation, what the widget gets, stats."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlmodel import col

from app.agents.models import Role
from app.conversations.models import Conversation
from app.db import utcnow
from app.events.service import unit_of_work
from app.sites.models import Site
from tests.app.articles.conftest import signed_in
from tests.app.helpers import Visitor, agent_token
from tests.app.sites.helpers import demo_site_id
from tests.conftest import RunningServer

TIME_ON_PRICING: dict[str, Any] = {
    "name": "Pricing help",
    "kind": "time_on_page",
    "seconds": 30,
    "pages": [{"match": "contains", "value": "/api-test-pricing"}],
    "message": "Questions about plans?",
}


async def _other_site(server: RunningServer) -> Site:
    """A second site (its own key), allowed on the test host origin."""
    async with unit_of_work() as s:
        site = Site(
            key=f"pk_other_{uuid.uuid4().hex[:8]}",
            name="Other shop",
            allowed_origins=[server.host_origin],
        )
        s.add(site)
        await s.flush()
    return site


async def _create(client: httpx.AsyncClient, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/triggers", headers=auth, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_leads_manage_triggers_agents_may_not(server: RunningServer) -> None:
    async with server.client() as client:
        lead = await signed_in(server, Role.lead)
        agent = await signed_in(server, Role.agent)
        site_id = await demo_site_id(server, client, lead)

        t = await _create(client, lead, site_id=site_id, **TIME_ON_PRICING)
        try:
            assert t["site_id"] == site_id and t["enabled"] is True
            assert t["seconds"] == 30 and t["percent"] is None and t["event"] is None
            # Guardrail defaults: once a week, 30 minutes after any other, once a visit.
            assert (t["cap_count"], t["cap_days"], t["cooldown_minutes"], t["session_max"]) == (
                1,
                7,
                30,
                1,
            )
            assert t["stats"] == {"shows": 0, "opens": 0, "dismissals": 0, "open_rate": 0.0}

            listed = (await client.get(f"/api/v1/triggers?site_id={site_id}", headers=lead)).json()
            assert t["id"] in [x["id"] for x in listed]
            # The seeded demo triggers are there too, on demo pages only.
            seeded = {x["name"]: x for x in listed}
            assert seeded["Help choosing an e-bike"]["pages"] == [
                {"match": "contains", "value": "/demo/e-bikes"}
            ]

            # Edit: switching kind drops the old kind's setting; disable.
            r = await client.patch(
                f"/api/v1/triggers/{t['id']}",
                headers=lead,
                json={"kind": "scroll_depth", "percent": 60, "enabled": False},
            )
            assert r.status_code == 200, r.text
            t2 = r.json()
            assert (t2["kind"], t2["percent"], t2["seconds"], t2["enabled"]) == (
                "scroll_depth",
                60,
                None,
                False,
            )
            assert t2["updated_at"] >= t["updated_at"]
            got = (await client.get(f"/api/v1/triggers/{t['id']}", headers=lead)).json()
            assert got == t2

            # Plain agents, strangers: no.
            for method, path in [
                ("GET", f"/api/v1/triggers?site_id={site_id}"),
                ("GET", f"/api/v1/triggers/{t['id']}"),
                ("PATCH", f"/api/v1/triggers/{t['id']}"),
                ("DELETE", f"/api/v1/triggers/{t['id']}"),
            ]:
                body = {"enabled": True} if method == "PATCH" else None
                r = await client.request(method, path, headers=agent, json=body)
                assert r.status_code == 403, (method, path)
                assert r.json()["error"] == "Forbidden"
                assert (await client.request(method, path, json=body)).status_code == 401
            r = await client.post(
                "/api/v1/triggers", headers=agent, json={"site_id": site_id, **TIME_ON_PRICING}
            )
            assert r.status_code == 403
        finally:
            r = await client.delete(f"/api/v1/triggers/{t['id']}", headers=lead)
            assert r.status_code == 204
        r = await client.get(f"/api/v1/triggers/{t['id']}", headers=lead)
        assert r.status_code == 404 and r.json()["error"] == "NotFound"
        assert (await client.delete(f"/api/v1/triggers/{t['id']}", headers=lead)).status_code == 404
        r = await client.get("/api/v1/triggers?site_id=999999", headers=lead)
        assert r.status_code == 404


async def test_invalid_triggers_get_a_clear_422_and_change_nothing(server: RunningServer) -> None:
    async with server.client() as client:
        lead = await signed_in(server, Role.lead)
        site_id = await demo_site_id(server, client, lead)
        base = {"site_id": site_id, **TIME_ON_PRICING}
        bad: list[tuple[dict[str, Any], str]] = [
            ({"seconds": None}, "a time_on_page trigger needs seconds"),
            ({"kind": "scroll_depth"}, "a scroll_depth trigger needs percent"),
            ({"kind": "nth_visit"}, "a nth_visit trigger needs visit"),
            ({"kind": "custom_event"}, "a custom_event trigger needs event"),
            ({"kind": "custom_event", "event": "bad<name>"}, "use letters, digits"),
            ({"kind": "teleport"}, "Input should be"),
            ({"seconds": 0}, "greater than or equal to 1"),
            ({"seconds": 99999}, "less than or equal to 3600"),
            ({"kind": "scroll_depth", "percent": 101}, "less than or equal to 100"),
            ({"message": "   "}, "must not be blank"),
            ({"message": "x" * 501}, "at most 500 characters"),
            ({"name": ""}, "at least 1 character"),
            (
                {"pages": [{"match": "regex", "value": ".*"}]},
                "Input should be 'contains' or 'glob'",
            ),
            ({"pages": [{"match": "contains", "value": "  "}]}, "enter part of a URL"),
            ({"pages": [{"match": "glob", "value": "/a b"}]}, "a URL rule has no spaces"),
            ({"pages": [{"value": "/x"}] * 51}, "at most 50 items"),
            ({"cap_count": 0}, "greater than or equal to 1"),
            ({"cap_days": 400}, "less than or equal to 365"),
            ({"cooldown_minutes": -1}, "greater than or equal to 0"),
            ({"session_max": 0}, "greater than or equal to 1"),
            ({"color": "red"}, "Extra inputs are not permitted"),
        ]
        for change, needle in bad:
            r = await client.post("/api/v1/triggers", headers=lead, json={**base, **change})
            assert r.status_code == 422, (change, r.text)
            body = r.json()
            assert body["error"] == "InvalidInput"
            assert any(needle in e["msg"] for e in body["detail"]), (change, body)

        r = await client.post("/api/v1/triggers", headers=lead, json={**base, "site_id": 999999})
        assert r.status_code == 404 and r.json()["detail"] == "Site 999999 not found."

        t = await _create(client, lead, **base)
        try:
            path = f"/api/v1/triggers/{t['id']}"
            # A change that leaves the trigger invalid is refused as a whole.
            r = await client.patch(path, headers=lead, json={"kind": "custom_event"})
            assert r.status_code == 422
            assert r.json()["error"] == "InvalidInput"
            assert "a custom_event trigger needs event" in r.json()["detail"][0]["msg"]
            r = await client.patch(path, headers=lead, json={"pages": [{"match": "x"}]})
            assert r.status_code == 422
            locs = [e["loc"] for e in r.json()["detail"]]
            assert ["body", "pages", 0, "match"] in locs and ["body", "pages", 0, "value"] in locs
            r = await client.patch(path, headers=lead, json={"site_id": 1})
            assert r.status_code == 422, "a trigger does not move to another site"
            assert (await client.get(path, headers=lead)).json() == t
            # Irrelevant settings are dropped, text is cleaned.
            r = await client.patch(
                path,
                headers=lead,
                json={"kind": "exit_intent", "seconds": 5, "message": "  Wait!\x07  "},
            )
            assert r.status_code == 200
            assert (r.json()["seconds"], r.json()["message"]) == (None, "Wait!")
        finally:
            await client.delete(f"/api/v1/triggers/{t['id']}", headers=lead)


async def test_widget_gets_enabled_triggers_of_its_own_site_only(server: RunningServer) -> None:
    async with server.client() as client:
        lead = await signed_in(server, Role.lead)
        site_id = await demo_site_id(server, client, lead)
        on = await _create(
            client,
            lead,
            site_id=site_id,
            name="Docs event",
            kind="custom_event",
            event="viewed_docs",
            pages=[{"match": "glob", "value": "/docs/*"}],
            message="<img src=x onerror=alert(1)> Need a hand?",
            cap_count=2,
            cap_days=3,
            cooldown_minutes=0,
            session_max=2,
        )
        off = await _create(client, lead, site_id=site_id, enabled=False, **TIME_ON_PRICING)
        other = await _other_site(server)
        assert other.id is not None
        theirs = await _create(client, lead, site_id=other.id, **TIME_ON_PRICING)
        try:
            site = (await Visitor(server, client).start())["site"]
            got = {t["id"]: t for t in site["triggers"]}
            assert on["id"] in got and off["id"] not in got and theirs["id"] not in got
            assert got[on["id"]] == {
                "id": on["id"],
                "kind": "custom_event",
                "seconds": None,
                "percent": None,
                "visit": None,
                "event": "viewed_docs",
                "pages": [{"match": "glob", "value": "/docs/*"}],
                "message": "<img src=x onerror=alert(1)> Need a hand?",  # stored as text
                "cap_count": 2,
                "cap_days": 3,
                "cooldown_minutes": 0,
                "session_max": 2,
            }, "public fields only: no name, no stats"

            # A visitor of the other site sees that site's triggers and nothing of ours.
            r = await client.post(
                "/api/v1/widget/session",
                headers={"Origin": server.host_origin},
                json={"site_key": other.key, "context": {"url": f"{server.host_origin}/"}},
            )
            assert r.status_code == 200, r.text
            assert [t["id"] for t in r.json()["site"]["triggers"]] == [theirs["id"]]
            other_token = r.json()["token"]

            # The console lists per site.
            listed = (await client.get(f"/api/v1/triggers?site_id={other.id}", headers=lead)).json()
            assert [t["id"] for t in listed] == [theirs["id"]]

            # Disabling takes it out of the next session.
            await client.patch(
                f"/api/v1/triggers/{on['id']}", headers=lead, json={"enabled": False}
            )
            site = (await Visitor(server, client).start())["site"]
            assert on["id"] not in {t["id"] for t in site["triggers"]}

            # Stats for another site's trigger: not found, counted nowhere.
            r = await client.post(
                "/api/v1/widget/trigger-stats",
                headers={"Origin": server.host_origin, "Authorization": f"Bearer {other_token}"},
                json={"trigger_id": on["id"], "kind": "show"},
            )
            assert r.status_code == 404 and r.json()["error"] == "NotFound"
            got_on = (await client.get(f"/api/v1/triggers/{on['id']}", headers=lead)).json()
            assert got_on["stats"]["shows"] == 0
        finally:
            for t in (on, off, theirs):
                await client.delete(f"/api/v1/triggers/{t['id']}", headers=lead)


async def test_stats_count_once_per_session_kind_and_visit(server: RunningServer) -> None:
    async with server.client() as client:
        admin = {"Authorization": f"Bearer {await agent_token(client)}"}
        site_id = await demo_site_id(server, client, admin)
        t = await _create(client, admin, site_id=site_id, **TIME_ON_PRICING)
        path = "/api/v1/widget/trigger-stats"
        try:
            a, b = Visitor(server, client), Visitor(server, client)
            await a.start()
            await b.start()

            async def hit(v: Visitor, kind: str, visit: int = 1) -> int:
                r = await client.post(
                    path,
                    headers=v.headers,
                    json={"trigger_id": t["id"], "kind": kind, "visit": visit},
                )
                return r.status_code

            # Retries (also racing ones) count once.
            codes = await asyncio.gather(*[hit(a, "show") for _ in range(5)])
            assert codes == [204] * 5
            assert await hit(a, "open") == 204
            assert await hit(a, "open") == 204
            assert await hit(a, "show", visit=2) == 204, "shown again on a later visit"
            assert await hit(a, "dismiss", visit=2) == 204
            assert await hit(b, "show") == 204
            assert await hit(b, "dismiss") == 204

            stats = (await client.get(f"/api/v1/triggers/{t['id']}", headers=admin)).json()["stats"]
            assert stats == {"shows": 3, "opens": 1, "dismissals": 2, "open_rate": 0.3333}
            listed = (await client.get(f"/api/v1/triggers?site_id={site_id}", headers=admin)).json()
            assert next(x for x in listed if x["id"] == t["id"])["stats"] == stats

            # Bad input: a clear 4xx, nothing stored.
            r = await client.post(
                path, headers=a.headers, json={"trigger_id": t["id"], "kind": "x"}
            )
            assert r.status_code == 422 and r.json()["error"] == "InvalidInput"
            r = await client.post(
                path, headers=a.headers, json={"trigger_id": t["id"], "kind": "show", "visit": 0}
            )
            assert r.status_code == 422
            r = await client.post(
                path, headers=a.headers, json={"trigger_id": 999999, "kind": "show"}
            )
            assert r.status_code == 404
            r = await client.post(
                path,
                headers={"Origin": server.host_origin},
                json={"trigger_id": t["id"], "kind": "show"},
            )
            assert r.status_code == 401
            r = await client.post(
                path,
                headers={**a.headers, "Origin": "https://evil.example"},
                json={"trigger_id": t["id"], "kind": "show"},
            )
            assert r.status_code == 403
            stats2 = (await client.get(f"/api/v1/triggers/{t['id']}", headers=admin)).json()[
                "stats"
            ]
            assert stats2 == stats
        finally:
            await client.delete(f"/api/v1/triggers/{t['id']}", headers=admin)


async def test_the_agent_sees_which_proactive_message_started_the_chat(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        admin = {"Authorization": f"Bearer {await agent_token(client)}"}
        site_id = await demo_site_id(server, client, admin)
        t = await _create(client, admin, site_id=site_id, **TIME_ON_PRICING)
        try:
            v = Visitor(server, client)
            await v.start()
            # The visitor opens the bubble, then answers it: a "yes" needs the question.
            r = await client.post(
                "/api/v1/widget/trigger-stats",
                headers=v.headers,
                json={"trigger_id": t["id"], "kind": "open", "visit": 1},
            )
            assert r.status_code == 204, r.text
            r = await v.say("yes, which plan has priority support?")
            assert r.status_code == 201, r.text
            cid = r.json()["conversation"]["id"]
            r = await client.get(f"/api/v1/conversations/{cid}", headers=admin)
            proactive = r.json()["context"]["proactive"]
            assert proactive["message"] == "Questions about plans?"
            assert proactive["name"] == "Pricing help" and proactive["trigger_id"] == t["id"]

            # It belongs to that conversation only: the next one starts without it.
            assert (await client.post("/api/v1/widget/close", headers=v.headers)).status_code == 200
            async with unit_of_work() as s:
                # Past the reopen window, so the next message starts a new conversation.
                await s.exec(
                    update(Conversation)
                    .where(col(Conversation.id) == cid)
                    .values(closed_at=utcnow() - timedelta(days=30))
                )
            r = await v.say("another question about delivery")
            assert r.status_code == 201 and r.json()["conversation"]["id"] != cid
            r = await client.get(
                f"/api/v1/conversations/{r.json()['conversation']['id']}", headers=admin
            )
            assert "proactive" not in r.json()["context"]
        finally:
            await client.delete(f"/api/v1/triggers/{t['id']}", headers=admin)
