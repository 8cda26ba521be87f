"""Pages and sitemaps fetched over real HTTP from a local site, and nothing outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.loaders import LoaderError, SiteFetcher, fetch_documents
from tests.knowledge.pdfgen import make_pdf
from tests.knowledge.sitehost import serve_site, sitemap

FILES = Path(__file__).parent / "files"
HTML = "text/html; charset=utf-8"


def page(title: str, text: str) -> bytes:
    return (
        f"<html><head><title>{title} | Northwind</title></head><body><nav>Home · Bikes · Help</nav>"
        f"<main><h1>{title}</h1><p>{text}</p></main><footer>© Northwind</footer></body></html>"
    ).encode()


def test_sitemap_index_imports_every_page_of_the_site_and_skips_the_rest() -> None:
    routes: dict[str, tuple[int, str, bytes]] = {}
    with serve_site(routes) as origin:
        routes.update(
            {
                "/sitemap.xml": (
                    200,
                    "application/xml",
                    sitemap([f"{origin}/sitemap-help.xml"], index=True),
                ),
                "/sitemap-help.xml": (
                    200,
                    "application/xml",
                    sitemap(
                        [
                            f"{origin}/help/store-pickup",
                            f"{origin}/help/rentals.html",
                            f"{origin}/help/old-url",  # redirects within the site
                            f"{origin}/help/battery.pdf",
                            f"{origin}/help/missing",  # 404
                            "https://evil.example.com/phish",  # another origin
                            f"{origin}/help/rentals.html",  # duplicate
                        ]
                    ),
                ),
                "/help/store-pickup": (200, HTML, (FILES / "store-pickup.html").read_bytes()),
                "/help/rentals.html": (
                    200,
                    HTML,
                    page("Bike rentals", "Rent a city bike from $30 a day at any showroom."),
                ),
                "/help/old-url": (301, HTML, b"/help/new-url"),
                "/help/new-url": (
                    200,
                    HTML,
                    page("Opening hours", "Every showroom opens at 10:00 on weekdays."),
                ),
                "/help/battery.pdf": (
                    200,
                    "application/pdf",
                    make_pdf(
                        [
                            [
                                (18, True, "Battery guide"),
                                (
                                    11,
                                    False,
                                    "Charge the battery before the first ride, for about 4 hours.",
                                ),
                            ]
                        ]
                    ),
                ),
            }
        )
        progress: list[tuple[int, int, str]] = []
        result = fetch_documents(
            f"{origin}/sitemap.xml",
            [origin],
            on_progress=lambda d, t, u: progress.append((d, t, u)),
        )
    assert result.sitemap
    slugs = {d.slug: d for d in result.documents}
    assert set(slugs) == {"store-pickup", "rentals", "new-url", "battery"}
    assert slugs["store-pickup"].source == f"{origin}/help/store-pickup"
    assert slugs["new-url"].title == "Opening hours"
    assert "Home · Bikes" not in slugs["rentals"].body and "$30 a day" in slugs["rentals"].body
    assert slugs["battery"].title == "Battery guide"
    skipped = dict(result.skipped)
    assert "answered HTTP 404" in skipped[f"{origin}/help/missing"]
    assert "is not one of your site's origins" in skipped["https://evil.example.com/phish"]
    assert [d for d, _, _ in progress] == [1, 2, 3, 4, 5] and progress[-1][1] == 5


def test_a_single_page_is_one_article() -> None:
    routes = {"/help/pickup": (200, HTML, (FILES / "store-pickup.html").read_bytes())}
    with serve_site(routes) as origin:
        result = fetch_documents(f"{origin}/help/pickup", [origin])
    (doc,) = result.documents
    assert (doc.slug, doc.title) == ("pickup", "Store pickup")
    assert (
        "Read the [returns policy](" + origin + "/help/returns-and-refunds) for details."
        in doc.body
    )


def test_urls_outside_the_site_are_refused_before_any_request() -> None:
    routes: dict[str, tuple[int, str, bytes]] = {}
    with serve_site(routes) as origin:
        fetcher = SiteFetcher([origin])
        for url, message in [
            ("https://example.org/help", "https://example.org is not one of your site's origins"),
            (origin.replace("127.0.0.1", "localhost") + "/x", "is not one of your site's origins"),
            ("file:///etc/passwd", r"is not an http\(s\) URL"),
            ("ftp://127.0.0.1/x", r"is not an http\(s\) URL"),
            (origin.replace("http://", "http://user:pw@") + "/", "user name or password"),
        ]:
            with pytest.raises(LoaderError, match=message):
                fetch_documents(url, [origin], fetcher=fetcher)
        # A redirect may not leave the site either.
        routes["/out"] = (302, HTML, b"https://example.org/landing")
        with pytest.raises(
            LoaderError, match="https://example.org is not one of your site's origins"
        ):
            fetch_documents(f"{origin}/out", [origin])


def test_oversized_and_unusable_pages_are_refused() -> None:
    routes = {
        "/big": (
            200,
            HTML,
            b"<html><body><main>" + b"<p>word </p>" * 200_000 + b"</main></body></html>",
        ),
        "/empty": (200, HTML, b""),
        "/image": (200, "image/png", b"\x89PNG\r\n\x1a\n...."),
        "/bad-sitemap.xml": (200, "application/xml", b"<?xml version='1.0'?><urlset><url><loc>"),
    }
    with serve_site(routes) as origin:
        fetcher = SiteFetcher([origin], max_bytes=1_000_000)
        with pytest.raises(LoaderError, match="is larger than"):
            fetch_documents(f"{origin}/big", [origin], fetcher=fetcher)
        with pytest.raises(LoaderError, match="returned an empty page"):
            fetch_documents(f"{origin}/empty", [origin])
        with pytest.raises(LoaderError, match="image/png, which cannot be imported"):
            fetch_documents(f"{origin}/image", [origin])
        with pytest.raises(LoaderError, match="is not a valid sitemap"):
            fetch_documents(f"{origin}/bad-sitemap.xml", [origin])
        with pytest.raises(LoaderError, match="answered HTTP 404"):
            fetch_documents(f"{origin}/nothing-here", [origin])


def test_sitemap_entities_are_not_expanded() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&x;</loc></url></urlset>'
    )
    routes = {"/sitemap.xml": (200, "application/xml", xxe)}
    with serve_site(routes) as origin, pytest.raises(LoaderError) as err:
        fetch_documents(f"{origin}/sitemap.xml", [origin])
    assert "root:" not in str(err.value)
