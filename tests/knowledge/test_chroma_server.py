"""Chroma server mode (PARLEY_CHROMA_URL): the same store code against `chroma run`."""

from __future__ import annotations

from pathlib import Path

from knowledge.embeddings import Embedder
from knowledge.loaders import load_bytes
from knowledge.overlay import DraftOverlayStore
from knowledge.store import ArticleInput, KnowledgeStore
from tests.knowledge.chroma_server import chroma_server

FILES = Path(__file__).parent / "files"


def test_store_against_a_real_chroma_server(tmp_path: Path, embedder: Embedder) -> None:
    (doc,) = load_bytes((FILES / "store-pickup.html").read_bytes(), "store-pickup.html")
    with chroma_server(tmp_path / "server") as url:
        store = KnowledgeStore(url, embedder=embedder)
        first = store.upsert_article(doc.slug, doc.title, "/help/store-pickup", doc.body)
        assert first.embedded == store.count() == 4
        hit = store.search("what do I need to bring to collect my order", k=1)[0]
        assert (hit.slug, hit.section) == ("store-pickup", "What to bring")
        assert store.sentences([hit.id])[hit.id].units  # sentence vectors live on the server too

        before = embedder.texts_embedded
        again = store.upsert_article(doc.slug, doc.title, "/help/store-pickup", doc.body)
        assert (again.embedded, again.unchanged) == (0, 4)
        assert embedder.texts_embedded == before

        # A second client (another app instance) sees the same data.
        other = KnowledgeStore(url, embedder=embedder)
        assert other.slugs() == {"store-pickup"}

        # Drafts tried in memory never reach the server.
        draft = DraftOverlayStore(
            store,
            [
                ArticleInput(
                    "store-pickup", "Store pickup", "/help/store-pickup", "Pickup is now 5 dollars."
                )
            ],
        )
        assert "5 dollars" in draft.search("how much does pickup cost", k=1)[0].text
        assert "5 dollars" not in " ".join(other.collection.get()["documents"] or [])

        assert store.delete_article("store-pickup") == 4
        assert other.count() == 0
        assert other.sentence_collection.count() == 0
