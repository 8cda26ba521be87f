"""Knowledge-base API over a real server (SQLite and PostgreSQL): versions, publishing, roles.

The bot's own KnowledgeStore is checked directly: the index must hold exactly the live
versions, immediately after each call.
"""

from __future__ import annotations

from typing import Any

import httpx

from app.articles.index import get_store
from app.bot import service as bot_service
from tests.app.articles.conftest import unique
from tests.conftest import RunningServer

BODY_V1 = """The Zephyr trail saddle suits riders who sit upright.

## Zephyr saddle price

The Zephyr trail saddle costs 77 euros and comes in black or sand.

## Zephyr saddle fitting

Fit the Zephyr saddle level, 6 centimetres behind the handlebar stem.
"""


def chunk_ids(slug: str) -> list[str]:
    """What the bot's index holds for an article."""
    return list(get_store().collection.get(where={"slug": slug}, include=[])["ids"])


def chunk_texts(slug: str) -> str:
    """The indexed text of an article."""
    return " ".join(get_store().collection.get(where={"slug": slug})["documents"] or [])


async def create(api: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    r = await api.post("/api/v1/kb/articles", headers=headers, json=fields)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_draft_is_not_live_until_published(
    server: RunningServer, api: httpx.AsyncClient, lead: dict[str, str]
) -> None:
    slug = unique("zephyr")
    art = await create(
        api, lead, title="Zephyr trail saddle", body=BODY_V1, slug=slug, tags=["Saddles", "saddles"]
    )
    assert art["status"] == "draft" and art["version"] == 1 and art["published_version"] is None
    assert art["tags"] == ["saddles"]
    assert chunk_ids(slug) == []  # drafts never reach the bot's index
    assert (await api.get(f"/help/{slug}")).status_code == 404

    r = await api.post(f"/api/v1/kb/articles/{art['id']}/publish", headers=lead)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published" and r.json()["url"].endswith(f"/help/{slug}")
    assert len(chunk_ids(slug)) == 3
    # ...in the very store object the bot answers from (no second client, no restart).
    assert get_store() is bot_service.get_runtime().context.store
    hits = (
        await api.get(
            "/api/v1/kb/search", params={"q": "how much is the zephyr saddle"}, headers=lead
        )
    ).json()
    assert hits[0]["slug"] == slug and "77 euros" in hits[0]["text"]
    assert set(hits[0]) >= {"slug", "title", "section", "score", "text"}
    page = await api.get(f"/help/{slug}")
    assert page.status_code == 200 and "77 euros" in page.text

    # The bot answers from it on its very next turn (same store object, no restart).
    tried = (
        await api.post(
            "/api/v1/kb/try",
            headers=lead,
            json={"question": "How much does the Zephyr saddle cost?"},
        )
    ).json()
    assert tried["action"] == "answer", tried
    assert "77 euros" in tried["answer"]
    assert (
        tried["retrieved"][0]["slug"] == slug
        and tried["retrieved"][0]["score"] >= tried["threshold"]
    )
    assert tried["intent"]

    await api.delete(f"/api/v1/kb/articles/{art['id']}", headers=lead)


async def test_edit_restore_and_publish_keep_the_index_on_the_live_version(
    server: RunningServer, api: httpx.AsyncClient, lead: dict[str, str]
) -> None:
    slug = unique("zephyr")
    art = await create(
        api, lead, title="Zephyr trail saddle", body=BODY_V1, slug=slug, publish=True
    )
    aid = art["id"]
    assert art["published_version"] == 1

    v2 = BODY_V1.replace("77 euros", "82 euros")
    r = await api.patch(
        f"/api/v1/kb/articles/{aid}", headers=lead, json={"body": v2, "base_version": 1}
    )
    assert r.status_code == 200, r.text
    edited = r.json()
    assert (edited["version"], edited["published_version"], edited["has_unpublished_changes"]) == (
        2,
        1,
        True,
    )
    assert "77 euros" in edited["published"]["body"] and "82 euros" in edited["body"]
    # Live content is untouched by an unpublished edit: index and help centre.
    assert "77 euros" in chunk_texts(slug) and "82 euros" not in chunk_texts(slug)
    assert "77 euros" in (await api.get(f"/help/{slug}")).text

    # A stale editor is refused instead of overwriting someone's save.
    stale = await api.patch(
        f"/api/v1/kb/articles/{aid}", headers=lead, json={"body": "x" * 20, "base_version": 1}
    )
    assert stale.status_code == 409 and stale.json()["error"] == "Conflict"

    # "Try a question" with drafts sees the edit; the live bot does not.
    q = {"question": "What does the Zephyr saddle cost?"}
    live = (await api.post("/api/v1/kb/try", headers=lead, json=q)).json()
    draft = (
        await api.post("/api/v1/kb/try", headers=lead, json={**q, "include_drafts": True})
    ).json()
    assert "77 euros" in live["answer"] and "82 euros" in draft["answer"], (live, draft)
    assert draft["retrieved"][0]["draft"] is True and slug in draft["drafts"]
    assert "82 euros" not in chunk_texts(slug)

    r = await api.post(f"/api/v1/kb/articles/{aid}/publish", headers=lead)
    assert r.json()["published_version"] == 2
    assert "82 euros" in chunk_texts(slug) and "77 euros" not in chunk_texts(slug)

    versions = (await api.get(f"/api/v1/kb/articles/{aid}/versions", headers=lead)).json()
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["is_published"] and versions[0]["author_name"] == "Test Lead"
    detail = (await api.get(f"/api/v1/kb/articles/{aid}/versions/2", headers=lead)).json()
    assert "-The Zephyr trail saddle costs 77 euros and comes in black or sand." in detail["diff"]
    assert "+The Zephyr trail saddle costs 82 euros and comes in black or sand." in detail["diff"]

    r = await api.post(
        f"/api/v1/kb/articles/{aid}/versions/1/restore", headers=lead, json={"publish": True}
    )
    restored = r.json()
    assert (restored["version"], restored["published_version"]) == (3, 3)
    assert "77 euros" in chunk_texts(slug)
    versions = (await api.get(f"/api/v1/kb/articles/{aid}/versions", headers=lead)).json()
    assert versions[0]["note"] == "restored version 1"

    # Saving identical content adds no version.
    same = await api.patch(
        f"/api/v1/kb/articles/{aid}", headers=lead, json={"body": restored["body"]}
    )
    assert same.json()["version"] == 3
    await api.delete(f"/api/v1/kb/articles/{aid}", headers=lead)


async def test_unpublish_and_delete_leave_no_chunk_behind(
    server: RunningServer, api: httpx.AsyncClient, lead: dict[str, str]
) -> None:
    slug = unique("zephyr")
    art = await create(
        api, lead, title="Zephyr trail saddle", body=BODY_V1, slug=slug, publish=True
    )
    assert len(chunk_ids(slug)) == 3
    sentences = get_store().sentence_collection.get(where={"slug": slug}, include=[])["ids"]
    assert sentences

    r = await api.post(f"/api/v1/kb/articles/{art['id']}/unpublish", headers=lead)
    assert r.json()["status"] == "draft" and r.json()["url"] is None
    assert chunk_ids(slug) == []
    assert get_store().sentence_collection.get(where={"slug": slug}, include=[])["ids"] == []
    assert (await api.get(f"/help/{slug}")).status_code == 404
    hits = (
        await api.get("/api/v1/kb/search", params={"q": "Zephyr trail saddle price"}, headers=lead)
    ).json()
    assert slug not in {h["slug"] for h in hits}

    await api.post(f"/api/v1/kb/articles/{art['id']}/publish", headers=lead)
    assert len(chunk_ids(slug)) == 3
    r = await api.delete(f"/api/v1/kb/articles/{art['id']}", headers=lead)
    assert r.status_code == 204
    assert chunk_ids(slug) == []
    assert get_store().sentence_collection.get(where={"slug": slug}, include=[])["ids"] == []
    assert (await api.get(f"/api/v1/kb/articles/{art['id']}", headers=lead)).status_code == 404
    assert (
        await api.get(f"/api/v1/kb/articles/{art['id']}/versions", headers=lead)
    ).status_code == 404


async def test_agents_read_leads_write(
    server: RunningServer,
    api: httpx.AsyncClient,
    lead: dict[str, str],
    agent: dict[str, str],
    admin: dict[str, str],
) -> None:
    assert (await api.get("/api/v1/kb/articles")).status_code == 401
    listing = await api.get("/api/v1/kb/articles", headers=agent)
    assert listing.status_code == 200 and listing.json()["counts"]["published"] >= 21
    some = listing.json()["items"][0]["id"]
    assert (await api.get(f"/api/v1/kb/articles/{some}", headers=agent)).status_code == 200
    assert (await api.get(f"/api/v1/kb/articles/{some}/versions", headers=agent)).status_code == 200
    assert (
        await api.get("/api/v1/kb/search", params={"q": "refund"}, headers=agent)
    ).status_code == 200

    denied = [
        await api.post("/api/v1/kb/articles", headers=agent, json={"title": "T", "body": "B"}),
        await api.patch(f"/api/v1/kb/articles/{some}", headers=agent, json={"body": "Hacked"}),
        await api.post(f"/api/v1/kb/articles/{some}/publish", headers=agent),
        await api.post(f"/api/v1/kb/articles/{some}/unpublish", headers=agent),
        await api.delete(f"/api/v1/kb/articles/{some}", headers=agent),
        await api.post(f"/api/v1/kb/articles/{some}/versions/1/restore", headers=agent),
        await api.post(
            "/api/v1/kb/import/file",
            params={"filename": "a.md"},
            headers=agent,
            content=b"# A\n\ntext",
        ),
        await api.post("/api/v1/kb/import/url", headers=agent, json={"url": server.url + "/help"}),
    ]
    for r in denied:
        assert r.status_code == 403, r.text
        assert r.json() == {
            "error": "Forbidden",
            "detail": "Only support leads and admins can change the knowledge base.",
        }
    assert (await api.get(f"/api/v1/kb/articles/{some}", headers=agent)).json()["version"] == 1

    # Admins may do everything a lead may.
    art = await create(api, admin, title="Admin note on Zephyr", body="Zephyr admin text here.")
    assert (await api.delete(f"/api/v1/kb/articles/{art['id']}", headers=admin)).status_code == 204


async def test_list_search_and_filters(
    server: RunningServer, api: httpx.AsyncClient, lead: dict[str, str]
) -> None:
    slug = unique("quokka")
    art = await create(
        api,
        lead,
        title="Quokka club membership",
        body="Members of the Quokka club get free tune-ups.",
        slug=slug,
        tags=["membership"],
    )
    r = (await api.get("/api/v1/kb/articles", params={"q": "quokka"}, headers=lead)).json()
    assert [i["slug"] for i in r["items"]] == [slug] and r["total"] == 1
    assert "membership" in r["tags"] and "en" in r["langs"]
    drafts = (
        await api.get(
            "/api/v1/kb/articles", params={"status": "draft", "tag": "membership"}, headers=lead
        )
    ).json()
    assert slug in [i["slug"] for i in drafts["items"]]
    published = (
        await api.get(
            "/api/v1/kb/articles", params={"status": "published", "q": "quokka"}, headers=lead
        )
    ).json()
    assert published["items"] == []
    bad = await api.get("/api/v1/kb/articles", params={"status": "nope"}, headers=lead)
    assert bad.status_code == 422 and bad.json()["error"] == "InvalidInput"
    dup = await api.post(
        "/api/v1/kb/articles", headers=lead, json={"title": "Again", "body": "text", "slug": slug}
    )
    assert dup.status_code == 409
    auto = await create(api, lead, title="Quokka club membership", body="Another one.")
    assert auto["slug"] == "quokka-club-membership"
    blank = await api.post("/api/v1/kb/articles", headers=lead, json={"title": "  ", "body": "x"})
    assert blank.status_code == 422
    for a in (art, auto):
        await api.delete(f"/api/v1/kb/articles/{a['id']}", headers=lead)


async def test_openapi_documents_the_kb_endpoints(
    server: RunningServer, api: httpx.AsyncClient
) -> None:
    spec = (await api.get("/openapi.json")).json()
    paths = spec["paths"]
    for p in (
        "/api/v1/kb/articles",
        "/api/v1/kb/articles/{article_id}",
        "/api/v1/kb/articles/{article_id}/publish",
        "/api/v1/kb/articles/{article_id}/versions/{number}/restore",
        "/api/v1/kb/import/file",
        "/api/v1/kb/import/url",
        "/api/v1/kb/search",
        "/api/v1/kb/try",
        "/api/v1/kb/export",
    ):
        assert p in paths, p
    assert (
        "application/octet-stream"
        in paths["/api/v1/kb/import/file"]["post"]["requestBody"]["content"]
    )
