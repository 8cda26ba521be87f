"""``Parley('identify')`` and the visitor's first message go out together: whichever of the two
requests is stored first, the conversation ends up with the name and email (typed) or
linked to the contact (verified).

Each case holds one request after it has authenticated (its visitor session read) until
the other one has been stored: the overlap that lost the name in 3 runs of 7."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from app.contacts import service as contacts
from app.conversations import service as conversations
from tests.app.contacts.helpers import admin_headers, demo_site, signature
from tests.app.helpers import Visitor
from tests.conftest import RunningServer


def hold(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> tuple[Any, Any]:
    """Make the next call of module.name wait, once entered, until released."""
    entered, release = asyncio.Event(), asyncio.Event()
    original: Callable[..., Awaitable[Any]] = getattr(module, name)

    async def held(*args: Any, **kwargs: Any) -> Any:
        if not entered.is_set():
            entered.set()
            await release.wait()
        return await original(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    return entered, release


@pytest.mark.parametrize("verified", [False, True], ids=["typed", "verified"])
@pytest.mark.parametrize(
    "first", ["identify", "message"], ids=["identify-stored-first", "message-stored-first"]
)
async def test_identify_and_first_message_in_either_order(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch, verified: bool, first: str
) -> None:
    async with server.client() as client:
        _, secret = await demo_site(server, client)
        admin = await admin_headers(client)
        user = f"racer-{uuid.uuid4().hex[:8]}"
        email = f"{user}@example.com"
        who: dict[str, Any] = {"name": "Grace Hopper", "email": email}
        if verified:
            who |= {"id": user, "signature": signature(secret, user)}
        v = Visitor(server, client)
        await v.start()

        async def identify() -> Any:
            r = await client.post("/api/v1/widget/identify", headers=v.headers, json=who)
            assert r.status_code == 200, r.text
            assert r.json()["verified"] is verified
            return r

        async def say() -> Any:
            r = await v.say("Hi, where is my parcel?")
            assert r.status_code == 201, r.text
            return r

        # The later one is held after authenticating until the first one is stored.
        if first == "identify":
            entered, release = hold(monkeypatch, conversations, "visitor_message")
            later = asyncio.create_task(say())
            await entered.wait()
            await identify()
        else:
            entered, release = hold(monkeypatch, contacts, "identify")
            later = asyncio.create_task(identify())
            await entered.wait()
            await say()
        release.set()
        await later
        monkeypatch.undo()

        convo = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        conv_id = convo["conversation"]["id"]
        detail = (await client.get(f"/api/v1/conversations/{conv_id}", headers=admin)).json()
        if not verified:
            assert detail["contact"] is None
            assert detail["context"]["name"] == "Grace Hopper"
            assert detail["context"]["email"] == email
            assert detail["context"]["email_verified"] is False
            return
        assert detail["contact"] is not None, "the conversation is linked to the contact"
        assert detail["contact"]["name"] == "Grace Hopper"
        assert detail["contact"]["email"] == email
        # The agents' inbox names the visitor.
        rows = (
            await client.get("/api/v1/conversations", params={"view": "all"}, headers=admin)
        ).json()
        items = rows["items"] if isinstance(rows, dict) else rows
        (row,) = [r for r in items if r["id"] == conv_id]
        assert row["visitor_name"] == "Grace Hopper"
