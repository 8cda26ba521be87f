"""The console's business-hours API: roles, validation (422 in the one error shape), effect."""

from __future__ import annotations

from datetime import datetime

from app.agents.models import Role
from tests.app.articles.conftest import signed_in
from tests.app.helpers import Visitor, agent_token
from tests.app.sites.helpers import ALWAYS_CLOSED, demo_site_id, opens_later, site_hours
from tests.conftest import RunningServer

PARIS_OFFICE = {
    "timezone": "Europe/Paris",
    "days": {"tue": [["09:00", "17:30"]], "mon": [["13:30", "17:30"], ["09:00", "12:30"]]},
    "holidays": ["2026-12-25"],
}


async def test_leads_set_hours_agents_read_them(server: RunningServer) -> None:
    async with server.client() as client:
        admin = {"Authorization": f"Bearer {await agent_token(client)}"}
        lead = await signed_in(server, Role.lead)
        agent = await signed_in(server, Role.agent)
        site_id = await demo_site_id(server, client, admin)
        path = f"/api/v1/sites/{site_id}/business-hours"

        # The demo is seeded always open.
        r = await client.get(path, headers=agent)
        assert r.status_code == 200
        assert r.json() == {
            "site_id": site_id,
            "business_hours": None,
            "open_now": True,
            "next_opening": None,
        }
        try:
            r = await client.put(path, headers=lead, json={"business_hours": PARIS_OFFICE})
            assert r.status_code == 200, r.text
            stored = r.json()["business_hours"]
            # Stored normalised: days in week order, ranges sorted.
            assert stored == {
                "timezone": "Europe/Paris",
                "days": {
                    "mon": [["09:00", "12:30"], ["13:30", "17:30"]],
                    "tue": [["09:00", "17:30"]],
                },
                "holidays": ["2026-12-25"],
            }
            got = (await client.get(path, headers=agent)).json()
            assert got["business_hours"] == stored
            if not got["open_now"]:
                nxt = datetime.fromisoformat(got["next_opening"])
                assert nxt.utcoffset() is not None and nxt.strftime("%H:%M") in ("09:00", "13:30")

            # Plain agents read but do not change; strangers do neither.
            r = await client.put(path, headers=agent, json={"business_hours": None})
            assert r.status_code == 403
            assert r.json() == {
                "error": "Forbidden",
                "detail": "Only support leads and admins can change business hours.",
            }
            assert (await client.get(path)).status_code == 401
            assert (await client.put(path, json={"business_hours": None})).status_code == 401
            assert (await client.get("/api/v1/sites/999999/business-hours", headers=agent)).json()[
                "error"
            ] == "NotFound"
            assert (await client.get(path, headers=agent)).json()["business_hours"] == stored
        finally:
            r = await client.put(path, headers=admin, json={"business_hours": None})
            assert r.status_code == 200 and r.json()["open_now"] is True


async def test_invalid_hours_get_a_clear_422_and_change_nothing(server: RunningServer) -> None:
    async with server.client() as client:
        lead = await signed_in(server, Role.lead)
        site_id = await demo_site_id(server, client, lead)
        path = f"/api/v1/sites/{site_id}/business-hours"
        bad = [
            ({"timezone": "Europe/Atlantis", "days": {}}, "Unknown time zone"),
            ({"timezone": "UTC", "days": {"mon": [["17:00", "09:00"]]}}, "start before it ends"),
            ({"timezone": "UTC", "days": {"mon": [["9am", "5pm"]]}}, "HH:MM"),
            ({"timezone": "UTC", "days": {"funday": [["09:00", "17:00"]]}}, "'mon'"),
            ({"timezone": "UTC", "days": {}, "holidays": ["Christmas"]}, "date"),
            (
                {"timezone": "UTC", "days": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}},
                "overlap",
            ),
        ]
        for hours, words in bad:
            r = await client.put(path, headers=lead, json={"business_hours": hours})
            assert r.status_code == 422, r.text
            body = r.json()
            assert body["error"] == "InvalidInput"
            assert any(words in e["msg"] for e in body["detail"]), body
            assert body["detail"][0]["loc"][:2] == ["body", "business_hours"]
        r = await client.put(path, headers=lead, json={"hours": {}})
        assert r.status_code == 422
        assert (await client.get(path, headers=lead)).json()["business_hours"] is None


async def test_widget_session_says_when_the_team_is_back(server: RunningServer) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        site = (await v.start())["site"]
        assert site["open_now"] is True and site["next_opening"] is None
        async with site_hours(server, client, auth, opens_later()):
            site = (await Visitor(server, client).start())["site"]
            assert site["open_now"] is False
            back = datetime.fromisoformat(site["next_opening"])
            assert back.minute == 0 and back.utcoffset() is not None
        async with site_hours(server, client, auth, ALWAYS_CLOSED):
            site = (await Visitor(server, client).start())["site"]
            assert site["open_now"] is False and site["next_opening"] is None
