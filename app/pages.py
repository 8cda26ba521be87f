"""Server-rendered pages: a shell using the shared design tokens."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

_STYLE = """
body{margin:0;font-family:var(--pl-font);color:var(--pl-text);background:var(--pl-bg-subtle);
line-height:1.6}
main{max-width:760px;margin:0 auto;padding:var(--pl-space-6) var(--pl-space-5)}
a{color:var(--pl-brand-strong)}
h1{font-size:28px;line-height:1.25}
code{font-family:var(--pl-font-mono);background:var(--pl-bg-muted);padding:1px 4px;
border-radius:4px}
table{border-collapse:collapse}td,th{border:1px solid var(--pl-border);padding:6px 10px}
ul.articles{padding-left:1.2em}
"""


def page(title: str, body_html: str) -> HTMLResponse:
    """A calm, tokenised page around already-escaped HTML."""
    return HTMLResponse(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · Northwind Cycles</title>
<link rel="stylesheet" href="/widget/tokens.css"><style>{_STYLE}</style></head>
<body><main>{body_html}</main></body></html>"""
    )
