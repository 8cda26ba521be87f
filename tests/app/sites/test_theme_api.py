"""The widget theme API: leads edit it, every field is validated (422 naming it, nothing
changed), and the widget's session and the bot's messages carry it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from app.agents.models import Role
from app.sites.theme import STRINGS, Theme, effective
from tests.app.articles.conftest import signed_in
from tests.app.helpers import Visitor
from tests.app.sites.helpers import demo_site_id
from tests.conftest import RunningServer
from tests.sse import SSEReader

THEME = {
    "color": "#0E7490",
    "position": "left",
    "greeting": "Hello from **Nora**! Ask about orders or e-bikes.",
    "launcher_label": "Ask Nora",
    "bot_name": "Nora",
    "avatar_url": "https://cdn.example.com/nora.png",
    "strings": {
        "composer_placeholder": "Type your question…",
        "talk_to_human": "Speak to a person",
        "status_bot": STRINGS["status_bot"],  # the default: not stored as an override
    },
}


@asynccontextmanager
async def theme_restored(
    client: httpx.AsyncClient, site_id: int, lead: dict[str, str]
) -> AsyncIterator[str]:
    """The site's theme is put back as it was after the block."""
    path = f"/api/v1/sites/{site_id}/theme"
    before = (await client.get(path, headers=lead)).json()["theme"]
    try:
        yield path
    finally:
        r = await client.put(path, headers=lead, json=before)
        assert r.status_code == 200, r.text


async def test_leads_edit_the_theme_and_the_widget_and_bot_use_it(server: RunningServer) -> None:
    async with server.client() as client:
        lead = await signed_in(server, Role.lead)
        agent = await signed_in(server, Role.agent)
        site_id = await demo_site_id(server, client, lead)
        async with theme_restored(client, site_id, lead) as path:
            # What the demo was seeded with, the rest filled in with defaults.
            got = (await client.get(path, headers=agent)).json()
            assert got["theme"]["color"] == "#1f7a4d"
            assert got["theme"]["bot_name"] == "Parley bot"
            assert got["theme"]["avatar_url"] is None and got["theme"]["strings"] == {}
            assert got["default_strings"] == STRINGS

            r = await client.put(path, headers=lead, json=THEME)
            assert r.status_code == 200, r.text
            saved = r.json()["theme"]
            assert saved["color"] == "#0e7490"  # normalised to lower case
            assert saved["strings"] == {
                "composer_placeholder": "Type your question…",
                "talk_to_human": "Speak to a person",
            }
            assert (await client.get(path, headers=agent)).json()["theme"] == saved

            # Plain agents read but do not change it; strangers do neither.
            r = await client.put(path, headers=agent, json=THEME)
            assert r.status_code == 403
            assert r.json()["detail"] == (
                "Only support leads and admins can change the widget's appearance."
            )
            assert (await client.get(path)).status_code == 401
            assert (
                await client.get("/api/v1/sites/999999/theme", headers=agent)
            ).status_code == 404

            # The widget gets it with its session.
            v = Visitor(server, client)
            site = (await v.start())["site"]
            assert site["color"] == "#0e7490" and site["position"] == "left"
            assert site["bot_name"] == "Nora" and site["launcher_label"] == "Ask Nora"
            assert site["avatar_url"] == "https://cdn.example.com/nora.png"
            assert site["greeting"].startswith("Hello from **Nora**")
            assert site["strings"] == saved["strings"]

            # The bot's answers carry the site's bot name instead of "Parley bot".
            r = await v.say("How long does a refund take?")
            assert r.status_code == 201
            async with SSEReader(client, "/api/v1/widget/stream", v.headers) as stream:
                events = await stream.until(
                    lambda e: e.event == "message.created" and e.data["sender"] == "bot"
                )
            assert events[-1].data["author_name"] == "Nora"


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"color": "red"}, "color", "hex colour"),
    ({"color": "#12345"}, "color", "hex colour"),
    ({"color": "#ggg"}, "color", "hex colour"),
    ({"color": "#11223344"}, "color", "hex colour"),
    ({"position": "center"}, "position", "'left' or 'right'"),
    ({"greeting": "   "}, "greeting", "write a greeting"),
    ({"greeting": "x" * 501}, "greeting", "at most 500"),
    ({"launcher_label": "x" * 41}, "launcher_label", "at most 40"),
    ({"launcher_label": "Chat\nnow"}, "launcher_label", "one line"),
    ({"bot_name": ""}, "bot_name", "give the bot a name"),
    ({"bot_name": "Nora\u0007"}, "bot_name", "one line"),
    ({"avatar_url": "http://cdn.example.com/a.png"}, "avatar_url", "https only"),
    ({"avatar_url": "javascript:alert(1)"}, "avatar_url", "https only"),
    ({"avatar_url": "//cdn.example.com/a.png"}, "avatar_url", "https only"),
    ({"avatar_url": "https://user:pw@cdn.example.com/a.png"}, "avatar_url", "user name"),
    ({"avatar_url": "https://cdn.example.com/a b.png"}, "avatar_url", "spaces"),
    ({"avatar_url": "https://cdn.example.com/" + "a" * 2100}, "avatar_url", "at most 2048"),
    ({"strings": {"launcher": "Hi"}}, "strings", "unknown string 'launcher'"),
    ({"strings": {"status_bot": "x" * 161}}, "strings", "longer than 160"),
    ({"strings": {"talk_to_human": ["a"]}}, "strings", "valid string"),
    ({"font": "Comic Sans"}, "font", "Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD)
async def test_a_bad_theme_field_gets_a_422_naming_it_and_changes_nothing(
    server: RunningServer, change: dict[str, Any], field: str, message: str
) -> None:
    async with server.client() as client:
        lead = await signed_in(server, Role.lead)
        site_id = await demo_site_id(server, client, lead)
        path = f"/api/v1/sites/{site_id}/theme"
        before = (await client.get(path, headers=lead)).json()
        r = await client.put(path, headers=lead, json={**before["theme"], **change})
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["error"] == "InvalidInput"
        (err,) = body["detail"]
        assert err["loc"][:2] == ["body", field], err
        assert message in err["msg"], err["msg"]
        assert (await client.get(path, headers=lead)).json() == before


def test_a_hand_edited_stored_theme_falls_back_field_by_field() -> None:
    t = effective({"color": "not a colour", "bot_name": "Nora", "strings": {"x": "y"}, "z": 1})
    assert t == Theme(bot_name="Nora")
