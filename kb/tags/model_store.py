"""Saving and finding the learned tagger: the data folder's fitted one, else the shipped one.

One `.npz` file holds the arrays and a JSON header (encoder, tag keys, fingerprint of the
training data). A model is only used with the encoder it was fitted for: vectors of another
encoder live in another space.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from kb.config import Settings
from kb.files import atomic_write_bytes
from kb.tags.learned import Stats, TagModel

SHIPPED_DIR = Path(__file__).with_name("model")
"""One model per bundled encoder, fitted on the whole labelled set (tags_unseen.yaml)."""
FORMAT = 1


class ModelFileError(ValueError):
    """The model file cannot be read (the message says which and why)."""


def saved_model_path(settings: Settings) -> Path:
    return settings.home / "tagger" / "model.npz"


def shipped_model_path(encoder: str) -> Path:
    return SHIPPED_DIR / f"{encoder.replace('/', '_')}.npz"


def to_bytes(model: TagModel) -> bytes:
    header = {
        "format": FORMAT,
        "encoder": model.encoder,
        "keys": list(model.keys),
        "refs": list(model.bank_refs),
        "fingerprint": model.fingerprint,
        "lam": model.lam,
    }
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        weights=model.weights.astype(np.float32),
        thresholds=model.thresholds.astype(np.float32),
        xtx=model.stats.xtx.astype(np.float32),
        xty=model.stats.xty.astype(np.float32),
        positives=model.stats.positives,
        bank=model.bank.astype(np.float16),
        bank_labels=np.packbits(model.bank_labels, axis=1),
    )
    return buffer.getvalue()


def save_model(model: TagModel, path: Path) -> None:
    atomic_write_bytes(path, to_bytes(model))


def load_model(path: Path) -> TagModel:
    try:
        with np.load(path) as data:
            header = json.loads(bytes(data["header"]).decode())
            if header.get("format") != FORMAT:
                raise ModelFileError(f"{path}: unknown model format {header.get('format')!r}")
            keys = tuple(header["keys"])
            return TagModel(
                encoder=str(header["encoder"]),
                keys=keys,
                weights=data["weights"].astype(np.float64),
                thresholds=data["thresholds"].astype(np.float64),
                stats=Stats(
                    data["xtx"].astype(np.float64),
                    data["xty"].astype(np.float64),
                    data["positives"].astype(np.float64),
                ),
                bank=data["bank"],
                bank_labels=np.unpackbits(data["bank_labels"], axis=1, count=len(keys)).astype(
                    bool
                ),
                bank_refs=tuple(header["refs"]),
                fingerprint=str(header["fingerprint"]),
                lam=float(header["lam"]),
            )
    except (OSError, KeyError, ValueError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"{path}: not a tagger model ({exc})") from exc


def current_model(settings: Settings, encoder: str) -> TagModel | None:
    """The tagger model an ingest uses: the data folder's, else the shipped one, as long as it
    was fitted for `encoder` (None: rules only)."""
    for path in (saved_model_path(settings), shipped_model_path(encoder)):
        if path.is_file():
            try:
                model = load_model(path)
            except ModelFileError:
                continue  # a damaged saved model must not stop ingest: fall back
            if model.encoder == encoder:
                return model
    return None
