"""Embedding backends: a base class, a factory by config string, the default e5 model, a cache.

Importing this package loads only numpy; models, torch and langchain load when used.
"""

from __future__ import annotations

from typing import Any

from .base import EmbeddingBackend, EmbeddingError, MissingExtraError
from .factory import create_backend

__all__ = [
    "CachedBackend",
    "EmbeddingBackend",
    "EmbeddingCache",
    "EmbeddingError",
    "LangChainEmbeddings",
    "LocalEmbeddings",
    "MissingExtraError",
    "create_backend",
]

_LAZY = {
    "CachedBackend": "cache",
    "EmbeddingCache": "cache",
    "LangChainEmbeddings": "langchain",
    "LocalEmbeddings": "langchain",
}


def __getattr__(name: str) -> Any:
    """Import the cache and the LangChain adapter only when asked for."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
