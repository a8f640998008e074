"""The vector-index interface, its configuration and its error."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import RagError

if TYPE_CHECKING:
    from ..settings import Settings

KINDS = ("faiss", "milvus")
#: recall@10 against exact search that an approximate index is tuned to reach at build time
RECALL_TARGET = 0.95


class VectorStoreError(RagError):
    """A vector backend is unreachable, misconfigured or lacks data the manifest names."""


@dataclass(frozen=True)
class VectorConfig:
    """How dense vectors are indexed: backend, when to go approximate, and its parameters."""

    kind: str = "faiss"
    ann_threshold: int = 50_000  # below: exact (flat) search; at or above: HNSW
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 64  # starting point; raised at build time until recall >= RECALL_TARGET
    milvus_uri: str | None = None
    milvus_batch: int = 10_000  # rows per insert request

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise VectorStoreError(f"Unknown vector store {self.kind!r}: use one of {', '.join(KINDS)}.")
        if self.ann_threshold < 1:
            raise VectorStoreError(f"ann_threshold={self.ann_threshold} must be at least 1.")

    @classmethod
    def from_settings(cls, settings: "Settings") -> "VectorConfig":
        return cls(kind=settings.vector_store, milvus_uri=settings.milvus_uri)

    def use_ann(self, n: int) -> bool:
        return n >= self.ann_threshold


class VectorIndex(ABC):
    """Top-k inner-product search over L2-normalised float32 vectors; row i is chunk row i."""

    #: JSON-able description saved in the manifest under "vectors"
    entry: dict

    @property
    @abstractmethod
    def ntotal(self) -> int:
        """Number of vectors searchable."""

    @abstractmethod
    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, rows)``, each ``(len(queries), k)``; missing hits have row -1."""

    def close(self) -> None:
        """Release connections (no-op for in-process indexes)."""


def recall_at_k(found: np.ndarray, exact: np.ndarray, k: int = 10) -> float:
    """Mean share of the exact top ``k`` rows that ``found`` also returned."""
    hits = [len(set(f[:k].tolist()) & set(e[:k].tolist()) - {-1}) for f, e in zip(found, exact)]
    return float(np.mean(hits) / k) if hits else 1.0


def probe_queries(vectors: np.ndarray, n: int = 200, seed: int = 0) -> np.ndarray:
    """Queries near stored vectors (a stored row plus noise), for measuring recall at build time."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(vectors), size=min(n, len(vectors)), replace=False))
    base = np.asarray(vectors[rows], dtype=np.float32)
    noisy = base + rng.standard_normal(base.shape, dtype=np.float32) * (0.5 / np.sqrt(base.shape[1]))
    return np.ascontiguousarray(noisy / np.linalg.norm(noisy, axis=1, keepdims=True), dtype=np.float32)


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int, block: int = 100_000) -> np.ndarray:
    """Exact top-``k`` rows by inner product, streaming ``vectors`` (works on a memmap)."""
    best_s = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_r = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), block):
        part = np.asarray(vectors[start : start + block], dtype=np.float32)
        scores = queries @ part.T
        s = np.concatenate([best_s, scores], axis=1)
        r = np.concatenate([best_r, np.broadcast_to(np.arange(start, start + len(part)), scores.shape)], axis=1)
        keep = np.argsort(-s, axis=1, kind="stable")[:, :k]
        best_s, best_r = np.take_along_axis(s, keep, 1), np.take_along_axis(r, keep, 1)
    return best_r
