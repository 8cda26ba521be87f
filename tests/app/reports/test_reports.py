"""Report figures against a seeded history whose every number is known (history.py)."""

from __future__ import annotations

from datetime import date

import httpx

from tests.app.helpers import agent_token
from tests.app.reports.history import EXPECTED, seed_history
from tests.conftest import RunningServer

BASE = date(2025, 3, 3)


async def _report(client: httpx.AsyncClient, auth: dict[str, str], **params: object) -> dict:
    r = await client.get("/api/v1/reports", headers=auth, params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_report_figures_match_the_seeded_history(server: RunningServer) -> None:
    site_id = await seed_history(BASE)
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        rep = await _report(client, auth, start="2025-03-03", end="2025-03-09", site_id=site_id)
        assert rep["period"]["days"] == 7
        t = rep["totals"]
        assert t["conversations"] == EXPECTED["conversations"]
        assert t["ai_resolved"] == EXPECTED["ai_resolved"]
        assert t["escalated"] == EXPECTED["escalated"]
        assert t["closed"] == 10 and t["open"] == 0
        assert rep["rates"] == {"ai_resolution": 0.4, "handoff": 0.6}
        assert {x["reason"]: x["count"] for x in rep["handoff_reasons"]} == EXPECTED["reasons"]
        assert rep["handoff_reasons"][0]["reason"] == "human_request"  # most common first
        for key in ("first_response", "wait", "handle"):
            got = rep[key]
            for k, v in EXPECTED[key].items():
                assert got[k] == v, (key, k, got)
        assert rep["wait"]["p90"] == 600.0
        csat = rep["csat"]
        assert csat["count"] == 6 and csat["average"] == 3.83
        assert csat["distribution"] == EXPECTED["csat"]["distribution"]
        assert csat["response_rate"] == 0.6
        assert [d["conversations"] for d in rep["series"]] == EXPECTED["series"]
        assert [d["escalated"] for d in rep["series"]] == EXPECTED["series_escalated"]
        assert [d["date"] for d in rep["series"]][0] == "2025-03-03"
        teams = {row["name"]: row for row in rep["teams"]}
        for name, want in EXPECTED["teams"].items():
            for k, v in want.items():
                assert teams[name][k] == v, (name, k)
        agents = {row["name"]: row for row in rep["agents"]}
        for name, want in EXPECTED["agents"].items():
            for k, v in want.items():
                assert agents[name][k] == v, (name, k)
        assert rep["options"]["teams"] == ["billing", "support"]
        assert [a["name"] for a in rep["options"]["agents"]] == ["Ada Admin", "Bea Agent"]

        # One team, then one agent: the same figures, filtered.
        billing = await _report(
            client, auth, start="2025-03-03", end="2025-03-09", site_id=site_id, team="billing"
        )
        assert billing["totals"]["conversations"] == 3
        assert billing["totals"]["ai_resolved"] == 0
        assert billing["wait"]["median"] == 120.0
        bea = next(a for a in rep["options"]["agents"] if a["name"] == "Bea Agent")
        mine = await _report(
            client, auth, start="2025-03-03", end="2025-03-09", site_id=site_id, agent_id=bea["id"]
        )
        assert mine["totals"]["conversations"] == 3
        assert mine["csat"]["average"] == 3.0
        assert mine["handle"]["median"] == 1500.0

        # Days are whole days in the viewer's zone: in Tokyo (UTC+9) the conversation of
        # 4 March 15:00 UTC starts at midnight on 5 March.
        tokyo = await _report(
            client, auth, start="2025-03-03", end="2025-03-09", site_id=site_id, tz="Asia/Tokyo"
        )
        assert [d["conversations"] for d in tokyo["series"]][:3] == [2, 1, 2]
        assert tokyo["totals"]["conversations"] == 10

        # A period with nothing in it: zeros and nulls, not errors.
        empty = await _report(client, auth, start="2024-01-01", end="2024-01-07", site_id=site_id)
        assert empty["totals"]["conversations"] == 0
        assert empty["rates"] == {"ai_resolution": None, "handoff": None}
        assert empty["wait"]["median"] is None


async def test_report_periods_and_access(server: RunningServer) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        for days in (7, 30, 90):
            rep = await _report(client, auth, days=days)
            assert rep["period"]["days"] == days and len(rep["series"]) == days
        default = await _report(client, auth)
        assert default["period"]["days"] == 30
        bad = [
            {"start": "2025-03-09", "end": "2025-03-03"},
            {"start": "2025-03-03"},
            {"start": "2024-01-01", "end": "2025-06-01"},
            {"tz": "Mars/Olympus"},
            {"days": 0},
            {"start": "yesterday", "end": "today"},
        ]
        for params in bad:
            r = await client.get("/api/v1/reports", headers=auth, params=params)
            assert r.status_code == 422, (params, r.text)
            assert r.json()["error"] == "InvalidInput"
        assert (await client.get("/api/v1/reports")).status_code == 401
        # Plain agents do not see reports.
        r = await client.post(
            "/api/v1/auth/login", json={"email": "bea@example.com", "password": "bea-password-1"}
        )
        if r.status_code == 200:
            plain = {"Authorization": f"Bearer {r.json()['access_token']}"}
            assert (await client.get("/api/v1/reports", headers=plain)).status_code == 403
