"""The public help centre: the pages the bot's citations link to."""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt

from app.articles import repository, service
from app.db import SessionDep
from app.errors import NotFound
from app.pages import page

router = APIRouter(tags=["help centre"])

# html=False: article text is rendered, never trusted as HTML.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


@router.get("/help", response_class=HTMLResponse, include_in_schema=False)
async def help_index(session: SessionDep) -> HTMLResponse:
    """Every published article."""
    items = "".join(
        f'<li><a href="/help/{html.escape(a.slug)}">{html.escape(v.title)}</a></li>'
        for a, v in await repository.live(session)
    )
    return page("Help centre", f"<h1>Help centre</h1><ul class='articles'>{items}</ul>")


@router.get("/help/{slug}", response_class=HTMLResponse, include_in_schema=False)
async def help_article(slug: str, session: SessionDep) -> HTMLResponse:
    """One article, rendered from its Markdown."""
    found = await service.live_content(session, slug)
    if found is None:
        raise NotFound("No such article.")
    _, live = found  # the published version, never an unpublished edit
    body = _md.render(live.body)
    return page(
        live.title,
        f"<p><a href='/help'>← Help centre</a></p><h1>{html.escape(live.title)}</h1>{body}",
    )
