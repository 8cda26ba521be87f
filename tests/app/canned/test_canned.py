"""Canned responses over the API: scopes and who may manage them, validation with clear
errors, unique shortcuts per scope, search, and placeholders filled per conversation."""

from __future__ import annotations

from typing import Any

import httpx

from tests.app.helpers import Visitor
from tests.app.routing.helpers import Staff, staff, token
from tests.conftest import RunningServer

URL = "/api/v1/canned-responses"


async def _site_id(st: Staff) -> int:
    sites = (await st.client.get("/api/v1/sites", headers=st.admin)).json()
    (site,) = [s for s in sites if s["key"] == st.server.settings.demo_site_key]
    return int(site["id"])


class Canned:
    """Creates responses for one test and deletes them afterwards (the server is shared)."""

    def __init__(self, st: Staff, site_id: int) -> None:
        self.st, self.site_id = st, site_id
        self.ids: list[int] = []

    async def post(self, headers: dict[str, str], **body: Any) -> httpx.Response:
        r = await self.st.client.post(URL, headers=headers, json={"site_id": self.site_id, **body})
        if r.status_code == 201:
            self.ids.append(r.json()["id"])
        return r

    async def clean(self) -> None:
        for i in self.ids:
            await self.st.client.delete(f"{URL}/{i}", headers=self.st.admin)


async def test_scopes_and_who_may_manage_them(server: RunningServer) -> None:
    async with staff(server) as st:
        t = token()
        await st.team(f"cr{t}", "Refunds desk")
        ann = (await st.agent("Ann", teams=[f"cr{t}"]))["headers"]
        bob = (await st.agent("Bob"))["headers"]
        lee = (await st.agent("Lee", role="lead"))["headers"]
        cr = Canned(st, await _site_id(st))
        try:
            # An agent keeps personal responses; shared and team ones are for leads.
            r = await cr.post(ann, shortcut=f"mine-{t}", title="My hello", body="Hello!")
            assert r.status_code == 201, r.text
            mine = r.json()
            assert mine["scope"] == "personal" and mine["owner"]["name"] == "Ann"
            assert mine["created_by"]["name"] == "Ann" and mine["can_edit"] and mine["usable"]
            for body in (
                {"scope": "shared"},
                {"scope": "team", "team": f"cr{t}"},
            ):
                r = await cr.post(ann, shortcut=f"s-{t}", title="Shared", body="Hi", **body)
                assert r.status_code == 403, r.text
                assert "Only support leads and admins" in r.json()["detail"]
                assert "personal response instead" in r.json()["detail"]

            r = await cr.post(
                lee, shortcut=f"shared-{t}", title="Refund timing", body="5–7 days.", scope="shared"
            )
            assert r.status_code == 201, r.text
            shared = r.json()
            r = await cr.post(
                lee,
                shortcut=f"team-{t}",
                title="Desk only",
                body="For the desk.",
                scope="team",
                team=f"cr{t}",
            )
            assert r.status_code == 201, r.text
            team = r.json()
            assert team["team"]["key"] == f"cr{t}" and team["team"]["name"] == "Refunds desk"

            # Ann sees the shared one and may use it, not edit it.
            got = (await st.client.get(f"{URL}/{shared['id']}", headers=ann)).json()
            assert got["usable"] and not got["can_edit"]
            r = await st.client.patch(f"{URL}/{shared['id']}", headers=ann, json={"title": "x"})
            assert r.status_code == 403
            assert (await st.client.delete(f"{URL}/{shared['id']}", headers=ann)).status_code == 403

            # Personal responses are invisible to everyone else (404, not in lists).
            assert (await st.client.get(f"{URL}/{mine['id']}", headers=bob)).status_code == 404
            assert (await st.client.get(f"{URL}/{mine['id']}", headers=lee)).status_code == 404
            r = await st.client.patch(f"{URL}/{mine['id']}", headers=bob, json={"title": "x"})
            assert r.status_code == 404

            async def listed(h: dict[str, str], **params: Any) -> dict[str, dict[str, Any]]:
                r = await st.client.get(
                    URL, headers=h, params={"site_id": cr.site_id, "q": t, **params}
                )
                assert r.status_code == 200, r.text
                return {x["shortcut"]: x for x in r.json()}

            assert set(await listed(ann)) == {f"mine-{t}", f"shared-{t}", f"team-{t}"}
            assert set(await listed(ann, usable=True)) == {f"mine-{t}", f"shared-{t}", f"team-{t}"}
            # Bob is not in the team: he may read its response but his composer skips it.
            bobs = await listed(bob)
            assert set(bobs) == {f"shared-{t}", f"team-{t}"} and not bobs[f"team-{t}"]["usable"]
            assert set(await listed(bob, usable=True)) == {f"shared-{t}"}
            # Leads see and manage every team's.
            leads = await listed(lee)
            assert leads[f"team-{t}"]["can_edit"] and f"mine-{t}" not in leads

            # Ann edits her own; the lead edits the shared one and moves it to the team.
            r = await st.client.patch(
                f"{URL}/{mine['id']}", headers=ann, json={"body": "Hello {{visitor.name}}!"}
            )
            assert r.status_code == 200 and r.json()["body"] == "Hello {{visitor.name}}!"
            r = await st.client.patch(f"{URL}/{mine['id']}", headers=ann, json={"scope": "shared"})
            assert r.status_code == 403
            r = await st.client.patch(
                f"{URL}/{shared['id']}",
                headers=lee,
                json={"title": "Refund timing (desk)", "scope": "team", "team": f"cr{t}"},
            )
            assert r.status_code == 200, r.text
            moved = r.json()
            assert moved["scope"] == "team" and moved["updated_by"]["name"] == "Lee"
            assert moved["updated_at"] > shared["updated_at"]
            r = await st.client.patch(f"{URL}/{shared['id']}", headers=lee, json={"scope": "team"})
            assert r.status_code == 200 and r.json()["team"]["key"] == f"cr{t}"
            assert (await st.client.delete(f"{URL}/{team['id']}", headers=lee)).status_code == 204
            assert (await st.client.get(f"{URL}/{team['id']}", headers=lee)).status_code == 404
            assert (await st.client.delete(f"{URL}/{mine['id']}", headers=ann)).status_code == 204
            assert (await st.client.get(URL)).status_code == 401
        finally:
            await cr.clean()


async def test_validation_and_unique_shortcuts(server: RunningServer) -> None:
    async with staff(server) as st:
        t = token()
        cr = Canned(st, await _site_id(st))
        ann = (await st.agent("Ann"))["headers"]
        admin = st.admin
        try:
            ok = {"shortcut": f"ok-{t}", "title": "Fine", "body": "Fine.", "scope": "shared"}
            bad: list[tuple[dict[str, Any], int, str]] = [
                ({**ok, "shortcut": "Refund!"}, 422, "lower-case letters, digits or hyphens"),
                ({**ok, "shortcut": "has space"}, 422, "lower-case letters, digits or hyphens"),
                ({**ok, "shortcut": "x" * 33}, 422, "1 to 32"),
                ({**ok, "shortcut": ""}, 422, "1 to 32"),
                ({**ok, "title": "  "}, 422, "The title is empty"),
                ({**ok, "title": "x" * 121}, 422, "at most 120"),
                ({**ok, "body": "\n "}, 422, "The text is empty"),
                ({**ok, "body": "x" * 5001}, 422, "at most 5000"),
                (
                    {**ok, "body": "Hi {{visitor.phone}}"},
                    422,
                    "Unknown placeholder {{visitor.phone}}",
                ),
                ({**ok, "scope": "team"}, 422, "needs its team's key"),
                ({**ok, "team": "support"}, 422, "Only a team response names a team"),
                ({**ok, "scope": "team", "team": f"nope{t}"}, 422, "There is no team"),
                ({**ok, "scope": "everyone"}, 422, "'shared', 'team' or 'personal'"),
                ({**ok, "colour": "red"}, 422, "Extra inputs"),
            ]
            for body, code, message in bad:
                r = await cr.post(admin, **body)
                assert r.status_code == code, (body, r.text)
                assert message in str(r.json()["detail"]), (body, r.text)
            r = await st.client.post(URL, headers=admin, json={**ok, "site_id": 99999999})
            assert r.status_code == 404 and "Site 99999999 not found" in r.json()["detail"]

            # A typed leading slash is forgiven.
            r = await cr.post(admin, **{**ok, "shortcut": f"/ok-{t}"})
            assert r.status_code == 201 and r.json()["shortcut"] == f"ok-{t}"
            # Unique within its scope: a second shared one clashes, with a useful message...
            r = await cr.post(admin, **{**ok, "title": "Other"})
            assert r.status_code == 409
            assert r.json()["detail"] == (
                f"The shortcut /ok-{t} is already used by “Fine” in the shared responses: "
                "pick another one or edit that response."
            )
            # ...but an agent may keep a personal one with the same shortcut.
            r = await cr.post(ann, **{**ok, "scope": "personal", "title": "Mine"})
            assert r.status_code == 201, r.text
            r = await cr.post(ann, **{**ok, "scope": "personal", "title": "Mine again"})
            assert r.status_code == 409 and "your personal responses" in r.json()["detail"]
            # Renaming onto a taken shortcut clashes too.
            r = await cr.post(admin, **{**ok, "shortcut": f"two-{t}"})
            assert r.status_code == 201
            r = await st.client.patch(
                f"{URL}/{r.json()['id']}", headers=admin, json={"shortcut": f"ok-{t}"}
            )
            assert r.status_code == 409
            r = await st.client.patch(f"{URL}/{cr.ids[0]}", headers=admin, json={"body": ""})
            assert r.status_code == 422 and "The text is empty" in str(r.json()["detail"])

            # Search: every word in the shortcut, title or text.
            r = await st.client.get(URL, headers=admin, params={"q": f"/two-{t}"})
            assert [x["shortcut"] for x in r.json()] == [f"two-{t}"]
            r = await st.client.get(URL, headers=admin, params={"q": f"fine ok-{t}"})
            assert {x["shortcut"] for x in r.json()} == {f"ok-{t}"}
        finally:
            await cr.clean()


async def test_placeholders_are_filled_for_the_conversation(server: RunningServer) -> None:
    async with staff(server) as st:
        t = token()
        cr = Canned(st, await _site_id(st))
        ann = await st.agent("Ann")
        body = (
            "Hi {{visitor.name}} ({{visitor.first_name}}), I'm {{agent.name}}. "
            "We'll email {{visitor.email}}. Bye {{visitor.name | friend}}! — {{agent.first_name}}"
        )
        try:
            r = await cr.post(st.admin, shortcut=f"ph-{t}", title="P", body=body, scope="shared")
            assert r.status_code == 201, r.text
            rid = r.json()["id"]

            async def conversation(name: str | None, email: str | None) -> int:
                v = Visitor(server, st.client)
                await v.start()
                if name or email:
                    r = await st.client.post(
                        "/api/v1/widget/identify",
                        headers=v.headers,
                        json={k: x for k, x in (("name", name), ("email", email)) if x},
                    )
                    assert r.status_code == 200, r.text
                r = await st.client.post("/api/v1/widget/handoff", headers=v.headers)
                return int(r.json()["conversation"]["id"])

            known = await conversation("Ada Lovelace", "ada@example.com")
            r = await st.client.get(
                f"{URL}/{rid}/render", headers=ann["headers"], params={"conversation_id": known}
            )
            assert r.status_code == 200, r.text
            assert r.json() == {
                "text": "Hi Ada Lovelace (Ada), I'm Ann. We'll email ada@example.com. "
                "Bye Ada Lovelace! — Ann",
                "missing": [],
            }

            anonymous = await conversation(None, None)
            r = await st.client.get(
                f"{URL}/{rid}/render", headers=ann["headers"], params={"conversation_id": anonymous}
            )
            assert r.json() == {
                "text": "Hi there (there), I'm Ann. We'll email your email address. "
                "Bye friend! — Ann",
                "missing": ["visitor.name", "visitor.first_name", "visitor.email"],
            }
            assert "Visitor #" not in r.text and "undefined" not in r.text

            r = await st.client.get(
                f"{URL}/{rid}/render", headers=ann["headers"], params={"conversation_id": 99999999}
            )
            assert r.status_code == 404
            r = await st.client.get(f"{URL}/{rid}/render", headers=ann["headers"])
            assert r.status_code == 422
        finally:
            await cr.clean()


async def test_the_demo_site_is_seeded_with_canned_responses(server: RunningServer) -> None:
    async with staff(server) as st:
        r = await st.client.get(
            URL, headers=st.admin, params={"site_id": await _site_id(st), "usable": True}
        )
        shortcuts = {x["shortcut"]: x for x in r.json()}
        assert {"hello", "refund", "bye"} <= set(shortcuts)
        assert (
            shortcuts["refund"]["scope"] == "shared"
            and "{{visitor.email}}" in (shortcuts["refund"]["body"])
        )
