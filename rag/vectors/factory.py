"""Build, open and clean up vector indexes by backend name ("faiss" or "milvus")."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import IndexMismatchError
from .base import VectorConfig, VectorIndex

REBUILD_HINT = "Re-index with: rag ingest --rebuild (embeddings are cached, so it is quick)"


def build_index(
    config: VectorConfig, vectors: np.ndarray, out_dir: Path, *, index_dir: Path, generation: int
) -> tuple[VectorIndex, dict]:
    """Index ``vectors`` for a new generation written to ``out_dir``; returns it and its manifest entry."""
    if config.kind == "milvus":
        from .milvus_index import MilvusIndex

        index: VectorIndex = MilvusIndex.build(vectors, config, index_dir=index_dir, generation=generation)
        return index, index.entry
    from .faiss_index import FaissIndex

    faiss_index = FaissIndex.build(vectors, config)
    faiss_index.save(Path(out_dir) / faiss_index.entry["file"])
    return faiss_index, faiss_index.entry


def manifest_entry(manifest: dict) -> dict:
    """The manifest's "vectors" entry (generations written before it existed hold a flat FAISS index)."""
    return manifest.get("vectors") or {"backend": "faiss", "type": "flat", "file": "faiss.index"}


def open_index(
    manifest: dict, gen_dir: Path, config: VectorConfig | None, *, trusted: bool
) -> VectorIndex:
    """Open the vector index a generation names; ``config`` must ask for the same backend."""
    entry = manifest_entry(manifest)
    backend = entry.get("backend", "faiss")
    if config is not None and config.kind != backend:
        raise IndexMismatchError(
            f"The index at {Path(gen_dir).parent} keeps its vectors in {backend}, but the settings ask for "
            f"{config.kind} (RAG_VECTOR_STORE). {REBUILD_HINT}, or set RAG_VECTOR_STORE={backend}."
        )
    n, dim = int(manifest["counts"]["chunks"]), int(manifest["dim"])
    if backend == "milvus":
        from .milvus_index import MilvusIndex

        return MilvusIndex.load(entry, n, dim, config or VectorConfig(kind="milvus"))
    from .faiss_index import FaissIndex

    return FaissIndex.load(gen_dir, entry, Path(gen_dir) / "vectors.npy", trusted=trusted)


def drop_unused(index_dir: Path, manifests: list[dict], config: VectorConfig) -> list[str]:
    """Drop server-side data (Milvus collections) of this index that no kept manifest names."""
    uris = {config.milvus_uri} | {manifest_entry(m).get("uri") for m in manifests}
    keep = {manifest_entry(m).get("collection") for m in manifests} - {None}
    if config.kind != "milvus" and not any(manifest_entry(m).get("backend") == "milvus" for m in manifests):
        return []
    from .milvus_index import drop_collections

    dropped: list[str] = []
    for uri in uris - {None}:
        dropped += drop_collections(uri, index_dir, keep)
    return dropped
