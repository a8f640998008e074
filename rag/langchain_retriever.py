"""LangChain adapter: our hybrid retrieval as a ``BaseRetriever`` (kept apart so plain
``rag ask`` never imports LangChain)."""

from __future__ import annotations

from typing import Any, Callable

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .models import Passage


class NewsRetriever(BaseRetriever):
    """LangChain ``BaseRetriever`` over the pipeline, so our retrieval plugs into any chain."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: Callable[[str, int], list[Passage]]
    k: int = 5

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        return [passage_to_document(p) for p in self.search(query, self.k)]


def passage_to_document(passage: Passage) -> LCDocument:
    """A LangChain Document whose metadata carries everything a citation needs."""
    chunk = passage.chunk
    metadata: dict[str, Any] = {
        "source": chunk.source,
        "article_ordinal": chunk.article_ordinal,
        "title": chunk.title,
        "section": chunk.section,
        "start": chunk.start,
        "end": chunk.end,
        "chunk_id": chunk.chunk_id,
        "score": passage.score,
        "rank": passage.rank,
    }
    return LCDocument(page_content=chunk.text, metadata=metadata, id=chunk.chunk_id)
