"""Loading Markdown articles with front matter, and the demo knowledge base itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.ingest import (
    DEMO_DIR,
    Article,
    import_directory,
    ingest_directory,
    load_articles,
    parse_article,
)
from knowledge.store import KnowledgeStore


def test_front_matter_and_defaults() -> None:
    art = parse_article(
        "---\ntitle: Returns\ntags: [returns, refunds]\n---\n## A\n\nText.\n", stem="returns-faq"
    )
    assert (art.slug, art.title, art.tags, art.url) == (
        "returns-faq",
        "Returns",
        ["returns", "refunds"],
        "/help/returns-faq",
    )
    assert art.body.startswith("## A")

    bare = parse_article("# From Heading\n\nBody.", stem="My File", base_url="https://x.test/kb")
    assert (bare.slug, bare.title, bare.url) == (
        "my-file",
        "From Heading",
        "https://x.test/kb/my-file",
    )

    custom = parse_article("---\ntitle: T\nslug: Custom Slug\n---\nB", stem="x")
    assert custom.slug == "custom-slug"


def test_duplicate_slugs_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: A\nslug: same\n---\nA")
    (tmp_path / "b.md").write_text("---\ntitle: B\nslug: same\n---\nB")
    with pytest.raises(ValueError, match="duplicate slug"):
        load_articles(tmp_path)


def test_ingest_returns_articles_and_indexes_them(tmp_path: Path, store: KnowledgeStore) -> None:
    (tmp_path / "one.md").write_text("---\ntitle: One\ntags: [x]\n---\n## S\n\nFirst article.")
    (tmp_path / "two.md").write_text("---\ntitle: Two\n---\n## S\n\nSecond article.")
    articles = ingest_directory(store, tmp_path, show_progress=False)
    assert [(a.slug, a.title) for a in articles] == [("one", "One"), ("two", "Two")]
    assert store.slugs() == {"one", "two"}
    again = import_directory(tmp_path, store, public_url="https://shop.test/", show_progress=False)
    assert again[0].url == "https://shop.test/help/one"
    assert store.search("first article", k=1)[0].url == "https://shop.test/help/one"


def test_demo_kb_is_complete(demo: tuple[KnowledgeStore, list[Article]]) -> None:
    store, articles = demo
    assert len(articles) >= 16
    assert store.slugs() == {a.slug for a in articles}
    for art in articles:
        words = len(re.findall(r"\w+", art.body))
        assert 150 <= words <= 420, (art.slug, words)
        assert art.title and art.tags, art.slug
        assert len(re.findall(r"^## ", art.body, re.MULTILINE)) >= 2, art.slug
    assert {a.slug for a in load_articles(DEMO_DIR)} == {a.slug for a in articles}
