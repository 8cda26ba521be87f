"""Fetch pages and sitemaps of the company's own site (and nothing else)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from lxml import etree

from knowledge.loaders.base import Document, LoaderError

__all__ = ["FetchResult", "SiteFetcher", "fetch_documents", "normalize_origin"]

MAX_PAGE_BYTES = 5 * 1024 * 1024
MAX_PAGES = 500
MAX_REDIRECTS = 5
_SITEMAP_NS = re.compile(r"^\{[^}]*\}")
_USER_AGENT = "ParleyKnowledgeImport/1.0 (+https://github.com/parley)"

Progress = Callable[[int, int, str], None]


def normalize_origin(url: str) -> str:
    """scheme://host[:port] in lower case, default ports dropped ("" if not http(s))."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    port = parts.port
    default = 443 if parts.scheme.lower() == "https" else 80
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port and port != default else "")


@dataclass
class FetchResult:
    """Documents fetched from a page or sitemap, and the URLs that were skipped (with why)."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    sitemap: bool = False


class SiteFetcher:
    """HTTP GETs limited to the allowed origins, with size caps and checked redirects."""

    def __init__(
        self,
        allowed_origins: Iterable[str],
        *,
        client: httpx.Client | None = None,
        max_bytes: int = MAX_PAGE_BYTES,
        timeout: float = 15.0,
    ) -> None:
        self.origins = {o for o in (normalize_origin(x) for x in allowed_origins) if o}
        self.client = client or httpx.Client(
            timeout=timeout, follow_redirects=False, headers={"User-Agent": _USER_AGENT}
        )
        self.max_bytes = max_bytes

    def check(self, url: str) -> str:
        """The URL without its fragment, if it belongs to the site; else a LoaderError."""
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise LoaderError(f"{url!r} is not an http(s) URL.")
        if parts.username or parts.password:
            raise LoaderError("URLs with a user name or password are not fetched.")
        origin = normalize_origin(url)
        if origin not in self.origins:
            allowed = ", ".join(sorted(self.origins)) or "none configured"
            raise LoaderError(
                f"{origin} is not one of your site's origins ({allowed}); only your own "
                "site's pages can be imported."
            )
        return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, ""))

    def get(self, url: str) -> tuple[str, str, bytes]:
        """(final URL, content type, body) of a GET, following redirects within the site."""
        current = self.check(url)
        for _ in range(MAX_REDIRECTS + 1):
            try:
                with self.client.stream("GET", current) as resp:
                    if resp.is_redirect:
                        location = resp.headers.get("location", "")
                        current = self.check(urljoin(current, location))
                        continue
                    if resp.status_code >= 400:
                        raise LoaderError(f"{current} answered HTTP {resp.status_code}.")
                    declared = int(resp.headers.get("content-length") or 0)
                    if declared > self.max_bytes:
                        raise LoaderError(f"{current} is larger than {self._mb()} MB.")
                    body = bytearray()
                    for chunk in resp.iter_bytes():
                        body += chunk
                        if len(body) > self.max_bytes:
                            raise LoaderError(f"{current} is larger than {self._mb()} MB.")
                    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                    return current, ctype, bytes(body)
            except httpx.HTTPError as exc:
                raise LoaderError(
                    f"{current} could not be fetched ({exc.__class__.__name__})."
                ) from exc
        raise LoaderError(f"{url} redirects too many times.")

    def _mb(self) -> str:
        return f"{self.max_bytes / 1024 / 1024:g}"

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def _is_sitemap(url: str, ctype: str, body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    if b"<urlset" in head or b"<sitemapindex" in head:
        return True
    return (
        url.lower().endswith(".xml")
        and ctype in ("application/xml", "text/xml")
        and (b"<urlset" in body[:65536].lower() or b"<sitemapindex" in body[:65536].lower())
    )


def _sitemap_locs(body: bytes, url: str) -> tuple[str, list[str]]:
    """("urlset" | "sitemapindex", the <loc> URLs) of a sitemap document."""
    # No DTDs, entities or network: a sitemap is data, and XML can be hostile.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise LoaderError(f"{url} is not a valid sitemap ({exc}).") from exc
    kind = _SITEMAP_NS.sub("", str(root.tag))
    locs = [
        (el.text or "").strip()
        for el in root.iter()
        if isinstance(el.tag, str) and _SITEMAP_NS.sub("", el.tag) == "loc"
    ]
    return kind, [u for u in locs if u]


def _document_for(url: str, ctype: str, body: bytes) -> Document:
    from knowledge.loaders import load_bytes

    path = urlsplit(url).path
    name = path.rsplit("/", 1)[-1] or "index.html"
    if ctype == "application/pdf" or body[:5] == b"%PDF-":
        doc = load_bytes(body, name if name.lower().endswith(".pdf") else f"{name}.pdf")[0]
    elif ctype in ("text/markdown", "text/x-markdown"):
        doc = load_bytes(body, name if "." in name else f"{name}.md")[0]
    elif ctype == "text/plain":
        doc = load_bytes(body, name if "." in name else f"{name}.txt")[0]
    elif ctype in ("text/html", "application/xhtml+xml", ""):
        from knowledge.loaders.html import load_html

        doc = load_html(body, url, base_url=url)
    else:
        raise LoaderError(f"{url} is {ctype}, which cannot be imported.")
    doc.source = url
    return doc


def fetch_documents(
    url: str,
    allowed_origins: Iterable[str],
    *,
    max_pages: int = MAX_PAGES,
    on_progress: Progress | None = None,
    fetcher: SiteFetcher | None = None,
) -> FetchResult:
    """Import a page, or every page of a sitemap (index), from the site's own origins."""
    own = fetcher is None
    fetcher = fetcher or SiteFetcher(allowed_origins)
    try:
        final, ctype, body = fetcher.get(url)
        if not body.strip():
            raise LoaderError(f"{final} returned an empty page.")
        if not _is_sitemap(final, ctype, body):
            doc = _document_for(final, ctype, body)
            if on_progress:
                on_progress(1, 1, final)
            return FetchResult([doc])
        result = FetchResult(sitemap=True)
        pages = _collect_sitemap(fetcher, final, body, result, max_pages)
        seen_slugs: set[str] = set()
        for i, page in enumerate(pages, start=1):
            try:
                p_final, p_type, p_body = fetcher.get(page)
                doc = _document_for(p_final, p_type, p_body)
                if doc.slug in seen_slugs:
                    from knowledge.ingest import slugify

                    doc.slug = slugify(urlsplit(p_final).path)
                if doc.slug in seen_slugs:
                    raise LoaderError(f"two pages would both be called {doc.slug!r}")
                seen_slugs.add(doc.slug)
                result.documents.append(doc)
            except LoaderError as exc:
                result.skipped.append((page, str(exc)))
            if on_progress:
                on_progress(i, len(pages), page)
        if not result.documents:
            reasons = "; ".join(r for _, r in result.skipped[:3])
            raise LoaderError(f"No page of {final} could be imported ({reasons or 'it is empty'}).")
        return result
    finally:
        if own:
            fetcher.close()


def _collect_sitemap(
    fetcher: SiteFetcher, url: str, body: bytes, result: FetchResult, max_pages: int
) -> list[str]:
    pages: list[str] = []
    seen: set[str] = set()
    queue: list[tuple[str, bytes | None, int]] = [(url, body, 0)]
    while queue:
        sm_url, sm_body, depth = queue.pop(0)
        if sm_body is None:
            try:
                _, _, sm_body = fetcher.get(sm_url)
            except LoaderError as exc:
                result.skipped.append((sm_url, str(exc)))
                continue
        kind, locs = _sitemap_locs(sm_body, sm_url)
        for loc in locs:
            try:
                checked = fetcher.check(loc)
            except LoaderError as exc:
                result.skipped.append((loc, str(exc)))
                continue
            if checked in seen:
                continue
            seen.add(checked)
            if kind == "sitemapindex":
                if depth < 2:
                    queue.append((checked, None, depth + 1))
            elif len(pages) < max_pages:
                pages.append(checked)
            else:
                result.skipped.append((checked, f"more than {max_pages} pages in the sitemap"))
    return pages
