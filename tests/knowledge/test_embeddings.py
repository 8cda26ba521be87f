"""all-MiniLM-L6-v2 (onnxruntime and the numpy fallback) against reference values and
each other, the generated-graph cache, and sanity properties."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import chromadb
import numpy as np
import pytest

from knowledge import _onnx_bert
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


# Short and long, several scripts, emoji, empty, whitespace, truncated: the ONNX graph and
# the numpy encoder must agree on all of them.
VARIED = [
    "hello world",
    "How long does a refund take?",
    "Wie lange dauert die Rückerstattung?",
    "¿Cuánto tarda el envío a México?",
    "Combien de temps prend le remboursement ?",
    "返品はどのようにすればいいですか？",
    "退款需要多长时间？",
    "Возврат денег занимает сколько дней?",
    "مرحبا، أين طلبي؟",
    "환불은 얼마나 걸리나요?",
    "हिंदी में सवाल",
    "Ελληνικά κείμενα εδώ",
    "🙂👍 emoji only??",
    "",
    "a",
    "\tWhitespace\n\nand   newlines\r\n",
    "Order #A-12345 for jane.doe@example.com hasn't arrived since 2024-03-01.",
    "Refunds are issued to your original payment method within five to seven business days "
    "after we inspect the returned bike. " * 6,
    "word " * 2000,
]


@pytest.fixture(scope="module")
def numpy_embedder() -> Embedder:
    """The numpy fallback encoder."""
    return Embedder(backend="numpy")


def test_default_backend_is_onnx(embedder: Embedder) -> None:
    assert embedder.backend == "onnx"


@pytest.mark.parametrize("backend", ["onnx", "numpy"])
def test_matches_reference_vectors(
    backend: str, embedder: Embedder, numpy_embedder: Embedder
) -> None:
    vectors = (embedder if backend == "onnx" else numpy_embedder).embed(list(REFERENCE))
    for row, (head, last) in zip(vectors, REFERENCE.values(), strict=True):
        np.testing.assert_allclose(row[: len(head)], head, atol=2e-6)
        assert row[-1] == pytest.approx(last, abs=2e-6)


def test_onnx_and_numpy_give_the_same_vectors(embedder: Embedder, numpy_embedder: Embedder) -> None:
    reference = numpy_embedder.embed(VARIED)
    batched = embedder.embed(VARIED)
    one_by_one = np.concatenate([embedder.embed([t]) for t in VARIED])
    for vectors in (batched, one_by_one):
        assert float(np.min(np.sum(vectors * reference, axis=1))) >= 0.9999
        np.testing.assert_allclose(vectors, reference, atol=2e-6)


def test_standard_op_graph_matches_the_fused_one(embedder: Embedder) -> None:
    """The plain-ONNX variant of the graph is an independent check of the contrib-op one."""
    import onnxruntime as ort
    from safetensors.numpy import load_file

    from knowledge.embeddings import default_model_dir

    path = default_model_dir()
    config = json.loads((path / "config.json").read_text())
    model = _onnx_bert.build(load_file(str(path / "model.safetensors")), config, "standard")
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    texts = VARIED[:6]
    encodings = embedder.tokenizer.encode_batch(texts)
    length = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(texts), length), np.int64)
    mask = np.zeros_like(ids)
    for row, e in enumerate(encodings):
        ids[row, : len(e.ids)] = e.ids
        mask[row, : len(e.ids)] = 1
    standard = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    np.testing.assert_allclose(standard, embedder.embed(texts), atol=2e-6)


def test_graph_is_cached_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = Embedder(cache_dir=tmp_path)
    [cached] = list(tmp_path.glob("*.onnx"))
    assert first.backend == "onnx"

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached graph should have been used")

    monkeypatch.setattr(_onnx_bert, "build", no_build)
    second = Embedder(cache_dir=tmp_path)
    assert second.backend == "onnx"
    np.testing.assert_allclose(second.embed(VARIED[:3]), first.embed(VARIED[:3]), atol=1e-6)
    assert list(tmp_path.glob("*")) == [cached]  # no temp files left behind


def test_corrupt_cache_is_rebuilt(tmp_path: Path, numpy_embedder: Embedder) -> None:
    Embedder(cache_dir=tmp_path)
    [cached] = list(tmp_path.glob("*.onnx"))
    cached.write_bytes(cached.read_bytes()[:1000])  # e.g. a disk filled up mid-write
    again = Embedder(cache_dir=tmp_path)
    assert again.backend == "onnx"
    assert cached.stat().st_size > 10_000_000
    np.testing.assert_allclose(again.embed(VARIED[:3]), numpy_embedder.embed(VARIED[:3]), atol=2e-6)


def test_unwritable_cache_dir_still_embeds(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    embedder = Embedder(cache_dir=blocker / "cache")
    assert embedder.backend == "onnx"
    assert embedder.embed(["hello"]).shape == (1, DIM)


def test_falls_back_to_numpy_without_onnxruntime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, numpy_embedder: Embedder
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import raises ImportError
    fallback = Embedder(cache_dir=tmp_path)
    assert fallback.backend == "numpy"
    np.testing.assert_array_equal(fallback.embed(VARIED[:3]), numpy_embedder.embed(VARIED[:3]))
    with pytest.raises(ImportError):
        Embedder(backend="onnx", cache_dir=tmp_path)


def test_cached_graph_needs_no_onnx_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """onnx only writes the graph; with it cached, onnxruntime alone runs the model."""
    Embedder(cache_dir=tmp_path)
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert Embedder(cache_dir=tmp_path).backend == "onnx"
    # No cache and no onnx: numpy.
    assert Embedder(cache_dir=tmp_path / "empty").backend == "numpy"


def test_unknown_backend_is_rejected() -> None:
    with pytest.raises(ValueError, match="backend"):
        Embedder(backend="tpu", cache_dir=None)  # type: ignore[arg-type]


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
