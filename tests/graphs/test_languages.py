"""Answers in the visitor's language where the knowledge base has articles in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graphs.support.runtime import (
    SupportContext,
    TurnResult,
    build_context,
    build_graph,
    run_turn,
)
from knowledge.ingest import DEMO_DIR
from knowledge.overlay import DraftOverlayStore
from knowledge.store import ArticleInput, KnowledgeStore

RETURNS_EN = (DEMO_DIR / "returns-and-refunds.md").read_text(encoding="utf-8")
RETURNS_ES = """Puedes devolver la mayoría de los artículos en un plazo de 30 días desde la
entrega para obtener un reembolso completo.

## Reembolsos

Cuando recibimos y revisamos tu devolución, el reembolso suele aparecer en 5 a 7 días
hábiles, según tu banco. Te enviamos un correo cuando se emite el reembolso.

## Envío de la devolución

La devolución de una bicicleta cuesta 49 dólares; los accesorios se devuelven gratis con
la etiqueta prepagada.
"""


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory: pytest.TempPathFactory) -> SupportContext:
    """A knowledge base with the returns article in English and in Spanish."""
    store = KnowledgeStore(Path(tmp_path_factory.mktemp("bilingual")))
    store.upsert_articles(
        [
            ArticleInput("returns-and-refunds", "Returns and refunds", "/help/r", RETURNS_EN),
            ArticleInput(
                "devoluciones", "Devoluciones y reembolsos", "/help/d", RETURNS_ES, lang="es"
            ),
        ]
    )
    return build_context(store)


async def ask(ctx: SupportContext, text: str) -> TurnResult:
    return await run_turn(build_graph(InMemorySaver()), thread_id="t", text=text, context=ctx)


async def test_spanish_question_is_answered_from_the_spanish_article(
    bilingual: SupportContext,
) -> None:
    result = await ask(bilingual, "¿Cuánto tarda en llegar el reembolso?")
    assert result.lang == "es" and not result.escalated
    assert [s.slug for s in result.sources] == ["devoluciones"]
    assert "5 a 7 días hábiles" in result.reply
    cost = await ask(bilingual, "¿Cuánto cuesta devolver una bicicleta?")
    assert "49 dólares" in cost.reply


async def test_english_question_keeps_the_english_article(bilingual: SupportContext) -> None:
    result = await ask(bilingual, "how long does a refund take?")
    assert [s.slug for s in result.sources] == ["returns-and-refunds"]
    assert result.lang == "en"


def test_language_filter_in_the_store_and_draft_overlay(bilingual: SupportContext) -> None:
    store = bilingual.store
    assert store.has_language("es") and not store.has_language("de")
    assert {h.slug for h in store.search("reembolso", 8, lang="es")} == {"devoluciones"}
    drafts = DraftOverlayStore(
        store,
        [ArticleInput("ruecksendung", "Rücksendungen", "/help/de", "Rücksendungen sind 30 "
                      "Tage lang kostenlos möglich.", lang="de")],
    )  # fmt: skip
    assert drafts.has_language("de")
    assert [h.slug for h in drafts.search("Rücksendung", 4, lang="de")] == ["ruecksendung"]
    assert "ruecksendung" not in {h.slug for h in drafts.search("Rücksendung", 4, lang="es")}
