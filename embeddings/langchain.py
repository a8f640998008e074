"""LangChain ``Embeddings`` adapter over any :class:`EmbeddingBackend`."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from .base import EmbeddingBackend, EmbeddingError


class LangChainEmbeddings(Embeddings):
    """Use one of our backends wherever LangChain wants ``Embeddings`` (vector stores, retrievers).

    >>> from embeddings import create_backend, LangChainEmbeddings
    >>> lc = LangChainEmbeddings(create_backend("e5-small-int4"))
    """

    def __init__(self, backend: EmbeddingBackend, *, batch_size: int = 16) -> None:
        self.backend = backend
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector (list of floats) per text, embedded as passages."""
        return self.backend.embed_passages(texts, batch_size=self.batch_size).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The vector of one query."""
        if not isinstance(text, str):
            raise EmbeddingError(f"query must be a str, got {type(text).__name__}")
        return self.backend.embed_queries([text])[0].tolist()
