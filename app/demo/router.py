"""The demo host page: a fictional shop embedding the widget exactly as the README says."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.config import get_settings

router = APIRouter(include_in_schema=False)
_TEMPLATE = (Path(__file__).parent / "demo.html").read_text()

PAGES = {
    "": ("Northwind Cycles — bikes and e-bikes", "home"),
    "e-bikes": ("E-bikes — Northwind Cycles", "ebikes"),
    "shipping": ("Shipping & returns — Northwind Cycles", "shipping"),
}


def render_demo(page: str, parley_url: str, site_key: str) -> str:
    """The demo page HTML with the embed snippet pointing at this Parley."""
    title, active = PAGES[page]
    return (
        _TEMPLATE.replace("{{TITLE}}", html.escape(title))
        .replace("{{ACTIVE}}", active)
        .replace("{{PARLEY_URL}}", html.escape(parley_url.rstrip("/")))
        .replace("{{SITE_KEY}}", html.escape(site_key))
    )


@router.get("/demo", response_class=HTMLResponse)
@router.get("/demo/{page}", response_class=HTMLResponse)
async def demo(page: str = "") -> HTMLResponse:
    """A host page for trying the widget."""
    if page not in PAGES:
        page = ""
    s = get_settings()
    return HTMLResponse(render_demo(page, s.public_url, s.demo_site_key))
