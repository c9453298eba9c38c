"""Build an int8 ONNX Runtime encoder from bundled weights once, and open it.

Shared by the int8 encoders: each exports its own float graph with `torch.onnx.export`, then
this module weight-quantises it with ONNX Runtime's `quantize_dynamic` and caches the result in
a folder under `<home>/models/`. The folder carries a `build.json` saying what it was built
from (recipe version, source weights); a different one means the model is rebuilt. A file lock
lets two processes that start together build it only once, and the folder is swapped in with
one rename, so a reader never sees half a build.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kb.encoders.base import EmbeddingModelError

MODEL_FILE = "model.onnx"
INFO_FILE = "build.json"
log = logging.getLogger(__name__)


class OnnxExportError(EmbeddingModelError):
    """An int8 ONNX model cannot be built on this machine."""


def models_dir(name: str) -> Path:
    """Where the model called `name` is cached for the configured data folder."""
    from kb.config import get_settings

    return get_settings().home / "models" / name


def is_current(folder: Path, info: dict[str, Any]) -> bool:
    try:
        saved = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(saved == info and (folder / MODEL_FILE).is_file())


@contextmanager
def build_lock(folder: Path) -> Iterator[None]:
    """Blocking lock so that two processes starting together build the model only once."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder.parent / f".{folder.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def user_cache_dir(name: str) -> Path:
    """A per-user copy of the model called `name`, shared by every data folder of this user."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clusterkb" / "models" / name


def ensure_model(
    folder: Path,
    info: dict[str, Any],
    build: Callable[[Path], None],
    shared: Path | None = None,
) -> Path:
    """Path of the cached model; `build(work)` first writes `work/model.onnx` if it is stale.

    With `shared`, a current build found there is copied instead of built, and a new build is
    also copied there: a new data folder then costs a file copy, not another export.
    """
    if is_current(folder, info):
        return folder / MODEL_FILE
    with build_lock(folder):
        if is_current(folder, info):  # another process built it while we waited
            return folder / MODEL_FILE
        if shared is not None and is_current(shared, info):
            _install(folder, lambda work: _copy_files(shared, work))
        else:
            # Shown on the first start: the export takes about a minute on two cores.
            log.warning("Preparing the %s encoder model (once; about a minute)...", folder.name)
            _install(folder, lambda work: _build_with_info(work, info, build))
            log.warning("Encoder model ready: %s", folder)
            if shared is not None:
                _publish(folder, shared)
    return folder / MODEL_FILE


def _install(folder: Path, fill: Callable[[Path], None]) -> None:
    """Fill a fresh work folder, then swap it in: readers only ever see a complete folder."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    work.chmod(0o755)  # mkdtemp makes it private; the cache is as shared as the data folder
    try:
        fill(work)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _build_with_info(work: Path, info: dict[str, Any], build: Callable[[Path], None]) -> None:
    build(work)
    (work / INFO_FILE).write_text(json.dumps(info), encoding="utf-8")


def _copy_files(source: Path, target: Path) -> None:
    for item in source.iterdir():
        if item.is_file():
            shutil.copy2(item, target / item.name)


def _publish(folder: Path, shared: Path) -> None:
    """Best effort: a read-only or full user cache only means the next folder builds again."""
    try:
        with build_lock(shared):
            _install(shared, lambda work: _copy_files(folder, work))
    except OSError:
        pass


def export_graph(
    name: str,
    module: Any,
    example: tuple[Any, ...],
    target: Path,
    inputs: Sequence[str],
    dynamic: dict[str, dict[int, str]],
    fallback: str,
) -> None:
    """`torch.onnx.export` of `module` with one clear error whatever goes wrong."""
    import torch

    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer and deprecation chatter, not errors
            # The TorchScript exporter needs no extra packages (the dynamo one needs onnxscript).
            torch.onnx.export(
                module,
                example,
                str(target),
                dynamo=False,
                input_names=list(inputs),
                output_names=["embedding"],
                dynamic_axes={**dynamic, "embedding": {0: "batch"}},
                opset_version=17,
            )
    except Exception as exc:  # torch raises many types; the user needs one clear message
        raise OnnxExportError(
            f"cannot export {name} to ONNX with torch.onnx.export: {type(exc).__name__}: {exc}. "
            f"Use CLUSTERKB_EMBEDDING_MODEL={fallback} (same model, not quantised) instead."
        ) from exc


def import_export_tools(name: str, fallback: str) -> None:
    """Fail early, with advice, when a package the export needs is missing."""
    try:
        import onnx  # noqa: F401  (torch.onnx.export and the quantiser both need it)
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise OnnxExportError(
            f"cannot build {name}: exporting the bundled model to ONNX needs the `onnx`, torch "
            f"and transformers packages ({exc}). Install onnx (pip install onnx), or use "
            f"CLUSTERKB_EMBEDDING_MODEL={fallback} (same model, not quantised)."
        ) from exc


def matmuls_ending(model: Path, suffix: str) -> list[str]:
    """Names of the MatMul nodes of `model` whose name ends with `suffix`."""
    import onnx

    graph = onnx.load(str(model), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and n.name.endswith(suffix)]


def quantise(
    name: str,
    source: Path,
    target: Path,
    keep_float: Sequence[str],
    fallback: str,
    per_channel: bool = True,
    reduce_range: bool = False,
) -> None:
    """int8 weights, by default one scale per output channel (per-tensor costs cosine).

    `reduce_range` uses 7-bit weights, which only helps CPUs without VNNI instructions.
    """
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise OnnxExportError(
            f"cannot build {name}: ONNX Runtime's quantiser needs the `onnx` package ({exc}). "
            f"Install it (pip install onnx) or use CLUSTERKB_EMBEDDING_MODEL={fallback}."
        ) from exc
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)  # "consider pre-processing" advice goes to the root logger
    try:
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=per_channel,
            reduce_range=reduce_range,
            nodes_to_exclude=list(keep_float),
        )
    except Exception as exc:
        raise OnnxExportError(f"cannot quantise {name} to int8: {exc}") from exc
    finally:
        # Some quantiser modules call logging.basicConfig on import: undo that too, or every
        # library's debug logging would start printing.
        root.setLevel(level)
        root.handlers[:] = handlers


def open_session(model: Path, threads: int | None) -> Any:
    """An ONNX Runtime CPU session tuned for a machine whose cores other programs share."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # Spinning idle threads gain ~8% on an idle machine but halve throughput when the cores
    # are shared (Streamlit, a browser, another ingest): measured at 2 threads on 2 cores.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    providers = ["CPUExecutionProvider"]
    return ort.InferenceSession(str(model), sess_options=options, providers=providers)
