"""The embedding backend interface, its input checks and its errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, Sequence, Union

import numpy as np

#: ``progress`` argument: a tqdm-like object (``.update(n)``) or a callable taking ``n``;
#: either way ``n`` is the number of texts finished since the previous call.
Progress = Union[Callable[[int], Any], Any, None]


class EmbeddingError(ValueError):
    """Bad embedding input or configuration (unknown backend string, model not found, bad texts)."""


class MissingExtraError(ImportError):
    """An optional dependency of a backend is not installed; the message gives the install command."""


def check_texts(texts: Sequence[str], what: str = "texts") -> list[str]:
    """``texts`` as a list of str; a lone str or a non-str item is an :class:`EmbeddingError`.

    Empty strings are allowed (they embed like any other text).
    """
    if isinstance(texts, (str, bytes)):
        raise EmbeddingError(
            f"{what} must be a list of strings, got a single {type(texts).__name__} {texts[:40]!r}; "
            "wrap it in a list: [text]"
        )
    try:
        items = list(texts)
    except TypeError:
        raise EmbeddingError(f"{what} must be a list of strings, got {type(texts).__name__}") from None
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise EmbeddingError(f"{what}[{i}] must be a str, got {type(text).__name__}: {text!r:.60}")
    return items


def advance(progress: Progress, n: int) -> None:
    """Tell ``progress`` (tqdm-like bar or callable) that ``n`` more texts are done."""
    if progress is None or n <= 0:
        return
    update = getattr(progress, "update", None)
    if callable(update):
        update(n)
    else:
        progress(n)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 length, as C-contiguous float32 (zero rows stay zero)."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


class EmbeddingBackend(ABC):
    """Turns texts into L2-normalised float32 vectors of a fixed size.

    Subclasses set ``spec``, ``model_id`` and ``dim`` and implement :meth:`_embed`; the public
    methods check the input, batch, report progress and normalise the output.
    """

    spec: str
    """The configuration string the backend was made from, e.g. ``"e5-small-int4"``."""
    model_id: str
    """Stable id of the model and its weights; stored in the index manifest and cache keys."""
    dim: int
    """Vector size."""

    @abstractmethod
    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        """Embed a non-empty list of texts; returns an ``(len(texts), dim)`` array."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries: ``(n, dim)`` float32, rows L2-normalised."""
        items = check_texts(texts, "queries")
        if not items:
            return np.empty((0, self.dim), dtype=np.float32)
        return self._checked(self._embed(items, True), len(items))

    def embed_passages(
        self, texts: Sequence[str], *, batch_size: int = 16, progress: Progress = None
    ) -> np.ndarray:
        """Embed passages ``batch_size`` at a time: ``(n, dim)`` float32, rows L2-normalised.

        ``progress`` (a tqdm bar or a callable) is told how many texts each batch finished.
        """
        items = check_texts(texts, "passages")
        size = check_batch_size(batch_size)
        out = np.empty((len(items), self.dim), dtype=np.float32)
        for start in range(0, len(items), size):
            batch = items[start : start + size]
            out[start : start + len(batch)] = self._checked(self._embed(batch, False), len(batch))
            advance(progress, len(batch))
        return out

    def _checked(self, vectors: np.ndarray, n: int) -> np.ndarray:
        """``vectors`` normalised, after checking the shape the model gave back."""
        array = np.asarray(vectors)
        if array.shape != (n, self.dim):
            raise EmbeddingError(
                f"{self.spec}: model returned shape {array.shape}, expected ({n}, {self.dim})"
            )
        return normalise(array)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(spec={self.spec!r}, model_id={self.model_id!r}, dim={self.dim})"


def check_batch_size(batch_size: int) -> int:
    """``batch_size`` if it is a positive int, else an :class:`EmbeddingError`."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise EmbeddingError(f"batch_size must be a positive integer, got {batch_size!r}")
    return batch_size
