"""LangChain adapter: our hybrid retrieval as a ``BaseRetriever`` (kept apart so plain
``rag ask`` never imports LangChain)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, field_validator, model_validator

from .errors import InputError
from .models import Passage

if TYPE_CHECKING:
    from .pipeline import Pipeline

K_RANGE = (1, 50)  # the same bounds as the ``k`` setting


def check_k(k: object) -> int:
    """``k`` if it is an int in 1..50, else an :class:`InputError` naming the value."""
    low, high = K_RANGE
    if isinstance(k, bool) or not isinstance(k, int):
        raise InputError(f"k={k!r} is not a whole number: pass k as an int from {low} to {high} (passages per query).")
    if not low <= k <= high:
        raise InputError(f"k={k} is out of range: use {low}..{high} (passages per query).")
    return k


class NewsRetriever(BaseRetriever):
    """Our hybrid retrieval (dense e5 + BM25 with English->Chinese bridging, fused by reciprocal
    rank) as a LangChain ``BaseRetriever``.

    Build it from an index directory (``RAG_HOME``, where ``rag ingest`` wrote the index), or
    take ``Pipeline.retriever``::

        retriever = NewsRetriever(home="~/.local/share/bilingual-news-rag", k=3)
        retriever = NewsRetriever.from_home(home, k=3, embeddings="e5-small-int4")  # + settings
        docs = retriever.invoke("How many social work stations are there in Inner Mongolia?")
        docs = retriever.invoke("内蒙古已建成多少个社工站？", k=1)                   # k per call

    ``k`` (1..50) is the number of documents returned; a ``k`` passed to ``invoke`` overrides
    it for that call. Each document's ``page_content`` is the passage text, ``id`` its chunk id,
    and its ``metadata`` holds:

    - ``source``, ``title``, ``section``, ``article_ordinal``: the file, the article's title and
      section, and the article's position in the file;
    - ``start``, ``end``: the passage's character offsets in the cleaned article;
    - ``chunk_id``: a stable id of the passage;
    - ``rank``: 1 for the best passage, 2 for the next...;
    - ``score``: the fused reciprocal-rank score, ``sum(1 / (60 + rank))`` over the dense and
      the BM25 lists (about 0.03 at best): it orders the passages of one query and says nothing
      about relevance across queries;
    - ``dense_score``: the cosine similarity of the question and the passage embeddings (-1..1,
      higher is closer; e5 puts nearly all pairs between 0.8 and 0.95, so compare it within one
      query rather than against a fixed threshold), or None when the passage came from BM25 alone;
    - ``dense_rank``, ``bm25_rank``: the passage's rank (1 = best) in the dense and in the BM25
      candidate lists (the top ``candidates`` setting of each, 30 by default), or None when it
      was not among that list's candidates.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    pipeline: Any = Field(default=None, exclude=True, repr=False, validate_default=True)
    """The :class:`rag.pipeline.Pipeline` searched (typed Any so that pydantic never copies it)."""
    k: int = 5
    """Documents returned per query (1..50); ``invoke(query, k=...)`` overrides it for one call."""

    @model_validator(mode="before")
    @classmethod
    def _pipeline_from_home(cls, data: Any) -> Any:
        if isinstance(data, dict) and "home" in data:
            data = dict(data)
            home = data.pop("home")
            if data.get("pipeline") is not None:
                raise InputError("NewsRetriever takes home= or pipeline=, not both: pass one of them.")
            data["pipeline"] = _open_pipeline(home)
        return data

    @field_validator("k", mode="before")
    @classmethod
    def _check_k(cls, value: Any) -> int:
        return check_k(value)

    @field_validator("pipeline")
    @classmethod
    def _check_pipeline(cls, value: Any) -> Any:
        if value is None or not callable(getattr(value, "retrieve", None)):
            raise InputError(
                f"NewsRetriever needs home=<index directory> or pipeline=<rag.pipeline.Pipeline>, "
                f"got pipeline={value!r:.60}."
            )
        return value

    @classmethod
    def from_home(cls, home: str | Path, *, k: int | None = None, **settings: Any) -> "NewsRetriever":
        """A retriever over the index in ``home``; ``settings`` are :class:`rag.settings.Settings`
        fields (e.g. ``embeddings=``, ``retrieval="dense"``) resolved like command-line flags
        (over ``RAG_*`` variables and ``home/config.toml``). ``k`` defaults to the ``k`` setting."""
        pipeline = _open_pipeline(home, **settings)
        return cls(pipeline=pipeline, k=pipeline.settings.k if k is None else k)

    @classmethod
    def from_pipeline(cls, pipeline: "Pipeline") -> "NewsRetriever":
        """A retriever over an open pipeline, returning its ``k`` setting's number of documents."""
        return cls(pipeline=pipeline, k=pipeline.settings.k)

    def question_context(self, question: str) -> Any:
        """The question's English->Chinese term groups and the corpus vocabulary, which the
        answerers' checks need (:func:`rag.chain.build_chain` passes them on)."""
        return self.pipeline.question_context(question)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[LCDocument]:
        return self._search(query, self.k if k is None else check_k(k))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[LCDocument]:
        from langchain_core.runnables.config import run_in_executor

        return await run_in_executor(None, self._search, query, self.k if k is None else check_k(k))

    def _search(self, query: str, k: int) -> list[LCDocument]:
        return [passage_to_document(p) for p in self.pipeline.retrieve(query, k)]


def _open_pipeline(home: str | Path, **settings: Any) -> "Pipeline":
    """A pipeline over the index in ``home``, failing now (not at the first query) when none is there."""
    from .pipeline import Pipeline
    from .settings import load_settings

    if home is None or not str(home).strip():
        raise InputError("home is empty: pass the index directory (RAG_HOME), e.g. home='~/.local/share/bilingual-news-rag'.")
    pipeline = Pipeline(load_settings({**settings, "home": home}))
    pipeline.store()  # IndexMissingError / IndexMismatchError with the command that fixes it
    return pipeline


def passage_to_document(passage: Passage) -> LCDocument:
    """A LangChain Document whose metadata carries everything a citation needs (see
    :class:`NewsRetriever` for what each key means)."""
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
        "dense_score": passage.dense_score,
        "dense_rank": passage.dense_rank,
        "bm25_rank": passage.lexical_rank,
    }
    return LCDocument(page_content=chunk.text, metadata=metadata, id=chunk.chunk_id)
