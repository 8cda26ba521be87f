"""Knowledge-base API: articles, versions, publishing, import, search and "try a question".

Reading is open to every signed-in agent; changing anything needs a support lead or an
admin (``CurrentLead``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent
from app.articles import repository as repo
from app.articles import service, trying
from app.articles.schemas import (
    ArticleDetail,
    ArticleIn,
    ArticleList,
    ArticlePatch,
    ArticleSummary,
    ImportItem,
    ImportResult,
    PublishIn,
    RestoreIn,
    SearchHit,
    TryIn,
    TryOut,
    UrlImportIn,
    VersionDetail,
    VersionSummary,
)
from app.config import get_settings
from app.db import SessionDep
from app.deps import CurrentAgent, CurrentLead
from app.errors import InvalidInput, NotFound, ParleyError, PayloadTooLarge
from app.events.service import unit_of_work
from app.sites.models import Site
from knowledge.loaders import Document, LoaderError, fetch_documents, load_bytes
from knowledge.loaders.web import SiteFetcher

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"])

NDJSON = "application/x-ndjson"


def _detail(session_art: Any, live: Any = None) -> ArticleDetail:
    return ArticleDetail.full(session_art, service.url_of(session_art), live)


async def detail_of(session: AsyncSession, art: Any) -> ArticleDetail:
    live = None
    if art.published_version is not None:
        live = await repo.version(session, art.id, art.published_version)
    return _detail(art, live)


# -- articles ---------------------------------------------------------------


@router.get("/articles", response_model=ArticleList)
async def list_articles(
    agent: CurrentAgent,
    session: SessionDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in title, body or slug.")
    ] = None,
    status_: Annotated[
        str | None, Query(alias="status", pattern="^(draft|published|changed)$")
    ] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    lang: Annotated[str | None, Query(max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ArticleList:
    """Articles matching a search and filters, newest change first, with facets."""
    rows = list(await repo.search(session, (q or "").strip() or None, status_))
    everything = await repo.all_articles(session)
    if tag:
        rows = [a for a in rows if tag.lower() in [t.lower() for t in a.tags]]
    if lang:
        rows = [a for a in rows if a.lang == lang]
    page = rows[offset : offset + limit]
    return ArticleList(
        items=[ArticleSummary.of(a, service.url_of(a)) for a in page],
        total=len(rows),
        counts=await repo.counts(session),
        tags=sorted({t for a in everything for t in a.tags}),
        langs=sorted({a.lang for a in everything}),
    )


@router.post("/articles", response_model=ArticleDetail, status_code=status.HTTP_201_CREATED)
async def create_article(body: ArticleIn, lead: CurrentLead, session: SessionDep) -> ArticleDetail:
    """A new article: a draft, or live at once with ``publish: true``."""
    art = await service.create(
        session,
        title=body.title,
        body=body.body,
        author=lead,
        slug=body.slug,
        tags=body.tags,
        lang=body.lang,
        publish=body.publish,
    )
    return await detail_of(session, art)


@router.get("/articles/{article_id}", response_model=ArticleDetail)
async def get_article(article_id: int, agent: CurrentAgent, session: SessionDep) -> ArticleDetail:
    """An article's working copy and its live content."""
    return await detail_of(session, await service.get(session, article_id))


@router.patch("/articles/{article_id}", response_model=ArticleDetail)
async def update_article(
    article_id: int, body: ArticlePatch, lead: CurrentLead, session: SessionDep
) -> ArticleDetail:
    """Save an edit as a new version (live only after publishing, or with ``publish: true``)."""
    art = await service.get(session, article_id, for_update=True)
    await service.update(
        session,
        art,
        author=lead,
        title=body.title,
        body=body.body,
        tags=body.tags,
        lang=body.lang,
        base_version=body.base_version,
        publish=body.publish,
    )
    return await detail_of(session, art)


@router.post("/articles/{article_id}/publish", response_model=ArticleDetail)
async def publish_article(
    article_id: int, lead: CurrentLead, session: SessionDep, body: PublishIn | None = None
) -> ArticleDetail:
    """Put the head (or a given version) live: the bot answers from it immediately."""
    art = await service.get(session, article_id, for_update=True)
    await service.publish(session, art, version=body.version if body else None)
    return await detail_of(session, art)


@router.post("/articles/{article_id}/unpublish", response_model=ArticleDetail)
async def unpublish_article(
    article_id: int, lead: CurrentLead, session: SessionDep
) -> ArticleDetail:
    """Take the article off the help centre and out of the bot's answers."""
    art = await service.get(session, article_id, for_update=True)
    await service.unpublish(session, art)
    return await detail_of(session, art)


@router.delete("/articles/{article_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_article(article_id: int, lead: CurrentLead, session: SessionDep) -> Response:
    """Delete the article, its history and its chunks in the index."""
    art = await service.get(session, article_id, for_update=True)
    await service.delete(session, art)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/articles/{article_id}/versions", response_model=list[VersionSummary])
async def list_versions(
    article_id: int, agent: CurrentAgent, session: SessionDep
) -> list[VersionSummary]:
    """The article's history, newest first."""
    art = await service.get(session, article_id)
    return [VersionSummary.of(v, art) for v in await repo.versions(session, article_id)]


@router.get("/articles/{article_id}/versions/{number}", response_model=VersionDetail)
async def get_version(
    article_id: int,
    number: int,
    agent: CurrentAgent,
    session: SessionDep,
    compare: Annotated[
        int | None, Query(description="Diff against this version (default: the one before).")
    ] = None,
) -> VersionDetail:
    """One version's content and its diff (unified) against the previous or a given version."""
    art = await service.get(session, article_id)
    v = await repo.version(session, article_id, number)
    if v is None:
        raise NotFound(f"Version {number} does not exist.")
    other_no = compare if compare is not None else number - 1
    other = await repo.version(session, article_id, other_no) if other_no >= 1 else None
    if compare is not None and other is None:
        raise NotFound(f"Version {compare} does not exist.")
    return VersionDetail(
        **VersionSummary.of(v, art).model_dump(),
        body=v.body,
        tags=list(v.tags),
        lang=v.lang,
        diff=service.diff_versions(other, v),
        compared_to=other.number if other is not None else None,
    )


@router.post("/articles/{article_id}/versions/{number}/restore", response_model=ArticleDetail)
async def restore_version(
    article_id: int,
    number: int,
    lead: CurrentLead,
    session: SessionDep,
    body: RestoreIn | None = None,
) -> ArticleDetail:
    """Make an old version the head again, as a new version (and live with ``publish: true``)."""
    art = await service.get(session, article_id, for_update=True)
    await service.restore(session, art, number, author=lead, publish=bool(body and body.publish))
    return await detail_of(session, art)


# -- search, try, export -------------------------------------------------------


@router.get("/search", response_model=list[SearchHit])
async def search(
    agent: CurrentAgent,
    q: Annotated[str, Query(min_length=1, max_length=2000)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[SearchHit]:
    """The live chunks the bot would retrieve for a question, best first."""
    return await trying.search(q, k)


@router.post("/try", response_model=TryOut)
async def try_question(body: TryIn, agent: CurrentAgent, session: SessionDep) -> TryOut:
    """What the bot would do with a question: intent, retrieved chunks with scores, the reply.

    With ``include_drafts`` or a ``draft`` the unpublished content is tried in place of
    the live one, in memory: nothing is written to the bot's index.
    """
    return await trying.try_question(session, body)


@router.get("/export")
async def export(agent: CurrentAgent, session: SessionDep) -> list[dict[str, Any]]:
    """Every article's working copy and live content (what `parley kb export` writes)."""
    return await export_articles(session)


async def export_articles(session: AsyncSession) -> list[dict[str, Any]]:
    """Plain data for every article (head and live version)."""
    out = []
    for a in await repo.all_articles(session):
        live = (
            await repo.version(session, a.id or 0, a.published_version)
            if a.published_version
            else None
        )
        out.append(
            {
                "slug": a.slug,
                "title": a.title,
                "body": a.body,
                "tags": list(a.tags),
                "lang": a.lang,
                "status": "published" if a.published_version else "draft",
                "source": a.source,
                "version": a.version,
                "published_version": a.published_version,
                "published": {"title": live.title, "body": live.body, "tags": list(live.tags)}
                if live
                else None,
                "updated_at": a.updated_at.isoformat(),
            }
        )
    return out


# -- import ------------------------------------------------------------------------


async def _read_capped(request: Request, cap: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to be over the cap."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError as exc:
            raise InvalidInput("Content-Length is not a number.") from exc
        if size > cap:
            raise PayloadTooLarge(
                f"The file is {size / 1048576:.1f} MB; the limit is {cap / 1048576:g} MB."
            )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise PayloadTooLarge(f"The file is larger than the {cap / 1048576:g} MB limit.")
    return bytes(body)


def _wants_stream(request: Request) -> bool:
    return NDJSON in request.headers.get("accept", "")


def _items(outcomes: list[service.ImportOutcome]) -> list[ImportItem]:
    items = []
    for o in outcomes:
        a = o.article
        assert a.id is not None
        items.append(
            ImportItem(
                id=a.id,
                slug=a.slug,
                title=a.title,
                action=o.action,  # type: ignore[arg-type]
                version=a.version,
                status="published" if a.published_version is not None else "draft",
                source=a.source,
                warnings=o.warnings,
            )
        )
    return items


async def _save(
    session: AsyncSession,
    docs: list[Document],
    lead: Agent,
    publish: bool,
    skipped: list[tuple[str, str]],
    on_progress: Callable[[str, int, int, str], Any] | None = None,
) -> ImportResult:
    outcomes, stats = await service.import_documents(
        session, docs, author=lead, publish=publish, on_progress=on_progress
    )
    return ImportResult(
        items=_items(outcomes),
        skipped=[{"url": u, "reason": r} for u, r in skipped],
        embedded=stats.embedded,
    )


def _stream(
    produce: Callable[[Callable[[str, int, int, str], None]], Any],
) -> StreamingResponse:
    """Run an import, streaming progress lines and then the result (NDJSON)."""

    async def body() -> AsyncIterator[bytes]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def progress(stage: str, done: int, total: int, item: str) -> None:
            event = {"type": "progress", "stage": stage, "done": done, "total": total, "item": item}
            loop.call_soon_threadsafe(queue.put_nowait, event)

        async def run() -> None:
            try:
                result = await produce(progress)
                await queue.put({"type": "result", **result.model_dump()})
            except ParleyError as exc:
                await queue.put({"type": "error", "error": exc.name, "detail": exc.detail})
            except LoaderError as exc:
                await queue.put({"type": "error", "error": "InvalidInput", "detail": str(exc)})
            except Exception as exc:  # reported to the client, never swallowed silently
                await queue.put({"type": "error", "error": "ImportFailed", "detail": str(exc)})
            finally:
                await queue.put(None)

        task = asyncio.create_task(run())
        try:
            while (event := await queue.get()) is not None:
                yield (json.dumps(event, default=str) + "\n").encode()
        finally:
            await task

    return StreamingResponse(body(), media_type=NDJSON, headers={"Cache-Control": "no-store"})


_FILE_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes (Markdown, HTML, text, CSV/JSON FAQ or PDF).",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/import/file",
    response_model=ImportResult,
    openapi_extra=_FILE_BODY,
    responses={413: {"description": "Larger than PARLEY_KB_MAX_UPLOAD_BYTES"}},
)
async def import_file(
    request: Request,
    lead: CurrentLead,
    session: SessionDep,
    filename: Annotated[
        str,
        Query(
            min_length=1, max_length=255, description="The file's name; its stem becomes the slug."
        ),
    ],
    publish: bool = False,
) -> Any:
    """Import one uploaded file as an article (``Accept: application/x-ndjson``: progress)."""
    data = await _read_capped(request, get_settings().kb_max_upload_bytes)
    try:
        docs = await asyncio.to_thread(load_bytes, data, filename)
    except LoaderError as exc:
        raise InvalidInput(str(exc)) from exc
    if not _wants_stream(request):
        return await _save(session, docs, lead, publish, [])

    async def produce(progress: Callable[[str, int, int, str], None]) -> ImportResult:
        progress("read", 1, 1, filename)
        async with unit_of_work() as s:
            return await _save(s, docs, lead, publish, [], progress)

    return _stream(produce)


async def site_origins(session: AsyncSession) -> list[str]:
    """Origins URL imports may fetch from: every site's allowed origins and configured extras."""
    settings = get_settings()
    origins = [o for s in (await session.exec(select(Site))).all() for o in s.allowed_origins]
    origins += [o.strip() for o in settings.kb_fetch_origins.split(",") if o.strip()]
    return origins


@router.post("/import/url", response_model=ImportResult)
async def import_url(
    body: UrlImportIn, request: Request, lead: CurrentLead, session: SessionDep
) -> Any:
    """Import a page or every page of a sitemap from the site's own origins.

    Pages that fail (outside the site, not HTML, empty) are listed in ``skipped``.
    Send ``Accept: application/x-ndjson`` for a progress line per page.
    """
    origins = await site_origins(session)
    try:
        SiteFetcher(origins).check(body.url)  # a URL outside the site is refused up front
    except LoaderError as exc:
        raise InvalidInput(str(exc)) from exc

    def fetch(progress: Callable[[int, int, str], None] | None) -> Any:
        return fetch_documents(body.url, origins, max_pages=body.max_pages, on_progress=progress)

    if not _wants_stream(request):
        try:
            fetched = await asyncio.to_thread(fetch, None)
        except LoaderError as exc:
            raise InvalidInput(str(exc)) from exc
        return await _save(session, fetched.documents, lead, body.publish, fetched.skipped)

    async def produce(progress: Callable[[str, int, int, str], None]) -> ImportResult:
        try:
            fetched = await asyncio.to_thread(fetch, lambda d, t, i: progress("fetch", d, t, i))
        except LoaderError as exc:
            raise InvalidInput(str(exc)) from exc
        async with unit_of_work() as s:
            return await _save(
                s,
                fetched.documents,
                lead,
                body.publish,
                fetched.skipped,
                progress,
            )

    return _stream(produce)
