"""The pre-chat form over the API: leads configure it (validated), visitors answer it
(validated against the site's form; nothing stored on a 422), the answers reach the
conversation, routing and the handoff summary, identified visitors are not asked, and a
typed email never links to anyone's contact."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlmodel import select

from app.agents.models import Role
from app.contacts.models import Contact
from app.conversations.models import Conversation
from app.events.service import unit_of_work
from app.visitors.models import VisitorSession
from tests.app.articles.conftest import signed_in
from tests.app.contacts.helpers import demo_site, signature
from tests.app.helpers import Visitor
from tests.app.routing.helpers import detail, staff, token
from tests.app.sites.helpers import demo_site_id
from tests.conftest import RunningServer
from tests.sse import SSEReader


def form(team: str | None = None) -> dict[str, Any]:
    """Name, email and category required (billing routes to ``team``), an optional order
    number, a plan to choose and a checkbox to tick."""
    return {
        "enabled": True,
        "fields": [
            {"type": "name", "label": "Your name", "required": True},
            {"type": "email", "label": "Email", "required": True},
            {
                "type": "category",
                "label": "What is it about?",
                "required": True,
                "categories": [
                    {"key": "orders", "label": "Orders & delivery"},
                    {"key": "billing", "label": "Billing", "team": team},
                ],
            },
            {"type": "text", "key": "order_number", "label": "Order number"},
            {"type": "select", "key": "plan", "label": "Plan", "options": ["Free", "Pro"]},
            {"type": "checkbox", "key": "terms", "label": "I accept the terms", "required": True},
        ],
    }


GOOD = {
    "name": "Dana Kim",
    "email": "dana@example.com",
    "category": "billing",
    "order_number": "NW-55120",
    "plan": "Pro",
    "terms": True,
}


@asynccontextmanager
async def prechat_form(
    server: RunningServer, client: httpx.AsyncClient, config: dict[str, Any]
) -> AsyncIterator[str]:
    """The demo site has this pre-chat form during the block; none afterwards."""
    lead = await signed_in(server, Role.lead)
    site_id = await demo_site_id(server, client, lead)
    path = f"/api/v1/sites/{site_id}/prechat"
    r = await client.put(path, headers=lead, json=config)
    assert r.status_code == 200, r.text
    try:
        yield path
    finally:
        r = await client.put(path, headers=lead, json={"enabled": False, "fields": []})
        assert r.status_code == 200, r.text


async def answer(v: Visitor, answers: dict[str, Any]) -> httpx.Response:
    return await v.client.post(
        "/api/v1/widget/prechat", headers=v.headers, json={"answers": answers}
    )


async def session_context(session_id: str) -> dict[str, Any]:
    async with unit_of_work() as s:
        vs = await s.get(VisitorSession, session_id)
        assert vs is not None
        return dict(vs.context)


# ------------------------------------------------------------------- the site's form


async def test_leads_configure_the_form_agents_read_it(server: RunningServer) -> None:
    async with server.client() as client:
        lead = await signed_in(server, Role.lead)
        agent = await signed_in(server, Role.agent)
        site_id = await demo_site_id(server, client, lead)
        path = f"/api/v1/sites/{site_id}/prechat"
        assert (await client.get(path, headers=agent)).json() == {
            "site_id": site_id,
            "prechat": {"enabled": False, "fields": []},
        }
        async with prechat_form(server, client, form()):
            got = (await client.get(path, headers=agent)).json()["prechat"]
            assert got["enabled"] is True
            assert [(f["key"], f["type"], f["required"]) for f in got["fields"]] == [
                ("name", "name", True),
                ("email", "email", True),
                ("category", "category", True),
                ("order_number", "text", False),
                ("plan", "select", False),
                ("terms", "checkbox", True),
            ]
            r = await client.put(path, headers=agent, json=form())
            assert r.status_code == 403
            assert (
                r.json()["detail"] == "Only support leads and admins can change the pre-chat form."
            )
            assert (await client.put(path, json=form())).status_code == 401


def _with(change: dict[str, Any], index: int | None = None) -> dict[str, Any]:
    config = form()
    if index is None:
        config.update(change)
    else:
        config["fields"][index] = {**config["fields"][index], **change}
    return config


BAD_CONFIGS: list[tuple[dict[str, Any], str]] = [
    (_with({"fields": []}), "add at least one field"),
    (_with({"colour": "red"}), "Extra inputs are not permitted"),
    (_with({"hint": "x"}, 0), "Extra inputs are not permitted"),
    (_with({"type": "phone"}, 0), "Input should be"),
    (_with({"key": "full_name"}, 0), "the name field's key is 'name'"),
    (_with({"label": "  "}, 1), "a label cannot be empty"),
    (_with({"label": "x" * 81}, 1), "at most 80"),
    (_with({"categories": []}, 2), "needs at least one category"),
    (
        _with({"categories": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]}, 2),
        "same key",
    ),
    (_with({"categories": [{"key": "Bad Key!", "label": "A"}]}, 2), "not a category key"),
    (_with({"key": None}, 3), "needs a key"),
    (_with({"key": "email"}, 3), "built-in email field's key"),
    (_with({"options": ["a"]}, 3), "only select fields have options"),
    (_with({"options": []}, 4), "needs at least one option"),
    (_with({"options": ["Pro", "pro"]}, 4), "lists an option twice"),
    (_with({"key": "plan"}, 3), "repeated: plan"),
    (_with({"fields": form()["fields"] * 3}), "at most 12"),
]


@pytest.mark.parametrize(("config", "message"), BAD_CONFIGS)
async def test_a_bad_form_gets_a_422_and_changes_nothing(
    server: RunningServer, config: dict[str, Any], message: str
) -> None:
    async with server.client() as client:
        lead = await signed_in(server, Role.lead)
        site_id = await demo_site_id(server, client, lead)
        path = f"/api/v1/sites/{site_id}/prechat"
        before = (await client.get(path, headers=lead)).json()
        r = await client.put(path, headers=lead, json=config)
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "InvalidInput"
        msgs = " | ".join(e["msg"] for e in r.json()["detail"])
        assert message in msgs
        assert (await client.get(path, headers=lead)).json() == before


async def test_a_category_must_route_to_an_existing_team(server: RunningServer) -> None:
    async with server.client() as client:
        lead = await signed_in(server, Role.lead)
        site_id = await demo_site_id(server, client, lead)
        r = await client.put(
            f"/api/v1/sites/{site_id}/prechat", headers=lead, json=form(team="nosuchteam")
        )
        assert r.status_code == 422
        (err,) = r.json()["detail"]
        assert err["loc"] == ["body", "fields", 2, "categories", 1, "team"]
        assert err["msg"] == "Category “Billing”: there is no team 'nosuchteam'."


# --------------------------------------------------------------- the visitor's answers


BAD_ANSWERS: list[tuple[dict[str, Any], dict[str, str]]] = [
    (
        {},
        {
            "name": "Your name is required.",
            "email": "Email is required.",
            "category": "What is it about? is required.",
            "terms": "Tick “I accept the terms” to continue.",
        },
    ),
    ({**GOOD, "email": "dana@example"}, {"email": "Email: enter an email address like"}),
    ({**GOOD, "email": "   "}, {"email": "Email is required."}),
    ({**GOOD, "terms": False}, {"terms": "Tick “I accept the terms” to continue."}),
    ({**GOOD, "terms": "yes"}, {"terms": "answer true or false"}),
    ({**GOOD, "nickname": "D"}, {"nickname": "Unknown field 'nickname'"}),
    ({**GOOD, "order_number": "x" * 501}, {"order_number": "longer than 500 characters"}),
    ({**GOOD, "name": "x" * 201}, {"name": "longer than 200 characters"}),
    ({**GOOD, "category": "legal"}, {"category": "choose one of the listed options"}),
    ({**GOOD, "plan": "Enterprise"}, {"plan": "choose one of the listed options"}),
    ({**GOOD, "name": 42}, {"name": "an answer is text, or true/false"}),
    ({**GOOD, "order_number": "x" * 2001}, {"order_number": "at most 2000"}),
    ({**GOOD, "order_number": True}, {"order_number": "Order number: answer with text."}),
]


@pytest.mark.parametrize(("answers", "errors"), BAD_ANSWERS)
async def test_bad_answers_get_a_422_naming_each_field_and_store_nothing(
    server: RunningServer, answers: dict[str, Any], errors: dict[str, str]
) -> None:
    async with server.client() as client, prechat_form(server, client, form()):
        v = Visitor(server, client)
        site = (await v.start())["site"]
        assert [f["key"] for f in site["prechat"]["fields"]] == [
            "name",
            "email",
            "category",
            "order_number",
            "plan",
            "terms",
        ]
        # Categories travel without the team they route to.
        assert site["prechat"]["fields"][2]["categories"] == [
            {"key": "orders", "label": "Orders & delivery"},
            {"key": "billing", "label": "Billing"},
        ]
        before = await session_context(v.session["session_id"])
        r = await answer(v, answers)
        assert r.status_code == 422, r.text
        got = {e["loc"][2]: e["msg"] for e in r.json()["detail"]}
        assert set(got) == set(errors), got
        for key, message in errors.items():
            assert message in got[key], (key, got[key])
        assert await session_context(v.session["session_id"]) == before
        # Still asked on the next page.
        assert (await v.start())["site"]["prechat"] is not None


async def test_answers_reach_the_conversation_routing_and_the_handoff_summary(
    server: RunningServer,
) -> None:
    async with staff(server) as st:
        team = f"billing{token()}"
        await st.team(team, "Billing desk")
        await st.rule(
            {
                "name": "Billing questions",
                "conditions": [{"field": "category", "value": ["billing"]}],
                "actions": {"labels": ["billing form"]},
            }
        )
        async with prechat_form(server, st.client, form(team=team)):
            v = Visitor(server, st.client)
            await v.start()
            r = await answer(v, {**GOOD, "name": "  Dana   Kim ", "email": " dana@example.com "})
            assert r.status_code == 200, r.text
            stored = r.json()["prechat"]
            assert stored["category"] == "billing" and stored["category_label"] == "Billing"
            assert stored["department"] == team
            assert [(a["key"], a["value"]) for a in stored["answers"]] == [
                ("name", "Dana Kim"),
                ("email", "dana@example.com"),
                ("category", "Billing"),
                ("order_number", "NW-55120"),
                ("plan", "Pro"),
                ("terms", True),
            ]
            # Answered: the next page load asks nothing.
            assert (await v.start())["site"]["prechat"] is None

            await v.say("I was charged twice. I want to talk to a human please")
            async with SSEReader(st.client, "/api/v1/widget/stream", v.headers) as stream:
                await stream.until(
                    lambda e: (
                        e.event == "conversation.updated"
                        and e.data["conversation"]["status"] in ("queued", "assigned")
                    )
                )
            convo = (await st.client.get("/api/v1/widget/conversation", headers=v.headers)).json()
            d = await detail(st, convo["conversation"]["id"])
            assert d["context"]["prechat"]["answers"] == stored["answers"]
            # Typed details stay unverified on the conversation; no contact is linked.
            assert d["context"]["name"] == "Dana Kim"
            assert d["context"]["email"] == "dana@example.com"
            assert d["context"]["email_verified"] is False
            assert d["contact"] is None
            # The category's team, and the rule on the category.
            assert d["team"] == team
            assert d["labels"] == ["billing form"]
            decided = next(a for a in d["activity"] if a["kind"] == "decided")
            assert "pre-chat category is billing" in decided["text"]
            # The handoff summary repeats the answers.
            summary = d["handoff"]["summary"]
            assert "Pre-chat form: Your name: Dana Kim; Email: dana@example.com (typed, not" in (
                summary
            )
            assert "What is it about? Billing" in summary
            assert "I accept the terms: yes" in summary


async def test_the_category_team_applies_when_no_rule_sets_one(server: RunningServer) -> None:
    async with staff(server) as st:
        team = f"orders{token()}"
        await st.team(team, "Orders desk")
        config = form()
        config["fields"][2]["categories"][0]["team"] = team
        async with prechat_form(server, st.client, config):
            v = Visitor(server, st.client)
            await v.start()
            assert (await answer(v, {**GOOD, "category": "orders"})).status_code == 200
            r = await st.client.post("/api/v1/widget/handoff", headers=v.headers)
            assert r.status_code == 200, r.text
            d = await detail(st, r.json()["conversation"]["id"])
            assert d["team"] == team
            decided = next(a for a in d["activity"] if a["kind"] == "decided")
            assert f"team {team} (pre-chat category “Orders & delivery”)" in decided["text"]


async def test_a_typed_email_never_reveals_or_links_someone_elses_contact(
    server: RunningServer,
) -> None:
    async with server.client() as client, prechat_form(server, client, form()):
        site_id, secret = await demo_site(server, client)
        owner = f"owner-{token()}@example.com"
        # A verified user with history owns this email.
        first = Visitor(server, client)
        await first.start()
        uid = f"user-{token()}"
        r = await client.post(
            "/api/v1/widget/identify",
            headers=first.headers,
            json={"id": uid, "email": owner, "signature": signature(secret, uid)},
        )
        assert r.json()["verified"] is True
        # Someone else types that email into the form.
        other = Visitor(server, client)
        await other.start()
        assert (await answer(other, {**GOOD, "email": owner})).status_code == 200
        await other.say("What did I order last time?")
        async with unit_of_work() as s:
            vs = await s.get(VisitorSession, other.session["session_id"])
            assert vs is not None and vs.contact_id is None
            convs = (
                await s.exec(select(Conversation).where(Conversation.session_id == vs.id))
            ).all()
            assert convs and all(c.contact_id is None for c in convs)
            owners = (
                await s.exec(
                    select(Contact).where(Contact.site_id == site_id, Contact.email == owner)
                )
            ).all()
            assert len(owners) == 1 and owners[0].external_id == uid


async def test_identified_visitors_are_not_asked_and_known_fields_are_skipped(
    server: RunningServer,
) -> None:
    async with server.client() as client, prechat_form(server, client, form()):
        _, secret = await demo_site(server, client)
        # Verified with the site's signature: no form on the next page, and typed details
        # never replace the contact's own.
        v = Visitor(server, client)
        await v.start()
        uid = f"user-{token()}"
        email = f"{uid}@example.com"
        r = await client.post(
            "/api/v1/widget/identify",
            headers=v.headers,
            json={
                "id": uid,
                "email": email,
                "name": "Real Name",
                "signature": signature(secret, uid),
            },
        )
        assert r.json()["verified"] is True
        assert (await v.start())["site"]["prechat"] is None
        # A form sent anyway (it was on screen when identify returned): nothing required,
        # the name and email are dropped, the rest kept.
        r = await answer(v, {"email": "someone@else.com", "name": "Fake", "category": "orders"})
        assert r.status_code == 200, r.text
        assert [a["key"] for a in r.json()["prechat"]["answers"]] == ["category"]
        ctx = await session_context(v.session["session_id"])
        assert "email" not in ctx and "name" not in ctx
        async with unit_of_work() as s:
            contact = (await s.exec(select(Contact).where(Contact.external_id == uid))).one()
            assert (contact.email, contact.name) == (email, "Real Name")

        # Unverified identify: the email it gave is known, so the form does not ask it.
        u = Visitor(server, client)
        await u.start()
        r = await client.post(
            "/api/v1/widget/identify", headers=u.headers, json={"email": "kim@example.com"}
        )
        assert r.json()["verified"] is False
        fields = (await u.start())["site"]["prechat"]["fields"]
        assert "email" not in [f["key"] for f in fields] and "name" in [f["key"] for f in fields]
        # Not asked, so not required either.
        good = {k: v for k, v in GOOD.items() if k != "email"}
        assert (await answer(u, good)).status_code == 200


async def test_no_form_no_answers(server: RunningServer) -> None:
    async with server.client() as client:
        v = Visitor(server, client)
        assert (await v.start())["site"]["prechat"] is None
        r = await answer(v, GOOD)
        assert r.status_code == 409
        assert r.json()["detail"] == "This site has no pre-chat form."
        assert (
            await client.post("/api/v1/widget/prechat", headers=v.headers, json={"answer": {}})
        ).status_code == 422
        assert (
            await client.post("/api/v1/widget/prechat", json={"answers": {}})
        ).status_code == 401
