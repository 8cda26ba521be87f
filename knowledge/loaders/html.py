"""HTML pages: the main content only (navigation, headers, footers, cookie banners left out).

The page is parsed with lxml, boilerplate elements are removed by role, tag and
class/id words, the main container is chosen (``<main>``, ``role=main``,
``<article>`` or the densest block of paragraph text), and what remains is written
out as Markdown so the heading-aware chunker sees the page's own sections.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from knowledge.loaders.base import Document, LoaderError, slug_from_name, title_from_slug

__all__ = ["extract_main", "html_to_markdown", "load_html"]

_DROP_TAGS = {
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed",
    "form", "button", "input", "select", "textarea", "label", "nav", "aside", "dialog", "video",
    "audio", "picture", "img", "map", "head", "link", "meta",
}  # fmt: skip
_DROP_ROLES = {
    "navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog",
    "menu", "menubar", "toolbar", "alert",
}  # fmt: skip
# Words in class/id that mark page furniture rather than the article.
_BOILERPLATE = re.compile(
    r"(^|[\s_-])(cookie|cookies|consent|gdpr|ccpa|banner|newsletter|subscribe|signup|share|"
    r"sharing|social|breadcrumbs?|sidebar|related|advert|ads|ad|promo|popup|modal|overlay|"
    r"skip|nav|navbar|menu|masthead|site-header|site-footer|footer|toc|pagination|comments?|"
    r"feedback|rating|hidden|visually-hidden|sr-only|meta|byline|dateline|timestamp)($|[\s_-])",
    re.IGNORECASE,
)
_MAIN_SELECTORS = (
    "//main",
    "//*[@role='main']",
    "//article",
    "//*[@id='content' or @id='main' or @id='main-content' or @id='article']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' content ') or "
    "contains(concat(' ', normalize-space(@class), ' '), ' article ') or "
    "contains(concat(' ', normalize-space(@class), ' '), ' post ')]",
)
_BLOCK = {
    "p", "div", "section", "article", "main", "ul", "ol", "li", "table", "pre", "blockquote",
    "h1", "h2", "h3", "h4", "h5", "h6", "dl", "dt", "dd", "header", "footer", "figure",
    "figcaption", "details", "summary", "address", "hr", "br", "tr",
}  # fmt: skip
_TITLE_SEPARATORS = re.compile(r"\s+[|–—·•:]\s+|\s+-\s+")
_WS = re.compile(r"[ \t\r\n\f\v\u00a0]+")


def load_html(data: bytes | str, name: str, *, base_url: str | None = None) -> Document:
    """One article from an HTML page: its title and main content as Markdown."""
    if not (data.strip() if isinstance(data, str) else data.strip()):
        raise LoaderError(f"{name} is empty.")
    text = _decode_html(data, name) if isinstance(data, bytes) else data
    # lxml refuses str input that still carries an XML encoding declaration.
    text = re.sub(r"\A\s*<\?xml[^>]*\?>", "", text)
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise LoaderError(f"{name} is not a readable HTML page ({exc}).") from exc
    lang = (doc.get("lang") or "en").split("-")[0].lower()[:10] or "en"
    page_title = _page_title(doc)
    main = extract_main(doc)
    body = html_to_markdown(main, base_url=base_url)
    h1 = _first_heading(main)
    title = h1 or page_title or title_from_slug(_slug_for(name, base_url))
    body = _drop_leading_title(body, title)
    if len(re.sub(r"\W+", "", body)) < 20:
        raise LoaderError(f"{name} has no readable main content.")
    return Document(
        slug=_slug_for(name, base_url), title=title, body=body, source=base_url or name, lang=lang
    )


_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", re.IGNORECASE)


def _decode_html(data: bytes, name: str) -> str:
    """The page's text: its declared charset, else UTF-8, else cp1252."""
    from knowledge.loaders.base import decode_text

    declared = _META_CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return decode_text(data, name)


def _slug_for(name: str, base_url: str | None) -> str:
    if base_url:
        from knowledge.ingest import slugify

        path = urlsplit(base_url).path.rstrip("/")
        last = path.rsplit("/", 1)[-1]
        last = re.sub(r"\.(html?|php|aspx?)$", "", last, flags=re.IGNORECASE)
        return (
            slugify(last)
            if last and last.lower() != "index"
            else slugify(urlsplit(base_url).hostname or "home")
        )
    return slug_from_name(name)


def _page_title(doc: lxml.html.HtmlElement) -> str:
    for xpath in ("//meta[@property='og:title']/@content", "//title/text()"):
        found = doc.xpath(xpath)
        if found and str(found[0]).strip():
            text = _WS.sub(" ", str(found[0])).strip()
            # "Returns and refunds | Northwind Cycles": keep the page's own part.
            return _TITLE_SEPARATORS.split(text)[0].strip() or text
    return ""


def _first_heading(el: lxml.html.HtmlElement) -> str:
    for h in el.iter("h1"):
        text = _WS.sub(" ", h.text_content()).strip()
        if text:
            return text
    return ""


def _is_boilerplate(el: lxml.html.HtmlElement) -> bool:
    if el.tag in _DROP_TAGS:
        return True
    if (el.get("role") or "").lower() in _DROP_ROLES:
        return True
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return True
    style = (el.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    words = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(words.strip()) and bool(_BOILERPLATE.search(words))


def _strip(root: lxml.html.HtmlElement, *, keep_header_footer: bool) -> None:
    for el in list(root.iter()):
        if not isinstance(el.tag, str):  # comments, processing instructions
            if el.getparent() is not None:
                el.drop_tree()
            continue
        if el is root or el.getparent() is None:
            continue
        if el.tag in ("header", "footer") and not keep_header_footer or _is_boilerplate(el):
            el.drop_tree()


def _text_len(el: lxml.html.HtmlElement) -> int:
    return len(_WS.sub(" ", el.text_content()).strip())


def _link_len(el: lxml.html.HtmlElement) -> int:
    return sum(len(_WS.sub(" ", a.text_content()).strip()) for a in el.iter("a"))


def extract_main(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The element holding the page's main content, with boilerplate removed."""
    body = doc.find("body")
    if body is None:
        body = doc
    for xpath in _MAIN_SELECTORS:
        candidates = [c for c in body.xpath(xpath) if isinstance(c, lxml.html.HtmlElement)]
        # The biggest candidate: pages nest <article> cards inside listings.
        candidates = [c for c in candidates if not _is_boilerplate(c)]
        if candidates:
            main = max(candidates, key=_text_len)
            if _text_len(main) >= 80:
                # Inside the article a <header> holds its title: keep it.
                _strip(main, keep_header_footer=True)
                return main
    _strip(body, keep_header_footer=False)
    return _densest_block(body)


def _densest_block(body: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The block with the most paragraph text and few links (a readability-style score)."""
    best, best_score = body, 0.0
    total = max(1, _text_len(body))
    for el in body.iter("div", "section", "td"):
        text = _text_len(el)
        if text < 0.3 * total:
            continue
        paragraphs = sum(_text_len(p) for p in el.iter("p", "li", "pre", "h2", "h3", "table"))
        score = paragraphs * (1.0 - _link_len(el) / max(1, text)) - 0.001 * text
        if score > best_score:
            best, best_score = el, score
    return best


# -- HTML -> Markdown ------------------------------------------------------


def html_to_markdown(root: lxml.html.HtmlElement, *, base_url: str | None = None) -> str:
    """Markdown for an element: headings, paragraphs, lists, tables, code, quotes and links."""
    blocks: list[str] = []
    _blocks(root, blocks, base_url)
    out = "\n\n".join(b for b in (x.strip("\n") for x in blocks) if b.strip())
    return re.sub(r"\n{3,}", "\n\n", out).strip() + "\n"


def _blocks(el: lxml.html.HtmlElement, out: list[str], base: str | None) -> None:
    """Append the Markdown blocks of el's content to out."""
    inline_buf: list[str] = []

    def flush() -> None:
        text = _WS.sub(" ", "".join(inline_buf)).strip()
        if text:
            out.append(text)
        inline_buf.clear()

    if el.text:
        inline_buf.append(_escape(el.text))
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _BLOCK or tag in ("ul", "ol"):
            flush()
            _block(child, out, base)
        elif tag:
            inline_buf.append(_inline(child, base))
        if child.tail:
            inline_buf.append(_escape(child.tail))
    flush()


def _block(el: lxml.html.HtmlElement, out: list[str], base: str | None) -> None:
    tag = el.tag
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        text = _WS.sub(" ", _inline_children(el, base)).strip()
        if text:
            out.append("#" * int(tag[1]) + " " + text)
    elif tag == "p" or tag in ("figcaption", "summary", "address", "dt"):
        text = _WS.sub(" ", _inline_children(el, base)).strip()
        if text:
            out.append(f"**{text}**" if tag in ("dt", "summary") else text)
    elif tag in ("ul", "ol"):
        lines = _list(el, base, 0)
        if lines:
            out.append("\n".join(lines))
    elif tag == "pre":
        code = el.text_content().strip("\n")
        if code.strip():
            out.append(f"```\n{code}\n```")
    elif tag == "blockquote":
        inner: list[str] = []
        _blocks(el, inner, base)
        if inner:
            out.append("\n".join("> " + line for b in inner for line in b.split("\n")))
    elif tag == "table":
        table = _table(el, base)
        if table:
            out.append(table)
    elif tag == "hr":
        out.append("---")
    elif tag == "br":
        return
    else:  # div, section, li outside a list, dd, figure, details...
        _blocks(el, out, base)


def _list(el: lxml.html.HtmlElement, base: str | None, depth: int) -> list[str]:
    lines: list[str] = []
    ordered = el.tag == "ol"
    n = 0
    for li in el:
        if li.tag != "li":
            continue
        n += 1
        marker = f"{n}." if ordered else "-"
        text_parts: list[str] = [_escape(li.text or "")]
        nested: list[str] = []
        for child in li:
            if child.tag in ("ul", "ol"):
                nested.extend(_list(child, base, depth + 1))
            elif child.tag in ("p", "div"):
                text_parts.append(" " + _inline_children(child, base) + " ")
            elif isinstance(child.tag, str):
                text_parts.append(_inline(child, base))
            if child.tail:
                text_parts.append(_escape(child.tail))
        text = _WS.sub(" ", "".join(text_parts)).strip()
        if text:
            lines.append("  " * depth + f"{marker} {text}")
        lines.extend(nested)
    return lines


def _table(el: lxml.html.HtmlElement, base: str | None) -> str:
    rows: list[list[str]] = []
    for tr in el.iter("tr"):
        cells = [
            _WS.sub(" ", _inline_children(c, base)).strip().replace("|", "\\|")
            for c in tr
            if c.tag in ("td", "th")
        ]
        if any(cells):
            rows.append(cells)
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def _inline_children(el: lxml.html.HtmlElement, base: str | None) -> str:
    parts = [_escape(el.text or "")]
    for child in el:
        if isinstance(child.tag, str):
            parts.append(" " if child.tag == "br" else _inline(child, base))
        if child.tail:
            parts.append(_escape(child.tail))
    return "".join(parts)


def _inline(el: lxml.html.HtmlElement, base: str | None) -> str:
    tag = el.tag
    if tag == "br":
        return " "
    inner = _inline_children(el, base)
    text = _WS.sub(" ", inner)
    if not text.strip():
        return text
    if tag in ("strong", "b"):
        return f"**{text.strip()}**"
    if tag in ("em", "i"):
        return f"*{text.strip()}*"
    if tag == "code":
        return f"`{el.text_content().strip()}`"
    if tag == "a":
        href = (el.get("href") or "").strip()
        if base and href:
            href = urljoin(base, href)
        if href.startswith(("http://", "https://", "mailto:")):
            return f"[{text.strip()}]({href.replace(' ', '%20').replace(')', '%29')})"
    return text


def _escape(text: str) -> str:
    # Text is prose, not Markdown: keep a literal "#"/"*" at a line start from turning
    # into a heading or list when the page's text is stored as Markdown.
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`")


def _drop_leading_title(body: str, title: str) -> str:
    lines = body.split("\n")
    if lines and lines[0].startswith("# ") and lines[0][2:].strip().lower() == title.lower():
        return "\n".join(lines[1:]).strip() + "\n"
    return body
