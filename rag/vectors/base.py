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
#: recall@10 against exact search promised for approximate indexes
RECALL_TARGET = 0.95
#: what build-time tuning aims for on its probe queries (a margin over RECALL_TARGET)
TUNE_TARGET = 0.97


class VectorStoreError(RagError):
    """A vector backend is unreachable, misconfigured or lacks data the manifest names."""


@dataclass(frozen=True)
class VectorConfig:
    """How dense vectors are indexed: backend, when to go approximate, and its parameters."""

    kind: str = "faiss"
    ann_threshold: int = 50_000  # below: exact (flat) search; at or above: approximate
    #: FAISS factory string of the approximate index; {pq_m} = dim/2, {nlist} ~ 4*sqrt(n).
    #: 4-bit PQ fast-scan + exact re-rank holds recall on any data (random vectors included);
    #: "IVF{nlist},PQ{pq_m}x4fs" or "HNSW32" are faster on clustered data (knobs tuned either way).
    ann_factory: str = "PQ{pq_m}x4fs"
    hnsw_ef_construction: int = 80  # when ann_factory names HNSW
    milvus_uri: str | None = None
    milvus_batch: int = 10_000  # rows per insert request
    milvus_consistency: str = "Bounded"  # searches (collections are immutable once built)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise VectorStoreError(f"Unknown vector store {self.kind!r}: use one of {', '.join(KINDS)}.")
        if self.ann_threshold < 1:
            raise VectorStoreError(f"ann_threshold={self.ann_threshold} must be at least 1.")

    @classmethod
    def from_settings(cls, settings: "Settings") -> "VectorConfig":
        return cls(
            kind=settings.vector_store,
            milvus_uri=settings.milvus_uri,
            ann_threshold=getattr(settings, "ann_threshold", cls.ann_threshold),
        )

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

    def count(self) -> int:
        """Vectors actually stored (asks the server for remote backends)."""
        return self.ntotal

    def close(self) -> None:
        """Release connections (no-op for in-process indexes)."""


def recall_at_k(found: np.ndarray, exact: np.ndarray, k: int = 10) -> float:
    """Mean share of the exact top ``k`` rows that ``found`` also returned."""
    hits = [len(set(f[:k].tolist()) & set(e[:k].tolist()) - {-1}) for f, e in zip(found, exact)]
    return float(np.mean(hits) / k) if hits else 1.0


def probe_queries(vectors: np.ndarray, n: int = 300, seed: int = 0) -> np.ndarray:
    """Queries for measuring recall at build time, a third each: stored rows plus noise, blends of
    two stored rows plus noise (no single clear winner), and random directions (the hardest)."""
    rng = np.random.default_rng(seed)
    n = min(n, len(vectors))
    dim = vectors.shape[1]
    a = np.asarray(vectors[np.sort(rng.choice(len(vectors), size=n, replace=False))], dtype=np.float32)
    b = np.asarray(vectors[np.sort(rng.choice(len(vectors), size=n, replace=False))], dtype=np.float32)
    third = n // 3
    noise = rng.standard_normal(a.shape, dtype=np.float32) / np.float32(np.sqrt(dim))
    queries = np.concatenate([
        a[:third] + 0.5 * noise[:third],
        a[third : 2 * third] + b[third : 2 * third] + noise[third : 2 * third],
        noise[2 * third :],
    ])
    norms = np.linalg.norm(queries, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(queries / norms, dtype=np.float32)


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int, block: int = 100_000) -> np.ndarray:
    """Exact top-``k`` rows by inner product, streaming ``vectors`` (works on a memmap)."""
    best_s = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_r = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), block):
        part = np.asarray(vectors[start : start + block], dtype=np.float32)
        scores = queries @ part.T
        s = np.concatenate([best_s, scores], axis=1)
        r = np.concatenate([best_r, np.broadcast_to(np.arange(start, start + len(part)), scores.shape)], axis=1)
        top = np.argpartition(-s, min(k, s.shape[1]) - 1, axis=1)[:, :k]
        best_s, best_r = np.take_along_axis(s, top, 1), np.take_along_axis(r, top, 1)
    order = np.argsort(-best_s, axis=1, kind="stable")
    return np.take_along_axis(best_r, order, 1)
