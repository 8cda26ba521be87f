"""Trying drafts: the published index with draft articles swapped in, nothing written."""

from __future__ import annotations

import pytest

from knowledge.ingest import Article
from knowledge.overlay import DraftOverlayStore
from knowledge.store import ArticleInput, KnowledgeStore


def test_a_draft_replaces_its_live_version_and_adds_new_articles(
    demo: tuple[KnowledgeStore, list[Article]],
) -> None:
    store, _ = demo
    count = store.count()
    returns = ArticleInput(
        "returns-and-refunds",
        "Returns and refunds",
        "/help/returns-and-refunds",
        "## How long does a refund take?\n\nRefunds now arrive within 48 hours of inspection.",
    )
    new = ArticleInput(
        "kayaks",
        "Kayak rentals",
        "/help/kayaks",
        "## Kayak rentals\n\nRent a kayak for 20 dollars an hour.",
    )
    view = DraftOverlayStore(store, [returns, new])
    hits = view.search("how long does a refund take", k=4)
    refund_hits = [h for h in hits if h.slug == "returns-and-refunds"]
    # Only the draft's chunks of that article compete; the live ones are hidden.
    assert refund_hits and all("48 hours" in h.text for h in refund_hits)
    assert view.search("rent a kayak", k=1)[0].slug == "kayaks"
    # The answer node reads sentence vectors: drafts have them in memory.
    sentences = view.sentences([refund_hits[0].id])
    assert sentences[refund_hits[0].id].units == [
        "Refunds now arrive within 48 hours of inspection."
    ]
    # Live content elsewhere is still there, and nothing was written.
    assert view.search("what payment methods do you accept", k=1)[0].slug == "payment-methods"
    assert store.count() == count
    assert "48 hours" not in store.search("how long does a refund take", k=1)[0].text
    with pytest.raises(TypeError):
        view.upsert_articles([new])
    with pytest.raises(TypeError):
        view.delete_article("kayaks")


def test_trying_the_same_draft_again_embeds_nothing(
    demo: tuple[KnowledgeStore, list[Article]],
) -> None:
    store, _ = demo
    draft = ArticleInput(
        "gift-cards",
        "Gift cards",
        "/help/gift-cards",
        "## Expiry\n\nGift cards bought after May never expire.",
    )
    DraftOverlayStore(store, [draft]).search("do gift cards expire", k=2)
    before = store.embedder.texts_embedded
    DraftOverlayStore(store, [draft]).search("do gift cards expire", k=2)
    assert store.embedder.texts_embedded == before  # chunks memoised by content hash; query cached
