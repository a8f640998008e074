"""Dense-vector index backends (FAISS flat/HNSW, Milvus) behind one small interface."""

from .base import VectorConfig, VectorIndex, VectorStoreError
from .factory import build_index, drop_unused, open_index

__all__ = ["VectorConfig", "VectorIndex", "VectorStoreError", "build_index", "drop_unused", "open_index"]
