"""LangChain ``Embeddings`` over our local embedding models (offline, CPU, no API key)."""

from __future__ import annotations

from pathlib import Path

from langchain_core.embeddings import Embeddings

from .base import EmbeddingBackend, EmbeddingError, check_batch_size, check_texts
from .factory import E5_SPEC, VALID_FORMS, create_backend


class LocalEmbeddings(Embeddings):
    """Our local embedding models wherever LangChain wants ``Embeddings`` (vector stores,
    retrievers, ``langchain_tests``).

    ``model`` is a backend string, as in ``--embeddings`` / ``RAG_EMBEDDINGS``:
    ``"e5-small-int4"`` (the default: multilingual e5-small, 4-bit, no torch) or
    ``"sentence-transformers:<model name or local folder>"`` (the ``st`` extra). An
    :class:`~embeddings.base.EmbeddingBackend` that is already built is accepted too.
    With ``cache_dir``, vectors are kept in the on-disk embedding cache there.

    >>> from embeddings import LocalEmbeddings
    >>> embeddings = LocalEmbeddings()                          # e5-small-int4
    >>> embeddings = LocalEmbeddings(model="e5-small-int4", cache_dir="/tmp/emb-cache")
    >>> len(embeddings.embed_query("How many social work stations are in Inner Mongolia?"))
    384

    Documents are embedded as passages and queries as queries (e5 uses different prefixes), so
    ``embed_query(t)`` and ``embed_documents([t])[0]`` differ on purpose. Vectors are
    L2-normalised, so a dot product is the cosine similarity.
    """

    def __init__(
        self,
        model: str | EmbeddingBackend = E5_SPEC,
        *,
        cache_dir: str | Path | None = None,
        batch_size: int = 16,
    ) -> None:
        self.batch_size = check_batch_size(batch_size)
        if isinstance(model, EmbeddingBackend):
            if cache_dir is not None:
                raise EmbeddingError(
                    "cache_dir applies to a backend string only; pass model='<backend string>' with "
                    "cache_dir, or wrap your backend in embeddings.CachedBackend yourself"
                )
            self.backend = model
        elif isinstance(model, str):
            if not model.strip():
                raise EmbeddingError(
                    f"model is empty; use one of {', '.join(VALID_FORMS)} (or leave it out for {E5_SPEC!r})"
                )
            self.backend = create_backend(model, cache_dir=Path(cache_dir) if cache_dir is not None else None)
        else:
            raise EmbeddingError(
                f"model must be a backend string such as {E5_SPEC!r} or an EmbeddingBackend, "
                f"got {type(model).__name__}: {model!r:.60}"
            )
        self.model = self.backend.spec
        """The backend string, e.g. ``"e5-small-int4"``."""

    @property
    def dim(self) -> int:
        """Vector size (384 for e5-small-int4)."""
        return self.backend.dim

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector (list of floats) per text, embedded as passages."""
        return self._embed_documents(check_texts(texts, "texts"))

    def _embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.backend.embed_passages(texts, batch_size=self.batch_size).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The vector of one query."""
        if not isinstance(text, str):
            raise EmbeddingError(f"query must be a str, got {type(text).__name__}: {text!r:.60}")
        return self._embed_query(text)

    def _embed_query(self, text: str) -> list[float]:
        return self.backend.embed_queries([text])[0].tolist()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, dim={self.dim})"


#: The earlier name, kept so existing code keeps working.
LangChainEmbeddings = LocalEmbeddings
