"""Bridge from Settings to an embedding backend from the ``embeddings`` package."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import InputError, RagError
from .settings import Settings

if TYPE_CHECKING:
    from embeddings.base import EmbeddingBackend


def make_backend(settings: Settings) -> "EmbeddingBackend":
    """The configured backend, cached on disk under ``$RAG_HOME/cache``."""
    from embeddings.base import EmbeddingError, MissingExtraError
    from embeddings.factory import create_backend

    try:
        return create_backend(
            settings.embeddings, cache_dir=settings.home / "cache", num_threads=settings.embed_threads or None
        )
    except MissingExtraError as err:
        raise RagError(str(err)) from err
    except EmbeddingError as err:
        raise InputError(str(err)) from err
