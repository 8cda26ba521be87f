"""KnowledgeStore over real Chroma: incremental upserts, deletes and search."""

from __future__ import annotations

import pytest

from knowledge.ingest import Article
from knowledge.store import KnowledgeStore

BODY = """Intro paragraph about our returns.

## Return window

You have 30 days from delivery to return an item.

## Refund timing

Refunds are issued 5–7 business days after inspection. We email you when it is done.
"""


def test_upsert_is_incremental(store: KnowledgeStore) -> None:
    embedder = store.embedder
    first = store.upsert_article("returns", "Returns", "/help/returns", BODY)
    assert first.embedded == 3 and store.count() == 3
    ids = store.collection.get(include=[])["ids"]
    assert sorted(ids) == ["returns#0", "returns#1", "returns#2"]

    before = embedder.texts_embedded
    again = store.upsert_article("returns", "Returns", "/help/returns", BODY)
    assert (again.embedded, again.unchanged, again.deleted) == (0, 3, 0)
    assert embedder.texts_embedded == before  # nothing went through the model

    changed = BODY.replace("30 days", "45 days")
    stats = store.upsert_article("returns", "Returns", "/help/returns", changed)
    assert (stats.embedded, stats.unchanged) == (1, 2)
    assert "45 days" in store.search("how many days to return", k=1)[0].text


def test_metadata_only_change_skips_the_model(store: KnowledgeStore) -> None:
    store.upsert_article("returns", "Returns", "/help/returns", BODY)
    before = store.embedder.texts_embedded
    stats = store.upsert_article("returns", "Returns", "/help/returns-v2", BODY)
    assert stats.embedded == 0
    assert store.embedder.texts_embedded == before
    assert {h.url for h in store.search("refund", k=3)} == {"/help/returns-v2"}


def test_removed_sections_and_deleted_articles_leave_no_chunks(store: KnowledgeStore) -> None:
    store.upsert_article("returns", "Returns", "/help/returns", BODY)
    store.upsert_article("other", "Other", "/help/other", "## A\n\nSomething else entirely.")
    shorter = BODY.split("## Refund timing")[0]
    stats = store.upsert_article("returns", "Returns", "/help/returns", shorter)
    assert stats.deleted == 1
    assert store.count() == 3
    assert store.sentences(["returns#2"]) == {}

    assert store.delete_article("returns") == 2
    assert store.count() == 1
    assert store.slugs() == {"other"}
    assert store.sentence_collection.get(where={"slug": "returns"}, include=[])["ids"] == []
    assert store.delete_article("returns") == 0


def test_hits_carry_metadata_and_scores(store: KnowledgeStore) -> None:
    store.upsert_article("returns", "Returns", "/help/returns", BODY)
    hits = store.search("how long does a refund take", k=3)
    assert [h.section for h in hits][0] == "Refund timing"
    top = hits[0]
    assert (top.slug, top.title, top.url, top.id) == (
        "returns",
        "Returns",
        "/help/returns",
        "returns#2",
    )
    assert "5–7 business days" in top.text
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert store.search("   ") == []


def test_sentences_are_stored_with_vectors(store: KnowledgeStore) -> None:
    store.upsert_article("returns", "Returns", "/help/returns", BODY)
    sets = store.sentences(["returns#2"])
    assert sets["returns#2"].units == [
        "Refunds are issued 5–7 business days after inspection.",
        "We email you when it is done.",
    ]
    assert sets["returns#2"].vectors.shape == (2, 384)


def test_reopening_the_directory_keeps_the_index(store: KnowledgeStore) -> None:
    store.upsert_article("returns", "Returns", "/help/returns", BODY)
    path = store.client.get_settings().persist_directory
    reopened = KnowledgeStore(path, embedder=store.embedder)
    assert reopened.count() == 3
    assert reopened.upsert_article("returns", "Returns", "/help/returns", BODY).embedded == 0


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("how long does a refund take", "returns-and-refunds"),
        ("how long is the warranty on an e-bike battery", "warranty"),
        ("how much does it cost to ship a bike", "shipping-times-and-costs"),
        ("do you ship to the UK", "international-shipping"),
        ("how do I cancel my order", "change-or-cancel-an-order"),
        ("can I pay with Apple Pay", "payment-methods"),
        ("do you offer 0% financing", "financing"),
        ("which frame size for someone 180 cm tall", "bike-sizing-guide"),
        ("how do I install the pedals on my new bike", "assembly-instructions"),
        ("how should I store my e-bike battery over winter", "ebike-battery-care"),
        ("how much is a basic tune-up", "servicing-and-tune-ups"),
        ("will a child seat fit my e-bike", "accessories-compatibility"),
        ("I forgot my password", "account-and-password-reset"),
        ("do gift cards expire", "gift-cards"),
        ("do you match competitor prices", "price-match"),
        ("what time does the Portland showroom open on Sunday", "store-locations-and-hours"),
        ("what is your support phone number", "contact-and-support-hours"),
        ("my bike arrived damaged", "damaged-or-missing-items"),
        ("when will my pre-order ship", "ordering-and-stock"),
    ],
)
def test_demo_questions_find_their_article(
    demo: tuple[KnowledgeStore, list[Article]], question: str, slug: str
) -> None:
    store, _ = demo
    hits = store.search(question, k=4)
    assert hits[0].slug == slug, [(h.slug, round(h.score, 3)) for h in hits]
