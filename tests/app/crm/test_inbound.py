"""The CRM's signed inbound sync: contact attributes the bot's policy and routing see."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from app.crm import signing
from tests.app.contacts.helpers import admin_headers, demo_site, signature
from tests.app.crm.conftest import eventually
from tests.app.crm.receiver import Receiver
from tests.app.helpers import Visitor
from tests.conftest import RunningServer


def _signed(
    secret: str, body: dict[str, Any], *, ts: int | None = None
) -> tuple[str, dict[str, str]]:
    text = json.dumps(body)
    msg_id = "msg_" + uuid.uuid4().hex
    headers = signing.headers(secret, msg_id, ts or int(time.time()), text)
    return text, headers | {"content-type": "application/json"}


async def test_crm_sets_vip_and_the_bot_hands_over(
    server: RunningServer, receiver: Receiver, subscription: dict[str, Any]
) -> None:
    async with server.client() as client:
        _, identity_secret = await demo_site(server, client)
        admin = await admin_headers(client)
        user = f"crm-{uuid.uuid4().hex[:8]}"
        url = f"/api/v1/crm/inbound/{subscription['id']}/contacts"
        text, headers = _signed(
            subscription["secret"],
            {"external_id": user, "name": "Vera Vip", "attributes": {"vip": True, "plan": "pro"}},
        )
        r = await client.post(url, content=text, headers=headers)
        assert r.status_code == 200, r.text
        contact = r.json()
        assert contact["attributes"] == {"vip": True, "plan": "pro"} and contact["verified"]

        # Merge semantics: set one, remove one with null.
        text, headers = _signed(
            subscription["secret"], {"contact_id": contact["id"], "attributes": {"plan": None}}
        )
        r = await client.post(url, content=text, headers=headers)
        assert r.json()["attributes"] == {"vip": True}

        # Refused: wrong secret, stale timestamp, replayed body with another signature,
        # unknown subscription, unsigned; bad bodies get a 422.
        text, headers = _signed("whsec_" + "A" * 44, {"external_id": user})
        assert (await client.post(url, content=text, headers=headers)).status_code == 401
        text, headers = _signed(
            subscription["secret"], {"external_id": user}, ts=int(time.time()) - 3600
        )
        assert (await client.post(url, content=text, headers=headers)).status_code == 401
        text, headers = _signed(subscription["secret"], {"external_id": user})
        tampered = text.replace(user, user + "x")
        assert (await client.post(url, content=tampered, headers=headers)).status_code == 401
        assert (
            await client.post("/api/v1/crm/inbound/999999/contacts", content=text, headers=headers)
        ).status_code == 401
        assert (await client.post(url, json={"external_id": user})).status_code == 401
        text, headers = _signed(subscription["secret"], {"attributes": {"vip": True}})
        r = await client.post(url, content=text, headers=headers)
        assert r.status_code == 422 and r.json()["error"] == "InvalidInput"

        # The visitor signs in on the site: the bot's policy sees vip from the CRM.
        v = Visitor(server, client)
        await v.start()
        r = await client.post(
            "/api/v1/widget/identify",
            headers=v.headers,
            json={"id": user, "signature": signature(identity_secret, user)},
        )
        assert r.json()["contact"]["id"] == contact["id"]
        cid = (await v.say("Do you offer financing?")).json()["conversation"]["id"]

        async def handed_over() -> dict[str, Any] | None:
            d = (await client.get(f"/api/v1/conversations/{cid}", headers=admin)).json()
            return d if d["status"] != "bot" else None

        detail = await eventually(handed_over, timeout=60, what="the VIP handoff")
        assert detail["handoff"]["reason"] == "vip_customer"

        # Our own update is not echoed back to the CRM that sent it.
        await asyncio.sleep(1.0)
        echoed = [
            x
            for x in receiver.of()
            if x.type.startswith("contact.")
            and x.json["data"]["contact"]["external_id"] == user
            and x.json["data"].get("source", "").startswith("crm:")
        ]
        assert echoed == []
