"""The signed-webhook connector against a real HTTP receiver: signatures, at-least-once
delivery with stable ids, back-off, dead letters and replay, order per conversation."""

from __future__ import annotations

import base64
import copy
import uuid
from typing import Any

import httpx

from app.crm.worker import backoff_seconds
from tests.app.contacts.helpers import admin_headers
from tests.app.crm.conftest import eventually
from tests.app.crm.receiver import Receiver, verify
from tests.app.helpers import Visitor
from tests.conftest import RunningServer


async def _deliveries(
    client: httpx.AsyncClient, headers: dict[str, str], sub: dict[str, Any], **params: Any
) -> list[dict[str, Any]]:
    r = await client.get(
        "/api/v1/webhooks/deliveries",
        headers=headers,
        params={"subscription_id": sub["id"], "limit": 200, **params},
    )
    r.raise_for_status()
    return list(r.json()["items"])


def _delivered_types(receiver: Receiver, conversation_id: int) -> list[str]:
    """Types in the order they were first accepted (a 2xx) by the receiver."""
    seen: list[str] = []
    ids: set[str] = set()
    for r in receiver.of(conversation_id):
        if r.status == 200 and r.id not in ids:
            ids.add(r.id)
            seen.append(r.type)
    return seen


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    import random

    rand = random.Random(7)
    delays = [backoff_seconds(n, 10, 3600, rand) for n in range(1, 12)]
    for n, d in enumerate(delays, start=1):
        full = min(3600, 10 * 2 ** (n - 1))
        assert full / 2 <= d <= full
    assert delays[-1] <= 3600 and delays[3] > delays[0]


async def test_events_arrive_signed_with_the_documented_recipe(
    server: RunningServer, receiver: Receiver, subscription: dict[str, Any]
) -> None:
    async with server.client() as client:
        admin = await admin_headers(client)
        v = Visitor(server, client)
        await v.start()
        sent = await v.say("Where is my parcel?")
        cid = sent.json()["conversation"]["id"]
        got = await eventually(
            lambda: len(_delivered_types(receiver, cid)) >= 2 and receiver.of(cid),
            what="conversation.created and message.created",
        )
        assert _delivered_types(receiver, cid)[:2] == ["conversation.created", "message.created"]
        other_secret = "whsec_" + base64.b64encode(b"not the subscription's key!").decode()
        for r in got:
            assert verify(subscription["secret"], r), "signature must verify with the recipe"
            assert not verify(other_secret, r), "another key must not verify"
            assert r.headers["content-type"] == "application/json"
            assert r.id.startswith("msg_")
        created = receiver.of(cid, "conversation.created")[0].json
        assert created["data"]["conversation"]["id"] == cid
        msg = receiver.of(cid, "message.created")[0].json["data"]["message"]
        assert msg["text"] == "Where is my parcel?" and msg["sender"] == "visitor"
        # A tampered body no longer verifies.
        tampered = copy.copy(receiver.of(cid, "message.created")[0])
        assert "parcel" in tampered.body
        tampered.body = tampered.body.replace("parcel", "PARCEL")
        assert not verify(subscription["secret"], tampered)

        # The delivery log shows them delivered, with the receiver's answer and timings.
        # (The bot's answer may still be on its way: look at what the receiver accepted.)
        accepted = {r.id for r in got}
        log = await _deliveries(client, admin, subscription)
        mine = [d for d in log if d["conversation_id"] == cid and d["delivery_id"] in accepted]
        assert mine and {d["status"] for d in mine} == {"delivered"}
        assert all(d["last_status_code"] == 200 and d["attempts"] == 1 for d in mine)
        detail = (
            await client.get(f"/api/v1/webhooks/deliveries/{mine[0]['id']}", headers=admin)
        ).json()
        assert detail["attempt_log"][0]["status_code"] == 200
        assert detail["payload"]["type"] == mine[0]["event_type"]


async def test_escalation_assignment_and_close_with_the_transcript(
    server: RunningServer, receiver: Receiver, subscription: dict[str, Any]
) -> None:
    async with server.client() as client:
        admin = await admin_headers(client)
        v = Visitor(server, client)
        await v.start()
        cid = (await v.say("I need a person please")).json()["conversation"]["id"]
        await client.post("/api/v1/widget/handoff", headers=v.headers)
        r = await client.post(
            f"/api/v1/conversations/{cid}/messages",
            headers=admin,
            json={"client_message_id": str(uuid.uuid4()), "text": "Hi, Ada here. How can I help?"},
        )
        assert r.status_code == 201
        await client.post(f"/api/v1/conversations/{cid}/close", headers=admin)
        await eventually(
            lambda: "conversation.closed" in _delivered_types(receiver, cid), what="close"
        )
        types = _delivered_types(receiver, cid)
        for t in ("conversation.escalated", "conversation.assigned", "conversation.closed"):
            assert types.count(t) == 1, types
        assert types.index("conversation.escalated") < types.index("conversation.assigned")
        assert types.index("conversation.assigned") < types.index("conversation.closed")
        closed = receiver.of(cid, "conversation.closed")[0].json["data"]
        texts = [m["text"] for m in closed["transcript"]]
        assert "I need a person please" in texts
        assert "Hi, Ada here. How can I help?" in texts
        assert closed["conversation"]["status"] == "closed"
        assigned = receiver.of(cid, "conversation.assigned")[0].json["data"]
        assert assigned["assignee"]["name"]
        r = await client.post(
            "/api/v1/widget/csat",
            headers=v.headers,
            json={"conversation_id": cid, "rating": 5, "comment": "Quick and kind"},
        )
        assert r.status_code == 201, r.text
        await eventually(lambda: receiver.of(cid, "csat.submitted"), what="csat")
        csat = receiver.of(cid, "csat.submitted")[0].json["data"]["csat"]
        assert csat["rating"] == 5 and csat["comment"] == "Quick and kind"


async def test_at_least_once_with_the_same_id_when_the_receiver_fails_then_recovers(
    server: RunningServer, receiver: Receiver, subscription: dict[str, Any]
) -> None:
    # Every delivery fails twice with a 500, then succeeds.
    receiver.status_for = lambda rec, seen: 500 if seen < 2 else 200
    async with server.client() as client:
        admin = await admin_headers(client)
        v = Visitor(server, client)
        await v.start()
        cid = (await v.say("Hello?")).json()["conversation"]["id"]
        await eventually(
            lambda: (
                _delivered_types(receiver, cid)[:2] == ["conversation.created", "message.created"]
            ),
            what="delivery after two failures",
        )
        first = receiver.of(cid, "conversation.created")
        assert [r.status for r in first] == [500, 500, 200]
        assert len({r.id for r in first}) == 1, "one delivery id across retries"
        assert all(verify(subscription["secret"], r) for r in first)
        stamps = [int(r.headers["webhook-timestamp"]) for r in first]
        assert stamps == sorted(stamps)
        (d,) = [
            x
            for x in await _deliveries(client, admin, subscription)
            if x["conversation_id"] == cid and x["event_type"] == "conversation.created"
        ]
        assert d["status"] == "delivered" and d["attempts"] == 3 and d["delivery_id"] == first[0].id
        log = (await client.get(f"/api/v1/webhooks/deliveries/{d['id']}", headers=admin)).json()
        assert [a["status_code"] for a in log["attempt_log"]] == [500, 500, 200]


async def test_receiver_down_then_back_gets_everything_once_accepted(
    server: RunningServer, receiver: Receiver, subscription: dict[str, Any]
) -> None:
    async with server.client() as client:
        admin = await admin_headers(client)
        receiver.stop()
        v = Visitor(server, client)
        await v.start()
        cid = (await v.say("Anyone there?")).json()["conversation"]["id"]

        async def failed_once() -> bool:
            rows = await _deliveries(client, admin, subscription, conversation_id=cid)
            return any(r["attempts"] >= 1 and r["last_error"] for r in rows)

        await eventually(failed_once, what="a refused attempt")
        rows = await _deliveries(client, admin, subscription, conversation_id=cid)
        assert all(r["status"] == "pending" for r in rows)
        assert rows[-1]["last_status_code"] is None and rows[-1]["last_error"]
        ids = {r["delivery_id"] for r in rows}
        receiver.start()
        await eventually(
            lambda: ids <= {r.id for r in receiver.of(cid) if r.status == 200},
            what="delivery after the outage",
        )


async def test_dead_letter_after_n_failures_then_replay(
    server: RunningServer, receiver: Receiver, subscription: dict[str, Any]
) -> None:
    receiver.status_for = lambda rec, seen: 503
    async with server.client() as client:
        admin = await admin_headers(client)
        v = Visitor(server, client)
        await v.start()
        cid = (await v.say("This will bounce")).json()["conversation"]["id"]

        async def dead() -> list[dict[str, Any]]:
            rows = await _deliveries(client, admin, subscription, conversation_id=cid)
            return (
                [r for r in rows if r["status"] == "dead"]
                if len(rows) >= 2 and all(r["status"] == "dead" for r in rows)
                else []
            )

        rows = await eventually(dead, what="dead letters")
        assert all(r["attempts"] == 4 for r in rows)  # webhook_max_attempts in the test
        first = next(r for r in rows if r["event_type"] == "conversation.created")
        assert len(receiver.of(cid, "conversation.created")) == 4
        counts = (
            await client.get(f"/api/v1/webhooks/subscriptions/{subscription['id']}", headers=admin)
        ).json()["counts"]
        assert counts["dead"] >= 2

        receiver.status_for = lambda rec, seen: 200
        r = await client.post(f"/api/v1/webhooks/deliveries/{first['id']}/replay", headers=admin)
        assert r.status_code == 200 and r.json()["status"] == "pending"
        again = await client.post(
            f"/api/v1/webhooks/deliveries/{first['id']}/replay", headers=admin
        )
        assert again.status_code in (200, 409)
        await eventually(
            lambda: any(x.status == 200 for x in receiver.of(cid, "conversation.created")),
            what="replayed delivery",
        )
        assert {x.id for x in receiver.of(cid, "conversation.created")} == {first["delivery_id"]}
        r = await client.post(
            f"/api/v1/webhooks/subscriptions/{subscription['id']}/replay-dead", headers=admin
        )
        assert r.json()["replayed"] >= 1
        await eventually(
            lambda: "message.created" in _delivered_types(receiver, cid), what="replay-dead"
        )


async def test_order_per_conversation_while_others_flow(
    server: RunningServer, receiver: Receiver, subscription: dict[str, Any]
) -> None:
    # Slower retries here, so "the other conversation went first" is not a race.
    server.settings.webhook_backoff_seconds = 0.5
    server.settings.webhook_backoff_max_seconds = 2.0
    slow_id: dict[str, int | None] = {}

    def status_for(rec: Any, seen: int) -> int:
        # The first conversation's first delivery fails 3 times while more of it queues.
        if rec.type == "conversation.created":
            slow_id.setdefault("id", _conv(rec))
            if _conv(rec) == slow_id["id"] and seen < 3:
                return 500
        return 200

    receiver.status_for = status_for
    async with server.client() as client:
        slow = Visitor(server, client)
        await slow.start()
        fast = Visitor(server, client)
        await fast.start()
        slow_cid = (await slow.say("first")).json()["conversation"]["id"]
        for text in ("second", "third", "fourth"):
            await slow.say(text)
        fast_cid = (await fast.say("unrelated")).json()["conversation"]["id"]

        def visitor_texts(cid: int) -> list[str]:
            return [
                r.json["data"]["message"]["text"]
                for r in receiver.of(cid, "message.created")
                if r.status == 200 and r.json["data"]["message"]["sender"] == "visitor"
            ]

        await eventually(lambda: len(visitor_texts(slow_cid)) >= 4, what="slow conversation")
        assert slow_id["id"] == slow_cid
        assert _delivered_types(receiver, slow_cid)[0] == "conversation.created"
        assert visitor_texts(slow_cid)[:4] == ["first", "second", "third", "fourth"]
        # No later event of the slow conversation reached the receiver before its first
        # delivery was accepted (after three failures).
        created = receiver.of(slow_cid, "conversation.created")
        assert [r.status for r in created] == [500, 500, 500, 200]
        accepted = created[-1].at
        assert all(r.at >= accepted for r in receiver.of(slow_cid, "message.created"))
        # Another conversation was not held up by the slow one.
        fast_done = next(r.at for r in receiver.of(fast_cid, "message.created"))
        assert fast_done < accepted
        assert _delivered_types(receiver, fast_cid)[:2] == [
            "conversation.created",
            "message.created",
        ]


def _conv(rec: Any) -> int | None:
    data = rec.json["data"]
    return data.get("conversation_id") or (data.get("conversation") or {}).get("id")


async def test_filters_pause_and_admin_only(
    server: RunningServer, receiver: Receiver, subscription: dict[str, Any]
) -> None:
    async with server.client() as client:
        admin = await admin_headers(client)
        sid = subscription["id"]
        r = await client.patch(
            f"/api/v1/webhooks/subscriptions/{sid}",
            headers=admin,
            json={"events": ["conversation.closed"]},
        )
        assert r.json()["events"] == ["conversation.closed"]
        v = Visitor(server, client)
        await v.start()
        cid = (await v.say("filtered out")).json()["conversation"]["id"]
        await client.post(f"/api/v1/conversations/{cid}/close", headers=admin)
        await eventually(lambda: receiver.of(cid), what="closed")
        assert _delivered_types(receiver, cid) == ["conversation.closed"]
        bad = await client.patch(
            f"/api/v1/webhooks/subscriptions/{sid}", headers=admin, json={"events": ["nope"]}
        )
        assert bad.status_code == 422
        bad = await client.post(
            "/api/v1/webhooks/subscriptions",
            headers=admin,
            json={"site_id": subscription["site_id"], "url": "ftp://example.com"},
        )
        assert bad.status_code == 422
        assert (await client.get("/api/v1/webhooks/subscriptions")).status_code == 401
        # A test event goes out whatever the filter.
        r = await client.post(f"/api/v1/webhooks/subscriptions/{sid}/test", headers=admin)
        assert r.status_code == 201
        tid = r.json()["delivery_id"]
        await eventually(lambda: [x for x in receiver.of() if x.id == tid], what="test event")


async def test_delivered_log_is_purged_after_its_retention_dead_ones_stay(
    server: RunningServer, receiver: Receiver, subscription: dict[str, Any]
) -> None:
    from datetime import timedelta

    from app.crm.worker import WebhookWorker
    from app.db import utcnow

    receiver.status_for = lambda rec, seen: 200 if rec.type == "conversation.created" else 500
    async with server.client() as client:
        admin = await admin_headers(client)
        v = Visitor(server, client)
        await v.start()
        cid = (await v.say("keep me a while")).json()["conversation"]["id"]

        async def settled() -> bool:
            rows = await _deliveries(client, admin, subscription, conversation_id=cid)
            return bool(rows) and all(r["status"] != "pending" for r in rows)

        await eventually(settled, what="delivered and dead")
        worker = WebhookWorker(server.settings)
        assert await worker.purge_log() == 0  # nothing this young goes
        rows = await _deliveries(client, admin, subscription, conversation_id=cid)
        assert {r["status"] for r in rows} == {"delivered", "dead"}
        await worker.purge_log(now=utcnow() + timedelta(days=31))
        rows = await _deliveries(client, admin, subscription, conversation_id=cid)
        assert {r["status"] for r in rows} == {"dead"}
