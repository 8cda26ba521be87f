"""An ONNX graph of the BERT sentence encoder, written from its safetensors weights.

We write the graph ourselves with onnx's helper API (no torch export): it is generated
from the model package's files at first use and cached, so it works offline. The
default "fused" graph uses onnxruntime's CPU contrib ops (EmbedLayerNormalization,
Attention, SkipLayerNormalization, BiasGelu), the form onnxruntime's transformer
optimizer produces for BERT. That optimizer needs sympy and, run on our standard-op
graph, fused only BiasGelu; writing the fused ops directly gives the same speed as the
standard-op graph after onnxruntime's own ORT_ENABLE_ALL fusions (measured) with half
the session start-up. The "standard" variant, standard ops only, is kept as an
independent cross-check of the fused one in the tests.

Mean pooling and L2 normalisation are part of the graph: one call in, sentence
vectors out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnx

MS = "com.microsoft"
logger = logging.getLogger(__name__)


class _G:
    """A graph under construction: nodes, initializers and fresh names."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def name(self, base: str) -> str:
        self._n += 1
        return f"{base}_{self._n}"

    def const(self, name: str, arr: Any) -> str:
        self.inits.append(self.numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def ops(
        self, op_type: str, inputs: list[str], n_out: int, domain: str = "", **attrs: Any
    ) -> list[str]:
        """Add a node; returns the names of its n_out outputs."""
        outs = [self.name(op_type) for _ in range(n_out)]
        self.nodes.append(
            self.helper.make_node(
                op_type, inputs, outs, name=self.name("n_" + op_type), domain=domain, **attrs
            )
        )
        return outs

    def op(self, op_type: str, inputs: list[str], domain: str = "", **attrs: Any) -> str:
        """Add a node with one output; returns its name."""
        return self.ops(op_type, inputs, 1, domain, **attrs)[0]


def build(
    w: dict[str, np.ndarray], config: dict[str, Any], variant: str = "fused"
) -> onnx.ModelProto:
    """The encoder graph: int ids and mask (batch, seq) -> "embeddings" (batch, hidden)."""
    from onnx import TensorProto, helper

    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    head_dim = hidden // heads
    eps = float(config["layer_norm_eps"])
    n_layers = int(config["num_hidden_layers"])
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    g = _G()
    word = g.const("word_emb", f32(w["embeddings.word_embeddings.weight"]))
    pos = g.const(
        "pos_emb",
        f32(
            w["embeddings.position_embeddings.weight"]
            + w["embeddings.token_type_embeddings.weight"][0]
        ),
    )
    eln_w = g.const("emb_ln_w", f32(w["embeddings.LayerNorm.weight"]))
    eln_b = g.const("emb_ln_b", f32(w["embeddings.LayerNorm.bias"]))
    fused = variant == "fused"
    id_type = TensorProto.INT32 if fused else TensorProto.INT64
    inputs = [
        helper.make_tensor_value_info("input_ids", id_type, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", id_type, ["batch", "seq"]),
    ]
    maskf = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    if fused:
        x, mask_index = g.ops(
            "EmbedLayerNormalization",
            ["input_ids", "", word, pos, "", eln_w, eln_b, "attention_mask"],
            2,
            domain=MS,
            epsilon=eps,
        )
    else:
        shape = g.op("Shape", ["input_ids"])
        seq = g.op("Slice", [shape, g.const("i1", np.array([1])), g.const("i2", np.array([2]))])
        zero = g.const("i0", np.array([0]))
        p = g.op("Slice", [pos, zero, seq, zero])
        e = g.op("Add", [g.op("Gather", [word, "input_ids"]), p])
        x = g.op("LayerNormalization", [e, eln_w, eln_b], axis=-1, epsilon=eps)
        one = g.const("one", np.array(1.0, np.float32))
        neg = g.const("neg", np.array(-1e9, np.float32))
        key_bias = g.op(
            "Unsqueeze",
            [g.op("Mul", [g.op("Sub", [one, maskf]), neg]), g.const("ax12", np.array([1, 2]))],
        )
        split = g.const("split", np.array([hidden] * 3))
        shp4 = g.const("shp4", np.array([0, 0, heads, head_dim]))
        shp3 = g.const("shp3", np.array([0, 0, hidden]))
    scale = 1.0 / math.sqrt(head_dim)
    for i in range(n_layers):
        pre = f"encoder.layer.{i}."

        def t(name: str) -> np.ndarray:
            return f32(w[pre + name + ".weight"]).T  # noqa: B023

        def b(name: str) -> np.ndarray:
            return f32(w[pre + name + ".bias"])  # noqa: B023

        q_w, k_w, v_w = (
            t("attention.self.query"),
            t("attention.self.key"),
            t("attention.self.value"),
        )
        q_b, k_b, v_b = (
            b("attention.self.query"),
            b("attention.self.key"),
            b("attention.self.value"),
        )
        qkv_w = g.const(f"l{i}_qkv_w", np.concatenate([q_w, k_w, v_w], axis=1))
        qkv_b = g.const(f"l{i}_qkv_b", np.concatenate([q_b, k_b, v_b]))
        out_w = g.const(f"l{i}_out_w", t("attention.output.dense"))
        out_b = g.const(f"l{i}_out_b", b("attention.output.dense"))
        ln1_w = g.const(f"l{i}_ln1_w", f32(w[pre + "attention.output.LayerNorm.weight"]))
        ln1_b = g.const(f"l{i}_ln1_b", f32(w[pre + "attention.output.LayerNorm.bias"]))
        in_w = g.const(f"l{i}_in_w", t("intermediate.dense"))
        in_b = g.const(f"l{i}_in_b", b("intermediate.dense"))
        ff_w = g.const(f"l{i}_ff_w", t("output.dense"))
        ff_b = g.const(f"l{i}_ff_b", b("output.dense"))
        ln2_w = g.const(f"l{i}_ln2_w", f32(w[pre + "output.LayerNorm.weight"]))
        ln2_b = g.const(f"l{i}_ln2_b", f32(w[pre + "output.LayerNorm.bias"]))
        if fused:
            ctx = g.op("Attention", [x, qkv_w, qkv_b, mask_index], domain=MS, num_heads=heads)
            x = g.op(
                "SkipLayerNormalization",
                [g.op("MatMul", [ctx, out_w]), x, ln1_w, ln1_b, out_b],
                domain=MS,
                epsilon=eps,
            )
            h = g.op("BiasGelu", [g.op("MatMul", [x, in_w]), in_b], domain=MS)
            x = g.op(
                "SkipLayerNormalization",
                [g.op("MatMul", [h, ff_w]), x, ln2_w, ln2_b, ff_b],
                domain=MS,
                epsilon=eps,
            )
        else:
            qkv = g.op("Add", [g.op("MatMul", [x, qkv_w]), qkv_b])
            q, k, v = g.ops("Split", [qkv, split], 3, axis=-1)
            q = g.op("Transpose", [g.op("Reshape", [q, shp4])], perm=[0, 2, 1, 3])
            k = g.op("Transpose", [g.op("Reshape", [k, shp4])], perm=[0, 2, 3, 1])
            v = g.op("Transpose", [g.op("Reshape", [v, shp4])], perm=[0, 2, 1, 3])
            s = g.op(
                "Mul", [g.op("MatMul", [q, k]), g.const(f"l{i}_scale", np.array(scale, np.float32))]
            )
            probs = g.op("Softmax", [g.op("Add", [s, key_bias])], axis=-1)
            ctx = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
            ctx = g.op("Reshape", [ctx, shp3])
            a = g.op("Add", [g.op("Add", [g.op("MatMul", [ctx, out_w]), out_b]), x])
            x = g.op("LayerNormalization", [a, ln1_w, ln1_b], axis=-1, epsilon=eps)
            h = g.op("Gelu", [g.op("Add", [g.op("MatMul", [x, in_w]), in_b])])
            f = g.op("Add", [g.op("Add", [g.op("MatMul", [h, ff_w]), ff_b]), x])
            x = g.op("LayerNormalization", [f, ln2_w, ln2_b], axis=-1, epsilon=eps)

    # Mean pooling over real tokens, then L2 normalisation.
    ax1 = g.const("ax1", np.array([1]))
    m3 = g.op("Unsqueeze", [maskf, g.const("ax2", np.array([2]))])
    summed = g.op("ReduceSum", [g.op("Mul", [x, m3]), ax1], keepdims=0)
    count = g.op(
        "Max",
        [g.op("ReduceSum", [maskf, ax1], keepdims=1), g.const("tiny", np.array(1e-9, np.float32))],
    )
    pooled = g.op("Div", [summed, count])
    norm = g.op("Sqrt", [g.op("ReduceSumSquare", [pooled, ax1], keepdims=1)])
    norm = g.op("Max", [norm, g.const("tiny2", np.array(1e-12, np.float32))])
    g.op("Div", [pooled, norm])
    g.nodes[-1].output[0] = "embeddings"
    outputs = [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", hidden])]
    graph = helper.make_graph(g.nodes, "minilm", inputs, outputs, initializer=g.inits)
    opsets = [helper.make_opsetid("", 20)]
    if fused:
        opsets.append(helper.make_opsetid(MS, 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="parley")
    model.ir_version = 10
    return model


# Bump when build() changes: cached graphs of other versions are then ignored.
BUILDER_VERSION = 1


def cache_key(weights_file: Path, config_text: str, fused: bool) -> str:
    """Name of the cached graph for these weights (path, size and mtime stand for content)."""
    st = weights_file.stat()
    h = hashlib.sha256()
    for part in (str(weights_file.resolve()), str(st.st_size), str(st.st_mtime_ns), config_text):
        h.update(part.encode())
        h.update(b"\0")
    kind = "fused" if fused else "std"
    return f"minilm-{kind}-v{BUILDER_VERSION}-{h.hexdigest()[:16]}.onnx"


class OnnxEncoder:
    """Runs the generated graph with onnxruntime: (ids, mask) -> unit sentence vectors."""

    def __init__(
        self,
        model_dir: Path,
        config_text: str,
        load_weights: Callable[[], dict[str, np.ndarray]],
        *,
        threads: int = 0,
        cache_dir: Path | None = None,
        fused: bool = True,
        spinning: bool = False,
    ) -> None:
        import onnxruntime as ort

        config = json.loads(config_text)
        weights_file = model_dir / "model.safetensors"
        source: str | bytes | None = None
        target: Path | None = None
        if cache_dir is not None:
            target = cache_dir / cache_key(weights_file, config_text, fused)
            if target.is_file():
                source = str(target)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.log_severity_level = 3  # unused-initializer notices are not news
        # Spinning workers burn a core between calls; on two shared cores the event loop
        # and the other requests need it more than the next call needs a warm thread.
        options.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if spinning else "0"
        )
        providers = ["CPUExecutionProvider"]
        session = None
        if source is not None:
            try:
                session = ort.InferenceSession(source, options, providers=providers)
            except Exception:  # truncated or foreign file: rebuild it below
                logger.warning("cached embedding graph %s is unreadable; rebuilding", target)
        if session is None:
            data = build(
                load_weights(), config, "fused" if fused else "standard"
            ).SerializeToString()
            if target is not None:
                _write_atomic(target, data)
            session = ort.InferenceSession(data, options, providers=providers)
            del data
        self.session = session
        self.threads = threads
        self.path = target
        int32 = session.get_inputs()[0].type == "tensor(int32)"
        self.id_dtype: type[np.integer[Any]] = np.int32 if int32 else np.int64

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {
            "input_ids": ids.astype(self.id_dtype, copy=False),
            "attention_mask": mask.astype(self.id_dtype, copy=False),
        }
        out: np.ndarray = self.session.run(["embeddings"], feeds)[0]
        return out


def _write_atomic(target: Path, data: bytes) -> None:
    """Write the cache file whole or not at all (several processes may start at once)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)  # a shared cache dir: other users may read it
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:  # read-only home, full disk: run from memory, rebuild next time
        logger.warning("cannot cache the embedding graph in %s: %s", target.parent, exc)
