"""The console's routing API: teams, agents, rules (roles, validation, order, default),
the agent's own status, and the inbox views and filters."""

from __future__ import annotations

from typing import Any

from tests.app.routing.helpers import detail, escalated, staff, token
from tests.conftest import RunningServer


async def test_admins_add_agents_leads_set_teams_and_capacity(server: RunningServer) -> None:
    async with staff(server) as st:
        key = f"t{token()}"
        team = await st.team(key, "Billing desk")
        lead = await st.agent("Lee", role="lead")
        plain = await st.agent("Pat")

        # Without a password one is generated, shown once, and works.
        email = f"new-{token()}@example.com"
        r = await st.client.post(
            "/api/v1/agents",
            headers=st.admin,
            json={"name": "  New   Person ", "email": email.upper(), "teams": [key]},
        )
        assert r.status_code == 201, r.text
        new = r.json()
        st.agents["New"] = new
        assert new["name"] == "New Person" and new["email"] == email and new["role"] == "agent"
        assert new["teams"] == [key] and new["availability"] == "offline"
        assert new["capacity"] == 3 and len(new["temporary_password"]) >= 12
        login = await st.client.post(
            "/api/v1/auth/login", json={"email": email, "password": new["temporary_password"]}
        )
        assert login.status_code == 200
        listed = (await st.client.get("/api/v1/agents", headers=plain["headers"])).json()
        row = next(a for a in listed if a["id"] == new["id"])
        assert row["temporary_password"] is None and row["teams"] == [key]

        bad: list[tuple[dict[str, Any], int, str]] = [
            ({"name": "X", "email": "not-an-email"}, 422, "email address"),
            ({"name": "X", "email": email}, 409, "exists already"),
            ({"name": "X", "email": f"x{token()}@e.com", "teams": ["ghost"]}, 422, "no team"),
            ({"name": "X", "email": f"x{token()}@e.com", "role": "boss"}, 422, "agent"),
            ({"name": "X", "email": f"x{token()}@e.com", "capacity": 99}, 422, "50"),
            ({"name": "X", "email": f"x{token()}@e.com", "password": "short"}, 422, "10"),
        ]
        for body, code, message in bad:
            r = await st.client.post("/api/v1/agents", headers=st.admin, json=body)
            assert r.status_code == code, r.text
            assert message in str(r.json()["detail"])

        # Only admins add agents; leads change teams and capacity, not roles.
        r = await st.client.post(
            "/api/v1/agents", headers=lead["headers"], json={"name": "Y", "email": "y@e.com"}
        )
        assert r.status_code == 403
        path = f"/api/v1/agents/{plain['id']}"
        r = await st.client.patch(
            path, headers=lead["headers"], json={"capacity": 7, "teams": [key]}
        )
        assert r.status_code == 200 and r.json()["capacity"] == 7 and r.json()["teams"] == [key]
        r = await st.client.patch(path, headers=lead["headers"], json={"role": "admin"})
        assert r.status_code == 403
        r = await st.client.patch(path, headers=plain["headers"], json={"capacity": 1})
        assert r.status_code == 403
        me = (await st.client.get("/api/v1/agents/me", headers=st.admin)).json()
        r = await st.client.patch(
            f"/api/v1/agents/{me['id']}", headers=st.admin, json={"is_active": False}
        )
        assert r.status_code == 409

        teams = (await st.client.get("/api/v1/teams", headers=plain["headers"])).json()
        mine = next(t for t in teams if t["id"] == team["id"])
        assert sorted(mine["member_ids"]) == sorted([new["id"], plain["id"]])

        # Each agent sets their own status.
        for value in ("online", "away", "offline"):
            r = await st.client.put(
                "/api/v1/agents/me/availability",
                headers=plain["headers"],
                json={"availability": value},
            )
            assert r.status_code == 200 and r.json()["availability"] == value
        r = await st.client.put(
            "/api/v1/agents/me/availability",
            headers=plain["headers"],
            json={"availability": "busy"},
        )
        assert r.status_code == 422


async def test_teams_validate_keys_hours_and_members(server: RunningServer) -> None:
    async with staff(server) as st:
        key = f"h{token()}"
        hours = {
            "timezone": "Europe/Paris",
            "days": {"mon": [["09:00", "17:00"]]},
            "holidays": ["2026-12-25"],
        }
        team = await st.team(key, "Hours", business_hours=hours, assignment="round_robin")
        assert team["business_hours"]["timezone"] == "Europe/Paris"
        assert team["assignment"] == "round_robin" and team["answer_timeout_seconds"] == 300
        plain = await st.agent("Pia")
        bad: list[tuple[dict[str, Any], int, str]] = [
            ({"key": key, "name": "Dup"}, 409, "exists already"),
            ({"key": "Bad Key", "name": "X"}, 422, "lower-case"),
            ({"key": f"x{token()}", "name": "  "}, 422, "needs a name"),
            (
                {"key": f"x{token()}", "name": "X", "business_hours": {"timezone": "Mars/Base"}},
                422,
                "Unknown time zone",
            ),
            (
                {
                    "key": f"x{token()}",
                    "name": "X",
                    "business_hours": {"timezone": "UTC", "days": {"mon": [["18:00", "09:00"]]}},
                },
                422,
                "must start before it ends",
            ),
            ({"key": f"x{token()}", "name": "X", "assignment": "random"}, 422, "least_loaded"),
            ({"key": f"x{token()}", "name": "X", "member_ids": [987654]}, 422, "No active agent"),
            ({"key": f"x{token()}", "name": "X", "answer_timeout_seconds": -1}, 422, "0"),
        ]
        for body, code, message in bad:
            r = await st.client.post("/api/v1/teams", headers=st.admin, json=body)
            assert r.status_code == code, (body, r.text)
            assert message in str(r.json()["detail"]), r.text
        r = await st.client.post(
            "/api/v1/teams", headers=plain["headers"], json={"key": f"x{token()}", "name": "X"}
        )
        assert r.status_code == 403
        assert "teams" in r.json()["detail"]
        r = await st.client.put(
            f"/api/v1/teams/{team['id']}",
            headers=st.admin,
            json={"key": key, "name": "Renamed", "member_ids": [plain["id"]]},
        )
        assert r.status_code == 200 and r.json()["name"] == "Renamed"
        assert r.json()["business_hours"] is None and r.json()["member_ids"] == [plain["id"]]


async def test_rules_are_validated_ordered_and_have_a_default(server: RunningServer) -> None:
    async with staff(server) as st:
        key = f"r{token()}"
        await st.team(key)
        plain = await st.agent("Rex")
        one = await st.rule(
            {
                "name": "  VIP   first ",
                "conditions": [
                    {"field": "attribute", "key": "vip", "value": True},
                    {"field": "language", "value": ["EN", "fr"]},
                ],
                "actions": {"team": key, "labels": ["VIP", "vip"], "priority": 2},
            }
        )
        assert one["name"] == "VIP first"
        assert one["conditions"][1] == {"field": "language", "op": "in", "value": ["en", "fr"]}
        assert one["actions"] == {"team": key, "priority": 2, "labels": ["vip"]}
        two = await st.rule(
            {
                "name": "Checkout",
                "conditions": [{"field": "page", "match": "glob", "value": "/checkout/*"}],
                "actions": {"agent_id": plain["id"]},
            }
        )
        listing = (await st.client.get("/api/v1/routing/rules", headers=plain["headers"])).json()
        ids = [r["id"] for r in listing["rules"]]
        assert ids.index(one["id"]) < ids.index(two["id"])
        assert listing["default"]["is_default"] is True

        bad: list[tuple[dict[str, Any], str]] = [
            ({"name": "x", "actions": {"team": "ghost"}}, "There is no team 'ghost'"),
            ({"name": "x", "actions": {"agent_id": 99999}}, "no such active agent"),
            ({"name": "x", "actions": {}}, "at least one action"),
            (
                {"name": "x", "actions": {"team": key}, "conditions": [{"field": "mood"}]},
                "does not match any of the expected tags",
            ),
            (
                {
                    "name": "x",
                    "actions": {"team": key},
                    "conditions": [{"field": "priority", "value": 9}],
                },
                "less than or equal to 2",
            ),
        ]
        for body, message in bad:
            r = await st.client.post("/api/v1/routing/rules", headers=st.admin, json=body)
            assert r.status_code == 422, r.text
            assert r.json()["error"] == "InvalidInput"
            assert message in str(r.json()["detail"]), r.text

        r = await st.client.post(
            "/api/v1/routing/rules",
            headers=plain["headers"],
            json={"name": "x", "actions": {"team": key}},
        )
        assert r.status_code == 403 and "routing rules" in r.json()["detail"]

        # Order: every rule once.
        order = [i for i in ids if i not in (one["id"], two["id"])] + [two["id"], one["id"]]
        r = await st.client.put("/api/v1/routing/order", headers=st.admin, json={"ids": order})
        assert r.status_code == 200, r.text
        assert [x["id"] for x in r.json()["rules"]][-2:] == [two["id"], one["id"]]
        r = await st.client.put(
            "/api/v1/routing/order", headers=st.admin, json={"ids": [one["id"]]}
        )
        assert r.status_code == 422 and "exactly once" in str(r.json()["detail"])

        # Update and the default.
        r = await st.client.put(
            f"/api/v1/routing/rules/{two['id']}",
            headers=st.admin,
            json={"name": "Checkout", "enabled": False, "actions": {"priority": 1}},
        )
        assert r.status_code == 200 and r.json()["enabled"] is False
        default_id = listing["default"]["id"]
        r = await st.client.delete(f"/api/v1/routing/rules/{default_id}", headers=st.admin)
        assert r.status_code == 422
        r = await st.client.put(
            "/api/v1/routing/default", headers=st.admin, json={"actions": {"labels": ["triage"]}}
        )
        assert r.status_code == 200 and r.json()["actions"] == {"labels": ["triage"]}
        r = await st.client.delete("/api/v1/routing/rules/987654", headers=st.admin)
        assert r.status_code == 404


async def test_default_rule_applies_when_nothing_matches(server: RunningServer) -> None:
    async with staff(server) as st:
        await st.client.put(
            "/api/v1/routing/default", headers=st.admin, json={"actions": {"labels": ["triage"]}}
        )
        v = await escalated(server, st.client, f"/nothing-{token()}")
        d = await detail(st, v.conversation_id)  # type: ignore[attr-defined]
        assert d["labels"] == ["triage"]
        decided = d["activity"][0]
        assert decided["default"] is True and decided["text"].startswith("Default routing")


async def test_inbox_views_counts_and_filters(server: RunningServer) -> None:
    async with staff(server) as st:
        a_key, b_key = f"ia{token()}", f"ib{token()}"
        a_page, b_page = f"/ia-{token()}", f"/ib-{token()}"
        await st.team(a_key)
        await st.team(b_key)
        me = await st.agent("Ivy", teams=[a_key])
        await st.rule(
            {
                "name": "IA",
                "conditions": [{"field": "page", "value": a_page}],
                "actions": {"team": a_key, "labels": ["alpha"]},
            }
        )
        await st.rule(
            {
                "name": "IB",
                "conditions": [{"field": "page", "value": b_page}],
                "actions": {"team": b_key, "labels": ["beta"]},
            }
        )
        a1 = await escalated(server, st.client, a_page)
        a2 = await escalated(server, st.client, a_page)
        b1 = await escalated(server, st.client, b_page)
        ids = {k: v.conversation_id for k, v in (("a1", a1), ("a2", a2), ("b1", b1))}  # type: ignore[attr-defined]
        r = await st.client.post(f"/api/v1/conversations/{ids['a1']}/claim", headers=me["headers"])
        assert r.status_code == 200

        async def view(name: str, **params: str) -> tuple[list[int], dict[str, int]]:
            q = "&".join(f"{k}={v}" for k, v in params.items())
            r = await st.client.get(f"/api/v1/conversations?view={name}&{q}", headers=me["headers"])
            assert r.status_code == 200, r.text
            return [x["id"] for x in r.json()["items"]], r.json()["counts"]

        mine, counts = await view("mine")
        assert mine == [ids["a1"]] and counts["mine"] == 1
        team, counts = await view("team")
        assert sorted(team) == sorted([ids["a1"], ids["a2"]]) and counts["team"] == 2
        queue, counts = await view("unassigned")
        assert sorted(queue) == sorted([ids["a2"], ids["b1"]]) and counts["unassigned"] == 2
        assert (await view("all"))[1]["all"] >= 3
        assert (await view("all", team=b_key))[0] == [ids["b1"]]
        assert (await view("all", label="alpha", status="queued"))[0] == [ids["a2"]]
        assert sorted((await view("all", label="alpha"))[0]) == sorted([ids["a1"], ids["a2"]])
        assert (await view("all", label="alph"))[0] == []
        langs = (await view("all", language="en"))[0]
        assert set(ids.values()) <= set(langs)  # the visitors' browsers say en-GB
        assert (await view("all", team=a_key, language="de"))[0] == []
        row = next(
            x
            for x in (
                await st.client.get("/api/v1/conversations?view=all", headers=me["headers"])
            ).json()["items"]
            if x["id"] == ids["a1"]
        )
        assert row["labels"] == ["alpha"] and row["team"] == a_key and row["assigned_at"]
        for bad in ("view=nope", "status=open", "label=Bad!", "language=english!", "team=A B"):
            r = await st.client.get(f"/api/v1/conversations?{bad}", headers=me["headers"])
            assert r.status_code == 422, bad

        # Labels can be edited by agents; each change is noted.
        r = await st.client.put(
            f"/api/v1/conversations/{ids['a1']}/labels",
            headers=me["headers"],
            json={"labels": ["Refund", "alpha"]},
        )
        assert r.status_code == 200 and r.json()["labels"] == ["refund", "alpha"]
        d = await detail(st, ids["a1"])
        assert (
            d["activity"][-1]["kind"] == "labelled"
            and "added label refund" in d["activity"][-1]["text"]
        )
        r = await st.client.put(
            f"/api/v1/conversations/{ids['a1']}/labels",
            headers=me["headers"],
            json={"labels": ["no/slashes"]},
        )
        assert r.status_code == 422


async def test_an_open_console_stream_counts_as_seen(server: RunningServer) -> None:
    import asyncio

    from tests.sse import SSEReader

    async with staff(server) as st:
        pia = await st.agent("Ola")

        async def seen() -> str | None:
            rows = (await st.client.get("/api/v1/agents", headers=st.admin)).json()
            return next(a["last_seen_at"] for a in rows if a["id"] == pia["id"])

        assert await seen() is None
        async with SSEReader(st.client, "/api/v1/agent/stream", pia["headers"]):
            for _ in range(50):
                if await seen():
                    break
                await asyncio.sleep(0.1)
            first = await seen()
            assert first is not None
        # Closing the stream marks the moment the offline countdown starts.
        for _ in range(50):
            if (await seen() or "") > first:
                break
            await asyncio.sleep(0.1)
        assert (await seen() or "") > first
