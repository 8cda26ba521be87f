"""Importing through the API: uploads and URLs, progress, and bad input that changes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.articles.index import get_store
from tests.app.articles.conftest import unique
from tests.conftest import RunningServer
from tests.knowledge.pdfgen import make_pdf
from tests.knowledge.sitehost import serve_site, sitemap

FILES = Path(__file__).resolve().parents[2] / "knowledge" / "files"


async def state(api: httpx.AsyncClient, headers: dict[str, str]) -> tuple[Any, int]:
    """Article counts and indexed chunks: what bad input must not change."""
    listing = (await api.get("/api/v1/kb/articles", headers=headers, params={"limit": 500})).json()
    return listing["counts"], get_store().count()


async def upload(
    api: httpx.AsyncClient, headers: dict[str, str], name: str, data: bytes, **params: Any
) -> httpx.Response:
    return await api.post(
        "/api/v1/kb/import/file",
        params={"filename": name, **params},
        headers={**headers, "Content-Type": "application/octet-stream"},
        content=data,
    )


async def test_upload_files_keep_their_stem_as_slug_and_publish_into_the_index(
    server: RunningServer, api: httpx.AsyncClient, lead: dict[str, str]
) -> None:
    stem = unique("tandem-faq")
    csv = b"question,answer\nDo you sell tandem bikes?,Yes: the Duo tandem costs 1450 dollars.\n"
    r = await upload(api, lead, f"{stem}.csv", csv)
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert (item["slug"], item["action"], item["status"], item["version"]) == (
        stem,
        "created",
        "draft",
        1,
    )
    assert get_store().collection.get(where={"slug": stem}, include=[])["ids"] == []

    again = await upload(api, lead, f"{stem}.csv", csv, publish="true")
    (item,) = again.json()["items"]
    assert (item["action"], item["status"], item["version"]) == ("unchanged", "published", 1)
    assert again.json()["embedded"] == 1
    hits = (
        await api.get("/api/v1/kb/search", params={"q": "tandem bike price"}, headers=lead)
    ).json()
    assert hits[0]["slug"] == stem and hits[0]["section"] == "Do you sell tandem bikes?"

    # Re-importing changed content adds a version; the live one follows only with publish.
    changed = csv.replace(b"1450", b"1500")
    (item,) = (await upload(api, lead, f"{stem}.csv", changed)).json()["items"]
    assert (item["action"], item["version"]) == ("updated", 2)
    detail = (await api.get(f"/api/v1/kb/articles/{item['id']}", headers=lead)).json()
    assert detail["published_version"] == 1 and "1450" in detail["published"]["body"]
    await api.delete(f"/api/v1/kb/articles/{item['id']}", headers=lead)

    pdf = make_pdf(
        [[(18, True, "Tandem care"), (11, False, "Check both chains of a tandem every 500 km.")]]
    )
    pdf_stem = unique("tandem-care")
    r = await upload(api, lead, f"{pdf_stem}.pdf", pdf)
    (item,) = r.json()["items"]
    assert item["slug"] == pdf_stem and item["title"] == "Tandem care"
    await api.delete(f"/api/v1/kb/articles/{item['id']}", headers=lead)


async def test_upload_streams_progress_as_ndjson(
    server: RunningServer, api: httpx.AsyncClient, lead: dict[str, str]
) -> None:
    name = unique("store-pickup") + ".html"
    lines: list[dict[str, Any]] = []
    async with api.stream(
        "POST",
        "/api/v1/kb/import/file",
        params={"filename": name, "publish": "true"},
        headers={**lead, "Accept": "application/x-ndjson"},
        content=(FILES / "store-pickup.html").read_bytes(),
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        async for line in r.aiter_lines():
            if line.strip():
                lines.append(json.loads(line))
    stages = [(e["stage"], e["done"], e["total"]) for e in lines if e["type"] == "progress"]
    assert stages == [("read", 1, 1), ("save", 1, 1), ("index", 1, 1)]
    result = lines[-1]
    assert result["type"] == "result" and result["items"][0]["status"] == "published"
    assert result["embedded"] >= 3
    await api.delete(f"/api/v1/kb/articles/{result['items'][0]['id']}", headers=lead)


async def test_bad_uploads_get_a_clear_4xx_and_change_nothing(
    server: RunningServer, api: httpx.AsyncClient, lead: dict[str, str]
) -> None:
    before = await state(api, lead)
    cases = [
        ("empty.md", b"", 422, "empty.md is empty."),
        (
            "logo.md",
            b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
            422,
            "logo.md is a PNG image, not a text file.",
        ),
        ("notes.docx", b"PK\x03\x04zip", 422, "unsupported file type .docx"),
        ("faq.json", b"{oops", 422, "faq.json is not valid JSON"),
    ]
    for name, data, code, message in cases:
        r = await upload(api, lead, name, data, publish="true")
        assert r.status_code == code, (name, r.text)
        assert r.json()["error"] == "InvalidInput" and message in r.json()["detail"], r.json()
    missing = await api.post("/api/v1/kb/import/file", headers=lead, content=b"# x\n\ny")
    assert missing.status_code == 422  # no filename
    assert await state(api, lead) == before


async def raw_post(url: str, head: str, body_chunks: list[bytes]) -> tuple[int, bytes, int]:
    """POST by hand: returns (status, response, bytes the server accepted before answering)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(head.encode())
    sent = 0
    response = b""
    for chunk in body_chunks:
        try:
            writer.write(chunk)
            await asyncio.wait_for(writer.drain(), 2)
            sent += len(chunk)
        except (ConnectionError, TimeoutError):
            break
        if reader.at_eof() or len(reader._buffer) > 0:  # type: ignore[attr-defined]
            break  # the server answered early
    with contextlib.suppress(ConnectionError, TimeoutError):
        response = await asyncio.wait_for(reader.read(65536), 10)
    writer.close()
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1") else 0
    return status, response, sent


async def test_a_50_mb_upload_is_refused_with_413_before_it_is_read(
    server: RunningServer, api: httpx.AsyncClient, lead: dict[str, str]
) -> None:
    before = await state(api, lead)
    size = 50 * 1024 * 1024
    head = (
        f"POST /api/v1/kb/import/file?filename=huge.md HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {lead['Authorization']}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {size}\r\n\r\n"
    )
    chunk = b"# Big\n\n" + b"a" * (1024 * 1024 - 7)
    status, response, sent = await raw_post(server.url, head, [chunk] * 50)
    assert status == 413, response[:300]
    assert b'"error":"PayloadTooLarge"' in response and b"the limit is 10 MB" in response
    assert sent < size  # answered long before the client could send it all

    # Without a Content-Length (chunked), reading stops at the limit.
    head = (
        f"POST /api/v1/kb/import/file?filename=huge.md HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {lead['Authorization']}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"a" * (1024 * 1024)
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    status, response, sent = await raw_post(server.url, head, [frame] * 50)
    assert status == 413, response[:300]
    assert sent < size
    assert await state(api, lead) == before


async def test_import_a_sitemap_of_the_own_site_with_progress(
    server: RunningServer, api: httpx.AsyncClient, lead: dict[str, str]
) -> None:
    # The demo site allows server.host_origin: serve "the company's site" there.
    port = urlsplit(server.host_origin).port
    assert port is not None
    a, b = unique("rentals"), unique("pickup")
    routes: dict[str, tuple[int, str, bytes]] = {}
    with serve_site(routes, port=port):
        origin = server.host_origin
        routes.update(
            {
                "/sitemap.xml": (
                    200,
                    "application/xml",
                    sitemap(
                        [f"{origin}/help/{a}", f"{origin}/help/{b}", "https://other.example/x"]
                    ),
                ),
                f"/help/{a}": (
                    200,
                    "text/html",
                    b"<html><head><title>Tandem rentals</title></head><body><nav>Menu</nav><main><h1>Tandem rentals</h1><p>Rent a tandem for 45 dollars a day at the Denver showroom.</p></main></body></html>",
                ),
                f"/help/{b}": (200, "text/html", (FILES / "store-pickup.html").read_bytes()),
            }
        )
        events: list[dict[str, Any]] = []
        async with api.stream(
            "POST",
            "/api/v1/kb/import/url",
            headers={**lead, "Accept": "application/x-ndjson"},
            json={"url": f"{origin}/sitemap.xml", "publish": True},
        ) as r:
            assert r.status_code == 200
            async for line in r.aiter_lines():
                if line.strip():
                    events.append(json.loads(line))
    fetches = [(e["done"], e["total"]) for e in events if e.get("stage") == "fetch"]
    assert fetches == [(1, 2), (2, 2)]
    result = events[-1]
    assert result["type"] == "result", result
    assert {i["slug"] for i in result["items"]} == {a, b}
    assert result["skipped"][0]["url"] == "https://other.example/x"
    hits = (
        await api.get(
            "/api/v1/kb/search", params={"q": "tandem rental price per day"}, headers=lead
        )
    ).json()
    assert hits[0]["slug"] == a and "45 dollars" in hits[0]["text"]
    for item in result["items"]:
        assert item["source"].startswith(origin)
        await api.delete(f"/api/v1/kb/articles/{item['id']}", headers=lead)


async def test_a_url_outside_the_site_is_refused_and_changes_nothing(
    server: RunningServer, api: httpx.AsyncClient, lead: dict[str, str]
) -> None:
    before = await state(api, lead)
    for url in ("https://example.com/help", "http://169.254.169.254/latest/meta-data/"):
        r = await api.post(
            "/api/v1/kb/import/url", headers=lead, json={"url": url, "publish": True}
        )
        assert r.status_code == 422, r.text
        assert "is not one of your site's origins" in r.json()["detail"]
    r = await api.post(
        "/api/v1/kb/import/url", headers=lead, json={"url": "javascript:alert(1)//x"}
    )
    assert r.status_code == 422
    assert await state(api, lead) == before
