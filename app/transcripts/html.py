"""The transcript as one self-contained HTML document, fit to attach to an email.

Inline styles only (mail clients drop <style> blocks), no scripts, no images, no
external resources. Every text is escaped; message text is rendered from Markdown
with raw HTML off and links limited to http, https and mailto.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from markdown_it import MarkdownIt

_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def _validate_link(url: str) -> bool:
    return url.strip().lower().startswith(_SAFE_SCHEMES)


# html=False: text that looks like HTML is shown as text. Images are off: a remote
# image in an email is a tracking pixel; the link to it is kept as a plain link.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
_md.validateLink = _validate_link  # type: ignore[method-assign]

FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
COLORS = {
    "visitor": ("#eef2ff", "#4f46e5"),
    "bot": ("#f3f4f6", "#6b7280"),
    "agent": ("#ecfdf5", "#059669"),
}
SYSTEM_EVENTS = {"conversation.closed", "conversation.reopened", "csat.submitted"}


def esc(value: Any) -> str:
    """Escape any value for HTML text and attribute context."""
    return html.escape("" if value is None else str(value), quote=True)


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} KB"


def _message(m: dict[str, Any]) -> str:
    sender = m["sender"]
    when = esc(_when(m["created_at"]))
    if sender not in COLORS:  # system lines: who joined, closed, reopened
        return (
            f'<tr><td style="padding:6px 0;text-align:center;color:#6b7280;font-size:12px">'
            f"{esc(m['text'])} &middot; {when}</td></tr>"
        )
    bg, accent = COLORS[sender]
    author = m["author"] or {"visitor": "Visitor", "bot": "Bot"}.get(sender, "Agent")
    body = _md.render(m["text"] or "")
    extras = ""
    if m["sources"]:
        links = ", ".join(
            f'<a href="{esc(s["url"])}" style="color:{accent}">{esc(s["title"] or s["url"])}</a>'
            if _validate_link(s["url"] or "")
            else esc(s["title"])
            for s in m["sources"]
        )
        extras += f'<p style="margin:6px 0 0;font-size:12px;color:#4b5563">Sources: {links}</p>'
    for f in m["attachments"]:
        name = esc(f["name"])
        if _validate_link(f.get("url") or ""):
            name = f'<a href="{esc(f["url"])}" style="color:{accent}">{name}</a>'
        extras += (
            f'<p style="margin:6px 0 0;font-size:12px;color:#4b5563">Attachment: '
            f"{name} ({esc(f['content_type'])}, {esc(_size(f['size']))})</p>"
        )
    return (
        f'<tr><td style="padding:6px 0">'
        f'<div style="background:{bg};border-left:3px solid {accent};border-radius:6px;'
        f'padding:8px 12px">'
        f'<p style="margin:0 0 4px;font-size:12px;color:#374151"><strong>{esc(author)}</strong>'
        f" &middot; {when}</p>"
        f'<div style="font-size:14px;line-height:1.5;color:#111827;word-wrap:break-word">'
        f"{body}</div>{extras}</div></td></tr>"
    )


def _event(e: dict[str, Any]) -> str:
    d = e["detail"]
    if e["type"] == "conversation.closed":
        text = f"Closed ({d.get('by') or 'unknown'})"
    elif e["type"] == "conversation.reopened":
        text = "Reopened"
    else:
        text = f"Rated {d.get('rating')}/5"
    return (
        f'<tr><td style="padding:4px 0;text-align:center;color:#9ca3af;font-size:11px">'
        f"{esc(text)} &middot; {esc(_when(e['created_at']))}</td></tr>"
    )


def _private(e: dict[str, Any]) -> str:
    """A private note (or a transfer's note): agents' transcripts only, shown as such."""
    d = e["detail"]
    author = d.get("author") or "Transfer note"
    text = d.get("text") if e["type"] == "note.created" else d.get("note")
    return (
        f'<tr><td style="padding:6px 0">'
        f'<div style="background:#fef9c3;border:1px dashed #ca8a04;border-radius:6px;'
        f'padding:8px 12px">'
        f'<p style="margin:0 0 4px;font-size:12px;color:#713f12"><strong>{esc(author)}</strong>'
        f" &middot; Private note, agents only &middot; {esc(_when(e['created_at']))}</p>"
        f'<div style="font-size:14px;line-height:1.5;color:#111827;word-wrap:break-word">'
        f"{_md.render(text or '')}</div></div></td></tr>"
    )


def _links_note(t: dict[str, Any]) -> str:
    if any(m["attachments"] for m in t["messages"]):
        return " Attachment links work for 24 hours from then."
    return ""


def render(t: dict[str, Any]) -> str:
    """The HTML document of a transcript built by ``service.build``."""
    c = t["conversation"]
    site = c["site"]["name"] or "Parley"
    rows: list[tuple[int, str]] = [(m["seq"], _message(m)) for m in t["messages"]]
    rows += [(e["seq"], _event(e)) for e in t["events"] if e["type"] in SYSTEM_EVENTS]
    rows += [(e["seq"], _private(e)) for e in t["events"] if e["detail"].get("private")]
    rows.sort(key=lambda r: r[0])
    facts = [
        ("Started", _when(c["created_at"])),
        ("Closed", _when(c["closed_at"]) or "Still open"),
        ("Visitor", c["visitor_name"]),
    ]
    if c["assignee"]:
        facts.append(("Agent", c["assignee"]))
    if c["team"]:
        facts.append(("Team", c["team"]))
    if c["handoff"]:
        facts.append(("Handoff", c["handoff"]["reason"] or ""))
    if c["csat"]:
        comment = f" — “{c['csat']['comment']}”" if c["csat"]["comment"] else ""
        facts.append(("Rating", f"{c['csat']['rating']}/5{comment}"))
    fact_rows = "".join(
        f'<tr><td style="padding:2px 12px 2px 0;color:#6b7280;font-size:13px">{esc(k)}</td>'
        f'<td style="padding:2px 0;font-size:13px;color:#111827">{esc(v)}</td></tr>'
        for k, v in facts
    )
    title = f"{site} — conversation #{c['id']}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title></head>"
        f'<body style="margin:0;padding:24px 12px;background:#f9fafb;{FONT}">'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        f'style="max-width:640px;margin:0 auto;background:#ffffff;border:1px solid #e5e7eb;'
        f'border-radius:8px;padding:20px;border-collapse:separate">'
        f'<tr><td><h1 style="margin:0 0 4px;font-size:20px;color:#111827">{esc(site)}</h1>'
        f'<p style="margin:0 0 12px;color:#4b5563;font-size:14px">Transcript of conversation '
        f"#{esc(c['id'])}</p>"
        f'<table role="presentation" cellpadding="0" cellspacing="0" style="margin:0 0 16px">'
        f"{fact_rows}</table></td></tr>"
        f'<tr><td><table role="presentation" width="100%" cellpadding="0" cellspacing="0">'
        f"{''.join(r for _, r in rows)}</table></td></tr>"
        f'<tr><td style="padding-top:16px;color:#9ca3af;font-size:11px">Exported '
        f"{esc(_when(t['exported_at']))} by Parley.{_links_note(t)}</td></tr>"
        "</table></body></html>\n"
    )
