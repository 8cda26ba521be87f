"""The numpy all-MiniLM-L6-v2 against reference values and sanity properties."""

from __future__ import annotations

import math
from pathlib import Path

import chromadb
import numpy as np
import pytest

from knowledge.embeddings import (
    DIM,
    Embedder,
    ParleyEmbeddingFunction,
    erf,
    gelu_,
    get_embedder,
)
from knowledge.store import chroma_settings

# sentence-transformers/all-MiniLM-L6-v2 (PyTorch) outputs, as published in public
# code: fastembed's canonical vectors and an embedding API's documented example.
REFERENCE = {
    "hello world": ([-0.03447727, 0.03102318, 0.00673497, 0.02610906, -0.03936203], 0.03020684),
    "this is a test": ([0.03061240, 0.01383138, -0.02084374], -0.04484280),
}


def test_matches_reference_vectors(embedder: Embedder) -> None:
    vectors = embedder.embed(list(REFERENCE))
    for row, (head, last) in zip(vectors, REFERENCE.values(), strict=True):
        np.testing.assert_allclose(row[: len(head)], head, atol=2e-6)
        assert row[-1] == pytest.approx(last, abs=2e-6)


def test_shape_dtype_and_unit_norm(embedder: Embedder) -> None:
    vectors = embedder.embed(["a", "a much longer sentence about bicycles " * 3, ""])
    assert vectors.shape == (3, DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, DIM)


def test_similar_questions_are_closer(embedder: Embedder) -> None:
    ret, refund, weather = embedder.embed(
        ["How do I return an item?", "What is your refund policy?", "The weather is nice"]
    )
    assert float(ret @ refund) > float(ret @ weather) + 0.25


def test_batching_by_length_does_not_change_results(embedder: Embedder) -> None:
    texts = ["short", "a medium length sentence about shipping", "tiny", "x " * 300]
    together = embedder.embed(texts)
    for i, text in enumerate(texts):
        np.testing.assert_allclose(together[i], embedder.embed([text])[0], atol=1e-5)


def test_long_text_is_truncated_not_rejected(embedder: Embedder) -> None:
    long = "word " * 2000
    assert embedder.embed([long]).shape == (1, DIM)
    # Everything after the 256-token window is ignored.
    np.testing.assert_allclose(
        embedder.embed([long])[0], embedder.embed(["word " * 400])[0], atol=1e-5
    )


def test_embed_one_is_memoised(embedder: Embedder) -> None:
    before = embedder.texts_embedded
    a = embedder.embed_one("a question nobody asked before 7d1f")
    b = embedder.embed_one("a question nobody asked before 7d1f")
    assert a is b
    assert embedder.texts_embedded == before + 1


def test_erf_and_gelu_are_exact_enough() -> None:
    x = np.linspace(-7, 7, 20001)
    reference = np.array([math.erf(v) for v in x])
    assert np.abs(erf(x) - reference).max() < 1e-7
    g = gelu_(x.astype(np.float32).copy())
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x])
    assert np.abs(g - exact).max() < 1e-5


def test_get_embedder_is_shared() -> None:
    assert get_embedder() is get_embedder()


def test_chroma_embedding_function_never_downloads(tmp_path: Path, embedder: Embedder) -> None:
    ef = ParleyEmbeddingFunction(embedder)
    assert ParleyEmbeddingFunction.name() == "parley_minilm_l6_v2"
    assert ef.default_space() == "cosine"
    assert isinstance(
        ParleyEmbeddingFunction.build_from_config(ef.get_config()), ParleyEmbeddingFunction
    )
    client = chromadb.PersistentClient(path=str(tmp_path), settings=chroma_settings())
    col = client.get_or_create_collection("ef-test", embedding_function=ef)  # type: ignore[arg-type]
    # No vectors given: Chroma must use our function, not its downloading default.
    col.add(ids=["1", "2"], documents=["refunds take 5-7 days", "frames have 5 years warranty"])
    got = col.query(query_texts=["how long is a refund"], n_results=1)
    assert got["ids"][0] == ["1"]
    # Reopening the collection rebuilds the function from its stored config.
    again = chromadb.PersistentClient(path=str(tmp_path), settings=chroma_settings())
    assert again.get_collection("ef-test").count() == 2
