"""FAISS backend: exact IndexFlatIP for small corpora; above ``VectorConfig.ann_threshold`` a
compressed approximate index (default 4-bit PQ fast-scan) whose candidates are re-ranked exactly
against ``vectors.npy`` (memory-mapped), with its search knobs tuned at build time until the
measured recall@10 against exact search reaches the target."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from .base import TUNE_TARGET, VectorConfig, VectorIndex, exact_top_k, probe_queries, recall_at_k

if TYPE_CHECKING:
    import faiss

FAISS_FILE = "faiss.index"
ADD_BLOCK = 65_536  # rows handed to faiss at a time (bounded copies out of a memmap)
TRAIN_ROWS = 65_536  # rows sampled to train quantisers
K_FACTORS = (4, 8, 16, 32, 64, 128)  # candidates per wanted hit, re-ranked exactly
NPROBE_LADDER = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)  # IVF lists searched
EF_LADDER = (32, 64, 128, 256, 512, 1024)  # HNSW efSearch


def factory_string(template: str, n: int, dim: int) -> str:
    """Fill ``{nlist}`` (about 4*sqrt(n)) and ``{pq_m}`` (dim/2 sub-quantisers) into a FAISS factory string."""
    nlist = int(max(16, min(65_536, 4 * np.sqrt(max(n, 1)))))
    pq_m = dim // 2 if dim % 2 == 0 else dim
    return template.format(nlist=nlist, pq_m=pq_m)


class FaissIndex(VectorIndex):
    """A loaded FAISS index; approximate ones re-rank ``k * k_factor`` candidates exactly."""

    def __init__(self, index: "faiss.Index", entry: dict, vectors: np.ndarray | None = None) -> None:
        self._index = index
        self.entry = entry
        self._vectors = vectors  # exact rows for re-ranking (memmap); None for a flat index
        self._k_factor = int(entry.get("k_factor", 1))

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        k = int(k)
        if self._vectors is None or self._k_factor <= 1:
            return self._index.search(q, k)
        _, candidates = self._index.search(q, min(k * self._k_factor, self.ntotal))
        scores = np.full((len(q), k), -np.inf, dtype=np.float32)
        rows = np.full((len(q), k), -1, dtype=np.int64)
        for i, cand in enumerate(candidates):
            cand = np.unique(cand[cand >= 0])  # sorted: sequential reads from the memmap
            exact = np.asarray(self._vectors[cand], dtype=np.float32) @ q[i]
            top = np.argsort(-exact, kind="stable")[:k]
            scores[i, : len(top)], rows[i, : len(top)] = exact[top], cand[top]
        return scores, rows

    def _set_knobs(self, knobs: dict) -> None:
        import faiss

        if "nprobe" in knobs:
            faiss.extract_index_ivf(self._index).nprobe = int(knobs["nprobe"])
        if "efSearch" in knobs:
            faiss.downcast_index(self._index).hnsw.efSearch = int(knobs["efSearch"])
        self._k_factor = int(knobs.get("k_factor", 1))

    # ------------------------------------------------------------- building
    @classmethod
    def build(cls, vectors: np.ndarray, config: VectorConfig) -> "FaissIndex":
        """Index ``vectors`` (rows L2-normalised; a memmap is fine)."""
        import faiss

        n, dim = vectors.shape
        started = time.perf_counter()
        if not config.use_ann(n):
            index = faiss.IndexFlatIP(dim)
            _add(index, vectors)
            return cls(index, {"backend": "faiss", "type": "flat", "file": FAISS_FILE,
                               "ann_threshold": config.ann_threshold})
        spec = factory_string(config.ann_factory, n, dim)
        index = faiss.index_factory(dim, spec, faiss.METRIC_INNER_PRODUCT)
        if "HNSW" in spec:
            faiss.downcast_index(index).hnsw.efConstruction = config.hnsw_ef_construction
        if not index.is_trained:
            rng = np.random.default_rng(0)
            sample = np.sort(rng.choice(n, size=min(n, TRAIN_ROWS), replace=False))
            with omp_threads(1):  # k-means on a small sample: OpenMP spinning costs more than it saves
                index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
        _add(index, vectors)
        built = cls(index, {}, vectors)
        knobs, recall = built.tune(vectors)
        built.entry = {
            "backend": "faiss",
            "type": "ann",
            "factory": spec,
            "file": FAISS_FILE,
            "ann_threshold": config.ann_threshold,
            **knobs,
            "recall_at_10": round(recall, 4),
            "recall_target": TUNE_TARGET,
            "build_seconds": round(time.perf_counter() - started, 2),
        }
        return built

    def tune(self, vectors: np.ndarray, target: float = TUNE_TARGET) -> tuple[dict, float]:
        """The cheapest knobs (IVF nprobe / HNSW efSearch, then re-rank factor) whose recall@10,
        measured on probe queries against exact search, reaches ``target`` (else the most thorough)."""
        import faiss

        queries = probe_queries(vectors)
        exact = exact_top_k(vectors, queries, 10)
        name, ladder = None, (None,)
        if "IVF" in self.entry.get("factory", "") or _is_ivf(self._index):
            nlist = faiss.extract_index_ivf(self._index).nlist
            name, ladder = "nprobe", tuple(p for p in NPROBE_LADDER if p < nlist) + (nlist,)
        elif isinstance(faiss.downcast_index(self._index), faiss.IndexHNSW):
            name, ladder = "efSearch", EF_LADDER
        best: tuple[dict, float] = ({}, -1.0)
        for value in ladder:
            for k_factor in K_FACTORS:
                knobs = {"k_factor": k_factor, **({name: value} if name else {})}
                self._set_knobs(knobs)
                recall = recall_at_k(self.search(queries, 10)[1], exact, 10)
                if recall > best[1]:
                    best = (knobs, recall)
                if recall >= target:
                    return knobs, recall
        self._set_knobs(best[0])
        return best

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    # ------------------------------------------------------------- loading
    @classmethod
    def load(cls, gen_dir: Path, entry: dict, vectors_path: Path, *, trusted: bool) -> "FaissIndex":
        """Read ``faiss.index`` when its checksum was verified; else rebuild a flat index from vectors.

        An approximate index is always read (rebuilding it takes minutes), so callers verify it first.
        """
        import faiss

        vectors = np.load(vectors_path, allow_pickle=False, mmap_mode="r")
        if vectors.dtype != np.float32 or vectors.ndim != 2:
            raise ValueError(f"{vectors_path} holds {vectors.dtype} {vectors.shape}, expected float32 rows")
        if entry.get("type", "flat") == "flat":
            if trusted:
                index = faiss.read_index(str(Path(gen_dir) / entry.get("file", FAISS_FILE)))
            else:
                index = faiss.IndexFlatIP(vectors.shape[1])
                _add(index, vectors)
            return cls(index, entry)
        index = faiss.read_index(str(Path(gen_dir) / entry.get("file", FAISS_FILE)))
        loaded = cls(index, entry, vectors)
        loaded._set_knobs(entry)
        return loaded


@contextmanager
def omp_threads(n: int) -> Iterator[None]:
    """Run FAISS with ``n`` OpenMP threads inside the block."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _is_ivf(index: "faiss.Index") -> bool:
    import faiss

    try:
        faiss.extract_index_ivf(index)
    except RuntimeError:
        return False
    return True


def _add(index: "faiss.Index", vectors: np.ndarray) -> None:
    for start in range(0, len(vectors), ADD_BLOCK):
        index.add(np.ascontiguousarray(vectors[start : start + ADD_BLOCK], dtype=np.float32))
