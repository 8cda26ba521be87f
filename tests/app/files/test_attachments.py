"""Attachments through the real API: uploads checked by their bytes, sent with messages,
downloaded only by whom they belong to, listed in transcripts, exported and erased."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from tests.app.contacts.helpers import admin_headers, demo_site, signature
from tests.app.crm.conftest import eventually
from tests.app.crm.receiver import Receiver
from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer

# ---- sample files, made here ----


def png(size: tuple[int, int] = (64, 48), *, exif_secret: str = "") -> bytes:
    """A PNG; with ``exif_secret``, an EXIF block naming the camera (like a phone photo)."""
    buf = io.BytesIO()
    im = Image.new("RGB", size, (200, 30, 60))
    if exif_secret:
        exif = Image.Exif()
        exif[0x010F] = exif_secret  # Make
        im.save(buf, "PNG", exif=exif.tobytes())
    else:
        im.save(buf, "PNG")
    return buf.getvalue()


def jpeg_with_gps(secret: str) -> bytes:
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = secret
    exif[0x0112] = 6  # taken sideways: the stored pixels are turned instead
    Image.new("RGB", (80, 40), "navy").save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"PE\x00\x00" + b"\x00" * 400


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


# ---- helpers ----


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes, name: str, path: str = ""
) -> httpx.Response:
    return await client.post(
        path or "/api/v1/widget/files",
        params={"filename": name},
        headers={**headers, "Content-Type": "application/octet-stream"},
        content=data,
    )


def stored_files(server: RunningServer) -> set[Path]:
    root = server.settings.files_dir
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


async def send(v: Visitor, text: str, ids: list[int], cmid: str | None = None) -> httpx.Response:
    return await v.client.post(
        "/api/v1/widget/messages",
        headers=v.headers,
        json={"client_message_id": cmid or str(uuid.uuid4()), "text": text, "attachments": ids},
    )


async def message_count(client: httpx.AsyncClient, auth: dict[str, str], cid: int) -> int:
    """Messages of people and the system (the bot may answer meanwhile)."""
    detail = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()
    return sum(m["sender"] != "bot" for m in detail["messages"])


# ---- tests ----


async def test_visitor_sends_a_screenshot_and_a_document_the_agent_replies_with_a_pdf(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()

        # A screenshot, first thing (no conversation yet), with a camera name in its EXIF.
        r = await upload(client, v.headers, png(exif_secret="SecretCam-42"), "screen shot.png")
        assert r.status_code == 201, r.text
        shot = r.json()
        assert shot["content_type"] == "image/png" and shot["name"] == "screen shot.png"
        assert (shot["width"], shot["height"]) == (64, 48)
        assert shot["url"] == f"/api/v1/files/{shot['id']}"
        assert shot["thumb_url"] == f"/api/v1/files/{shot['id']}/thumb"
        assert shot["sent"] is False
        # A Word document named like an image is stored as what it is, and says so.
        r = await upload(client, v.headers, docx(), "notes.png")
        assert r.status_code == 201, r.text
        doc = r.json()
        assert doc["content_type"].endswith("wordprocessingml.document")
        assert doc["name"] == "notes.png.docx" and doc["thumb_url"] is None

        # Files only, no text: one message carrying both.
        r = await send(v, "", [shot["id"], doc["id"]], cmid="att-first")
        assert r.status_code == 201, r.text
        msg = r.json()["message"]
        cid = r.json()["conversation"]["id"]
        assert msg["text"] == ""
        assert [a["id"] for a in msg["attachments"]] == [shot["id"], doc["id"]]
        assert msg["attachments"][0]["sent"] is True
        # Resending the same client id is the same message (the outbox retries).
        again = await send(v, "", [shot["id"], doc["id"]], cmid="att-first")
        assert again.status_code == 200 and again.json()["message"]["id"] == msg["id"]
        # Sent files cannot be sent again in another message.
        assert (await send(v, "again", [shot["id"]])).status_code == 409

        # The visitor downloads their image: shown inline, no sniffing, nothing may run.
        r = await client.get(shot["url"], headers=v.headers)
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/png"
        assert r.headers["content-disposition"].startswith("inline;")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in r.headers["content-security-policy"]
        assert "sandbox" in r.headers["content-security-policy"]
        assert b"SecretCam-42" not in r.content, "EXIF is stripped"
        assert Image.open(io.BytesIO(r.content)).size == (64, 48)
        thumb = await client.get(shot["thumb_url"], headers=v.headers)
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
        # Documents are always downloads.
        r = await client.get(doc["url"], headers=v.headers)
        assert r.headers["content-disposition"].startswith("attachment;")
        assert 'filename="notes.png.docx"' in r.headers["content-disposition"]
        assert r.content[:2] == b"PK"

        # The agent sees the message with its files in the conversation and downloads them.
        detail = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()
        (stored,) = [m for m in detail["messages"] if m["id"] == msg["id"]]
        assert [a["name"] for a in stored["attachments"]] == ["screen shot.png", "notes.png.docx"]
        r = await client.get(shot["url"], headers=auth)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        # No token, a bad one: nothing.
        assert (await client.get(shot["url"])).status_code == 401
        assert (
            await client.get(shot["url"], headers={"Authorization": "Bearer nonsense"})
        ).status_code == 401

        # The agent replies with a PDF and a line of text.
        r = await upload(
            client, auth, PDF, "refund-policy.pdf", path=f"/api/v1/conversations/{cid}/files"
        )
        assert r.status_code == 201, r.text
        pdf = r.json()
        assert pdf["content_type"] == "application/pdf"
        # Before it is sent, the visitor cannot fetch it.
        assert (await client.get(pdf["url"], headers=v.headers)).status_code == 404
        r = await client.post(
            f"/api/v1/conversations/{cid}/messages",
            headers=auth,
            json={
                "client_message_id": "att-reply",
                "text": "Here is our policy.",
                "attachments": [pdf["id"]],
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["attachments"][0]["name"] == "refund-policy.pdf"
        convo = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
        (reply,) = [m for m in convo["messages"] if m["client_message_id"] == "att-reply"]
        assert reply["attachments"][0]["id"] == pdf["id"]
        r = await client.get(pdf["url"], headers=v.headers)
        assert r.status_code == 200 and r.content == PDF
        assert r.headers["content-disposition"].startswith("attachment;")
        assert r.headers["content-type"] == "application/pdf"

        # A reply of files only: the inbox row names the file.
        r = await upload(
            client,
            auth,
            b"step 1\nstep 2\n",
            "steps.txt",
            path=f"/api/v1/conversations/{cid}/files",
        )
        r = await client.post(
            f"/api/v1/conversations/{cid}/messages",
            headers=auth,
            json={"client_message_id": "att-only", "attachments": [r.json()["id"]]},
        )
        assert r.status_code == 201 and r.json()["text"] == ""
        row = (await client.get(f"/api/v1/conversations/{cid}", headers=auth)).json()
        assert row["last_message"]["text"] == "File: steps.txt"


async def test_images_lose_their_metadata_and_keep_their_orientation(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        v = Visitor(server, client)
        await v.start()
        r = await upload(client, v.headers, jpeg_with_gps("GPS-Secret-Phone"), "IMG_0001.JPG")
        assert r.status_code == 201, r.text
        a = r.json()
        assert a["content_type"] == "image/jpeg" and a["name"] == "IMG_0001.JPG"
        assert (a["width"], a["height"]) == (40, 80), "turned as the camera meant"
        body = (await client.get(a["url"], headers=v.headers)).content
        assert b"GPS-Secret-Phone" not in body and b"Exif" not in body
        assert hashlib.sha256(body).hexdigest()  # served as stored


async def test_refused_files_say_why_and_nothing_is_stored(server: RunningServer) -> None:
    async with server.client() as client:
        v = Visitor(server, client)
        await v.start()
        before = stored_files(server)
        for data, name, what in [
            (SVG, "logo.svg", "SVG"),
            (HTML, "cute-cat.png", "web page"),
            (EXE, "holiday.png", "Windows program"),
            (b"\x00\x01\x02binary\xff\xfe" * 20, "data.txt", "unknown type"),
        ]:
            r = await upload(client, v.headers, data, name)
            assert r.status_code == 415, (name, r.text)
            body = r.json()
            assert body["error"] == "UnsupportedMediaType"
            assert what in body["detail"] and "PDF" in body["detail"], body["detail"]
        r = await upload(client, v.headers, b"", "empty.txt")
        assert r.status_code == 422 and "empty" in r.json()["detail"]
        # A PNG header on something that is not a PNG.
        r = await upload(client, v.headers, png()[:40], "broken.png")
        assert r.status_code == 422, r.text
        assert stored_files(server) == before, "no refused file is left on disk"
        # Plain text and CSV are fine (served as text, downloaded).
        r = await upload(client, v.headers, "a,b\n1,€\n".encode(), "numbers.csv")
        assert r.status_code == 201 and r.json()["content_type"] == "text/csv"
        r = await upload(client, v.headers, b"just a note", "../../etc/\u202egnp.exe")
        assert r.status_code == 201
        assert r.json()["name"] == "gnp.exe.txt", "no path, no bidi override, a true extension"


async def test_too_big_is_413_while_streaming_and_leaves_nothing(server: RunningServer) -> None:
    settings = server.settings
    cap = settings.file_max_bytes
    settings.file_max_bytes = 256 * 1024
    try:
        async with server.client() as client:
            v = Visitor(server, client)
            await v.start()
            before = stored_files(server)
            # Declared up front: refused before the body is read.
            r = await upload(client, v.headers, b"x" * (300 * 1024), "big.txt")
            assert r.status_code == 413, r.text
            assert r.json()["error"] == "PayloadTooLarge" and "MB" in r.json()["detail"]

            # Chunked, without a length: refused once the limit is passed.
            sent = 0

            async def chunks() -> AsyncIterator[bytes]:
                nonlocal sent
                for _ in range(64):  # 4 MB offered in all
                    sent += 65536
                    yield b"y" * 65536

            r = await client.post(
                "/api/v1/widget/files",
                params={"filename": "stream.txt"},
                headers={**v.headers, "Content-Type": "application/octet-stream"},
                content=chunks(),
            )
            assert r.status_code == 413, r.text
            assert stored_files(server) == before, "nothing stored, no temporary file left"
    finally:
        settings.file_max_bytes = cap


async def test_nobody_reads_or_sends_someone_elses_files(server: RunningServer) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        alice, bob = Visitor(server, client), Visitor(server, client)
        await alice.start()
        await bob.start()
        a = (await upload(client, alice.headers, png(), "alice.png")).json()
        b_first = (await bob.say("hello from bob")).json()
        bob_cid = b_first["conversation"]["id"]
        count = await message_count(client, auth, bob_cid)

        # Bob can neither download Alice's upload nor send it as his.
        assert (await client.get(a["url"], headers=bob.headers)).status_code == 404
        r = await send(bob, "look at this", [a["id"]])
        assert r.status_code == 404, r.text
        assert (await send(bob, "and this", [999_999_999])).status_code == 404
        assert await message_count(client, auth, bob_cid) == count, "nothing stored"
        # Agents do not see uploads nobody sent.
        assert (await client.get(a["url"], headers=auth)).status_code == 404

        # Alice sends it; Bob still cannot read it; agents can.
        r = await send(alice, "mine", [a["id"]])
        assert r.status_code == 201
        assert (await client.get(a["url"], headers=bob.headers)).status_code == 404
        assert (await client.get(a["url"], headers=auth)).status_code == 200

        # An agent's upload belongs to the conversation it was made in.
        alice_cid = r.json()["conversation"]["id"]
        up = await upload(
            client, auth, PDF, "x.pdf", path=f"/api/v1/conversations/{alice_cid}/files"
        )
        assert up.status_code == 201
        r = await client.post(
            f"/api/v1/conversations/{bob_cid}/messages",
            headers=auth,
            json={
                "client_message_id": "wrong-conv",
                "text": "hi",
                "attachments": [up.json()["id"]],
            },
        )
        assert r.status_code == 403, r.text
        assert await message_count(client, auth, bob_cid) == count
        # And a visitor cannot send an agent's file.
        assert (await send(alice, "", [up.json()["id"]])).status_code == 404
        # More than ten files in one message: refused by the schema.
        r = await send(alice, "many", list(range(1, 13)))
        assert r.status_code == 422


async def test_an_unsent_upload_can_be_removed(server: RunningServer) -> None:
    async with server.client() as client:
        v = Visitor(server, client)
        await v.start()
        before = stored_files(server)
        a = (await upload(client, v.headers, png(), "oops.png")).json()
        assert len(stored_files(server) - before) == 2, "the image and its thumbnail"
        r = await client.delete(a["url"], headers=v.headers)
        assert r.status_code == 204
        assert stored_files(server) == before
        assert (await client.get(a["url"], headers=v.headers)).status_code == 404
        # A sent one stays with its message.
        b = (await upload(client, v.headers, b"kept", "kept.txt")).json()
        assert (await send(v, "", [b["id"]])).status_code == 201
        assert (await client.delete(b["url"], headers=v.headers)).status_code == 409


async def test_the_bot_answers_a_file_without_words(server: RunningServer) -> None:
    if not server.settings.bot_enabled:
        return
    async with server.client() as client:
        v = Visitor(server, client)
        await v.start()
        a = (await upload(client, v.headers, png(), "error.png")).json()
        assert (await send(v, "", [a["id"]])).status_code == 201

        async def bot_reply() -> Any:
            convo = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
            return [m for m in convo["messages"] if m["sender"] == "bot"]

        (reply,) = await eventually(bot_reply, timeout=30, what="the bot's answer")
        assert "can't open files" in reply["text"]
        assert reply["quick_replies"] == ["Talk to a person"]


async def test_transcripts_list_files_with_links_that_work_without_a_token(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        auth = {"Authorization": f"Bearer {await agent_token(client)}"}
        v = Visitor(server, client)
        await v.start()
        a = (await upload(client, v.headers, png(), "<img src=x onerror=alert(1)>.png")).json()
        r = await send(v, "see attached", [a["id"]])
        cid = r.json()["conversation"]["id"]

        t = (
            await client.get(
                f"/api/v1/conversations/{cid}/transcript", params={"format": "json"}, headers=auth
            )
        ).json()
        (m,) = [m for m in t["messages"] if m["attachments"]]
        (f,) = m["attachments"]
        assert f["name"] == "<img src=x onerror=alert(1)>.png" and f["content_type"] == "image/png"
        assert f["size"] > 0 and f["id"] == a["id"]
        link = httpx.URL(f["url"])
        assert link.path == a["url"] and "signature" in link.params

        html = (
            await client.get(
                "/api/v1/widget/transcript", params={"format": "html"}, headers=v.headers
            )
        ).text
        assert "&lt;img src=x onerror=alert(1)&gt;.png" in html and "<img" not in html
        assert "/api/v1/files/" in html and "Attachment links work for 24 hours" in html

        # The link opens the file without signing in; a changed one does not.
        r = await client.get(link.raw_path.decode())
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        tampered = str(link).replace(f"/files/{a['id']}?", f"/files/{a['id'] + 1}?")
        assert (await client.get(tampered)).status_code in (401, 404)
        bad = str(link)[:-4] + "0000"
        assert (await client.get(bad)).status_code == 401


async def test_export_carries_the_files_and_erasure_removes_them_from_disk(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        _, secret = await demo_site(server, client)
        admin = await admin_headers(client)
        user = f"files-{uuid.uuid4().hex[:8]}"
        v = Visitor(server, client)
        await v.start()
        before = stored_files(server)
        a = (await upload(client, v.headers, png(), "passport.png")).json()
        r = await send(v, "my document", [a["id"]])
        cid = r.json()["conversation"]["id"]
        up = await upload(client, admin, PDF, "form.pdf", path=f"/api/v1/conversations/{cid}/files")
        await client.post(
            f"/api/v1/conversations/{cid}/messages",
            headers=admin,
            json={
                "client_message_id": "exp-1",
                "text": "fill this in",
                "attachments": [up.json()["id"]],
            },
        )
        # Uploaded but never sent: theirs too.
        draft = (await upload(client, v.headers, b"draft text", "draft.txt")).json()
        mine = stored_files(server) - before
        assert len(mine) == 4, "image + thumbnail, PDF, draft"

        r = await client.post(
            "/api/v1/widget/identify",
            headers=v.headers,
            json={"id": user, "signature": signature(secret, user)},
        )
        contact_id = r.json()["contact"]["id"]

        data = (await client.get(f"/api/v1/contacts/{contact_id}/export", headers=admin)).json()
        files = {f["id"]: f for f in data["files"]}
        assert set(files) == {a["id"], up.json()["id"], draft["id"]}
        assert base64.b64decode(files[up.json()["id"]]["content_base64"]) == PDF
        img = base64.b64decode(files[a["id"]]["content_base64"])
        assert hashlib.sha256(img).hexdigest() == files[a["id"]]["sha256"]
        assert files[a["id"]]["name"] == "passport.png"

        # The archive a person opens: contact.json and the files themselves.
        r = await client.get(
            f"/api/v1/contacts/{contact_id}/export", params={"format": "zip"}, headers=admin
        )
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        assert r.headers["content-disposition"].startswith("attachment;")
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            doc = json.loads(z.read("contact.json"))
            entries = {f["id"]: f for f in doc["files"]}
            assert "content_base64" not in entries[up.json()["id"]]
            assert z.read(entries[up.json()["id"]]["path"]) == PDF
            assert z.read(f"files/{a['id']}-passport.png") == img
            assert z.read(entries[draft["id"]]["path"]) == b"draft text"

        r = await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=admin)
        assert r.status_code == 200, r.text
        assert r.json()["files"] >= 4
        for p in mine:
            assert not p.exists(), f"{p} is still on disk"
        assert (await client.get(f"/api/v1/files/{a['id']}", headers=admin)).status_code == 404


async def test_uploads_are_limited_per_visitor_session(server: RunningServer) -> None:
    settings = server.settings
    settings.rate_limits = True  # the per-session limit reads it on every upload
    try:
        async with server.client() as client:
            v = Visitor(server, client)
            await v.start()
            # At most 20 waiting to be sent.
            waiting = [
                (await upload(client, v.headers, f"note {i}".encode(), f"n{i}.txt")).json()
                for i in range(20)
            ]
            r = await upload(client, v.headers, b"one more", "more.txt")
            assert r.status_code == 429 and "waiting to be sent" in r.json()["detail"]
            # Removing them makes room, but not beyond 30 uploads in the window.
            for a in waiting:
                assert (await client.delete(a["url"], headers=v.headers)).status_code == 204
            for i in range(10):
                r = await upload(client, v.headers, b"again", f"again{i}.txt")
                assert r.status_code == 201, r.text
                await client.delete(r.json()["url"], headers=v.headers)
            r = await upload(client, v.headers, b"too many", "last.txt")
            assert r.status_code == 429 and "short time" in r.json()["detail"]
            # Another visitor is not affected.
            other = Visitor(server, client)
            await other.start()
            assert (await upload(client, other.headers, b"hi", "hi.txt")).status_code == 201
    finally:
        settings.rate_limits = False


async def test_the_crm_gets_the_files_with_the_closing_transcript(
    server: RunningServer, receiver: Receiver, subscription: dict[str, Any]
) -> None:
    async with server.client() as client:
        admin = await admin_headers(client)
        v = Visitor(server, client)
        await v.start()
        a = (await upload(client, v.headers, png(), "damage.png")).json()
        r = await send(v, "the frame arrived bent", [a["id"]])
        cid = r.json()["conversation"]["id"]
        await client.post(f"/api/v1/conversations/{cid}/close", headers=admin)

        # message.created carries the file's facts; the closing transcript a link to it.
        created = await eventually(lambda: receiver.of(cid, "message.created"), what="message")
        assert created[0].json["data"]["message"]["attachments"][0]["name"] == "damage.png"
        (closed,) = await eventually(
            lambda: receiver.of(cid, "conversation.closed"), what="the close"
        )
        (m,) = [m for m in closed.json["data"]["transcript"] if m["attachments"]]
        (f,) = m["attachments"]
        assert (f["name"], f["content_type"]) == ("damage.png", "image/png")
        link = httpx.URL(f["url"])
        r = await client.get(link.raw_path.decode())  # no token: the signature is enough
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
