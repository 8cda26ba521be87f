"""Identity verification: signatures and JWTs from the site's backend, and what a typed
email does not unlock."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from app.contacts import identity
from app.errors import Forbidden
from tests.app.contacts.helpers import (
    admin_headers,
    demo_site,
    identity_jwt,
    signature,
)
from tests.app.helpers import Visitor
from tests.conftest import RunningServer

# ---- the verifier on its own ----

SECRET = "ids_test-secret-long-enough-for-hs256-keys"


def test_signature_of_the_user_id_verifies_in_constant_time() -> None:
    good = signature(SECRET, "u-1")
    assert identity.verify_signature(SECRET, "u-1", good).external_id == "u-1"
    assert identity.verify_signature(SECRET, "u-1", good.upper()).external_id == "u-1"
    for bad in ("", "   ", "00" * 32, signature(SECRET, "u-2"), signature("other", "u-1")):
        with pytest.raises(Forbidden):
            identity.verify_signature(SECRET, "u-1", bad)


def _none_alg_token(sub: str) -> str:
    def b64(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'sub': sub, 'exp': 4102444800})}."


def test_jwt_needs_hs256_the_right_key_a_subject_and_an_expiry() -> None:
    ok = identity.verify_token(SECRET, identity_jwt(SECRET, "u-1", plan="pro"), "u-1")
    assert ok.external_id == "u-1" and ok.claims["plan"] == "pro"
    assert identity.verify_token(SECRET, identity_jwt(SECRET, "u-1"), None).external_id == "u-1"
    import jwt as pyjwt

    cases = {
        "expired": identity_jwt(SECRET, "u-1", ttl=-120),
        "wrong key": identity_jwt("another-secret-also-long-enough-for-hs256", "u-1"),
        "alg none": _none_alg_token("u-1"),
        "no exp": pyjwt.encode({"sub": "u-1"}, SECRET, "HS256"),
        "another user": identity_jwt(SECRET, "u-2"),
        "garbage": "not.a.jwt",
        "empty": "",
        "too long-lived": identity_jwt(SECRET, "u-1", ttl=30 * 24 * 3600),
    }
    for name, token in cases.items():
        with pytest.raises(Forbidden):
            identity.verify_token(SECRET, token, "u-1")
        assert name


# ---- through the widget API ----


async def _contacts(client, headers, q: str) -> list[dict]:  # type: ignore[no-untyped-def]
    r = await client.get("/api/v1/contacts", params={"q": q}, headers=headers)
    r.raise_for_status()
    return list(r.json()["items"])


async def test_right_signature_links_the_visitor_and_their_conversation(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        site_id, secret = await demo_site(server, client)
        admin = await admin_headers(client)
        user = f"user-{uuid.uuid4().hex[:8]}"
        v = Visitor(server, client)
        await v.start()
        sent = await v.say("Hello, I have a question about my order")
        conv_id = sent.json()["conversation"]["id"]
        r = await client.post(
            "/api/v1/widget/identify",
            headers=v.headers,
            json={
                "id": user,
                "email": f"{user}@example.com",
                "name": "Ada Lovelace",
                "attributes": {"plan": "pro", "seats": 3},
                "signature": signature(secret, user),
            },
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["verified"] is True
        assert body["contact"]["external_id"] == user
        (contact,) = await _contacts(client, admin, user)
        assert contact["verified"] and contact["site_id"] == site_id
        assert contact["attributes"] == {"plan": "pro", "seats": 3}
        detail = (await client.get(f"/api/v1/contacts/{contact['id']}", headers=admin)).json()
        convs = [i for i in detail["timeline"] if i["kind"] == "conversation"]
        assert [c["conversation_id"] for c in convs] == [conv_id]
        assert convs[0]["first_message"] == "Hello, I have a question about my order"
        assert any(i["kind"] == "page_view" for i in detail["timeline"])

        # Identifying again (every page load) is idempotent; attributes merge, null removes.
        again = await client.post(
            "/api/v1/widget/identify",
            headers=v.headers,
            json={
                "id": user,
                "attributes": {"seats": None, "vip": True},
                "signature": signature(secret, user),
            },
        )
        assert again.json()["contact"]["id"] == contact["id"]
        (contact,) = await _contacts(client, admin, user)
        assert contact["attributes"] == {"plan": "pro", "vip": True}
        assert contact["conversations"] == 1

        # A second browser of the same user lands on the same contact.
        other = Visitor(server, client)
        await other.start()
        r = await client.post(
            "/api/v1/widget/identify",
            headers=other.headers,
            json={"id": user, "signature": signature(secret, user)},
        )
        assert r.json()["contact"]["id"] == contact["id"]


@pytest.mark.parametrize(
    "proof",
    ["wrong", "empty", "another user's", "expired jwt", "alg none jwt", "wrong-key jwt"],
)
async def test_bad_proofs_are_refused_and_link_nothing(server: RunningServer, proof: str) -> None:
    async with server.client() as client:
        _, secret = await demo_site(server, client)
        admin = await admin_headers(client)
        user = f"victim-{uuid.uuid4().hex[:8]}"
        body: dict[str, object] = {"id": user, "email": f"{user}@example.com"}
        body |= {
            "wrong": {"signature": "0" * 64},
            "empty": {"signature": ""},
            "another user's": {"signature": signature(secret, "someone-else")},
            "expired jwt": {"jwt": identity_jwt(secret, user, ttl=-300)},
            "alg none jwt": {"jwt": _none_alg_token(user)},
            "wrong-key jwt": {
                "jwt": identity_jwt("not-the-secret-but-long-enough-for-hs256-x", user)
            },
        }[proof]
        v = Visitor(server, client)
        await v.start()
        r = await client.post("/api/v1/widget/identify", headers=v.headers, json=body)
        assert r.status_code == 403, r.text
        assert r.json()["error"] == "Forbidden"
        assert r.json()["detail"]
        assert await _contacts(client, admin, user) == []
        # The session still works: nothing was lost.
        assert (await v.say("still here")).status_code == 201


async def test_jwt_claims_are_trusted_and_page_attributes_are_not(server: RunningServer) -> None:
    async with server.client() as client:
        _, secret = await demo_site(server, client)
        admin = await admin_headers(client)
        user = f"jwt-{uuid.uuid4().hex[:8]}"
        v = Visitor(server, client)
        await v.start()
        token = identity_jwt(
            secret,
            user,
            name="Grace Hopper",
            email="grace@example.com",
            attributes={"plan": "enterprise"},
        )
        r = await client.post(
            "/api/v1/widget/identify",
            headers=v.headers,
            # A visitor editing the page cannot make themselves VIP next to a JWT.
            json={"jwt": token, "attributes": {"vip": True}},
        )
        assert r.status_code == 200, r.text
        assert r.json()["verified"] is True
        (contact,) = await _contacts(client, admin, user)
        assert contact["name"] == "Grace Hopper"
        assert contact["email"] == "grace@example.com"
        assert contact["attributes"] == {"plan": "enterprise"}


async def test_a_typed_email_never_reveals_the_owners_history(server: RunningServer) -> None:
    async with server.client() as client:
        _, secret = await demo_site(server, client)
        admin = await admin_headers(client)
        user = f"owner-{uuid.uuid4().hex[:8]}"
        email = f"{user}@example.com"
        secret_text = f"My order {uuid.uuid4().hex[:6]} goes to 12 Private Lane"
        owner = Visitor(server, client)
        await owner.start()
        await client.post(
            "/api/v1/widget/identify",
            headers=owner.headers,
            json={
                "id": user,
                "email": email,
                "name": "Olive Owner",
                "signature": signature(secret, user),
            },
        )
        await owner.say(secret_text)
        (contact,) = await _contacts(client, admin, user)

        intruder = Visitor(server, client)
        await intruder.start()
        r = await client.post(
            "/api/v1/widget/identify",
            headers=intruder.headers,
            json={"email": email, "name": "Olive Owner", "id": user},
        )
        assert r.status_code == 200
        assert r.json() == {"verified": False, "contact": None}
        sent = await intruder.say("What did I order last time?")
        mine = sent.json()["conversation"]["id"]
        convo = (await client.get("/api/v1/widget/conversation", headers=intruder.headers)).json()
        assert convo["conversation"]["id"] == mine
        texts = [m["text"] for m in convo["messages"]]
        assert secret_text not in texts and all("Private Lane" not in t for t in texts)
        # Not linked, not merged: the owner's contact still has only their conversation,
        # and no second contact appeared for the typed email.
        detail = (await client.get(f"/api/v1/contacts/{contact['id']}", headers=admin)).json()
        linked = [i["conversation_id"] for i in detail["timeline"] if i["kind"] == "conversation"]
        assert mine not in linked and len(linked) == 1
        assert [c["id"] for c in await _contacts(client, admin, email)] == [contact["id"]]
        # Agents see what the intruder typed on their own conversation, flagged unverified.
        conv = (await client.get(f"/api/v1/conversations/{mine}", headers=admin)).json()
        assert conv["context"]["email"] == email
        assert conv["context"]["email_verified"] is False
        assert conv["contact"] is None, "nothing of the owner in the agent's view either"


async def test_bad_input_gets_clear_422s(server: RunningServer) -> None:
    async with server.client() as client:
        v = Visitor(server, client)
        await v.start()
        cases = [
            {"signature": "abc"},  # a signature without the id it signs
            {"id": "u", "signature": "a", "jwt": "b"},
            {"id": "u", "email": "not-an-email"},
            {"id": "u", "attributes": {"nested": {"x": 1}}},
            {"id": "u", "attributes": {"1bad key": 1}},
            {"id": "   "},
        ]
        for body in cases:
            r = await client.post("/api/v1/widget/identify", headers=v.headers, json=body)
            assert r.status_code == 422, (body, r.text)
            assert r.json()["error"] == "InvalidInput"
        r = await client.post("/api/v1/widget/identify", json={"id": "u"})
        assert r.status_code == 401


async def test_identity_secret_is_admin_only_and_rotates(server: RunningServer) -> None:
    async with server.client() as client:
        site_id, secret = await demo_site(server, client)
        admin = await admin_headers(client)
        r = await client.post(f"/api/v1/sites/{site_id}/identity-secret/rotate", headers=admin)
        new = r.json()["identity_secret"]
        assert new != secret
        user = f"rot-{uuid.uuid4().hex[:8]}"
        v = Visitor(server, client)
        await v.start()
        old_sig = {"id": user, "signature": signature(secret, user)}
        assert (
            await client.post("/api/v1/widget/identify", headers=v.headers, json=old_sig)
        ).status_code == 403
        new_sig = {"id": user, "signature": signature(new, user)}
        assert (
            await client.post("/api/v1/widget/identify", headers=v.headers, json=new_sig)
        ).json()["verified"]
        r = await client.get(f"/api/v1/sites/{site_id}/identity-secret")
        assert r.status_code == 401


async def test_a_returning_contact_brings_their_history_to_the_agent(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        _, secret = await demo_site(server, client)
        admin = await admin_headers(client)
        user = f"back-{uuid.uuid4().hex[:8]}"
        proof = {"id": user, "signature": signature(secret, user), "attributes": {"plan": "pro"}}
        first = Visitor(server, client)
        await first.start()
        await client.post("/api/v1/widget/identify", headers=first.headers, json=proof)
        old = (await first.say("My e-bike battery will not charge")).json()["conversation"]["id"]
        await client.post(f"/api/v1/conversations/{old}/close", headers=admin)
        # Days later, another device: identified again, a new conversation.
        again = Visitor(server, client)
        await again.start()
        await client.post("/api/v1/widget/identify", headers=again.headers, json=proof)
        new = (await again.say("Hello again")).json()["conversation"]["id"]
        detail = (await client.get(f"/api/v1/conversations/{new}", headers=admin)).json()
        contact = detail["contact"]
        assert contact["verified"] and contact["external_id"] == user
        assert contact["attributes"] == {"plan": "pro"} and contact["conversations"] == 2
        (earlier,) = contact["earlier"]
        assert earlier["conversation_id"] == old
        assert earlier["first_message"] == "My e-bike battery will not charge"
        assert earlier["status"] == "closed"
