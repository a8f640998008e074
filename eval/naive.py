"""The ``naive`` baseline: a plain LangChain RAG pipeline, to show what each design choice adds.

Raw file text (no OCR cleaning, no article segmentation, no title/section headers), split by
``RecursiveCharacterTextSplitter`` (250 characters, overlap 50), dense retrieval only with the same
e5 model on the raw question (no BM25, no English->Chinese bridging of the query), and the same
extractive answerer as the product on the passages it retrieves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from rag.errors import InputError
from rag.models import Answer, Chunk, Passage
from rag.settings import Settings

if TYPE_CHECKING:
    import faiss

    from embeddings.base import EmbeddingBackend
    from rag.answering.base import Answerer
    from rag.crosslingual import Vocabulary
    from rag.glossary import Glossary

CHUNK_CHARS = 250
OVERLAP_CHARS = 50


@dataclass(frozen=True)
class NaiveIndex:
    """Chunks of the raw text and their vectors in a flat inner-product FAISS index."""

    chunks: tuple[Chunk, ...]
    faiss_index: "faiss.Index"
    vocabulary: "Vocabulary | None"


def split_raw(paths: Sequence[Path], *, chunk_size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[Chunk]:
    """Character chunks of the files' raw (uncleaned) text, with offsets into that text."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from rag.loading import find_files, load_document

    files, _warnings = find_files([Path(p) for p in paths])
    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=overlap, add_start_index=True)
    chunks: list[Chunk] = []
    for path in files:
        try:
            doc = load_document(path)
        except InputError:
            continue
        for i, piece in enumerate(splitter.create_documents([doc.raw_text])):
            start = int(piece.metadata["start_index"])
            text = piece.page_content
            chunks.append(
                Chunk(
                    chunk_id=f"naive:{doc.source}:{i}",
                    source=doc.source,
                    article_ordinal=0,
                    title="",
                    section="",
                    text=text,
                    start=start,
                    end=start + len(text),
                    n_tokens=0,
                )
            )
    return chunks


class NaivePipeline:
    """Offers the ``retrieve``/``ask`` part of :class:`rag.pipeline.Pipeline` that evaluators use."""

    def __init__(self, settings: Settings, corpus: Sequence[Path]) -> None:
        self.settings = settings
        self.corpus = [Path(p) for p in corpus]
        self._backend: "EmbeddingBackend | None" = None
        self._glossary: "Glossary | None" = None
        self._index: NaiveIndex | None = None
        self._answerer: "Answerer | None" = None

    @property
    def backend(self) -> "EmbeddingBackend":
        if self._backend is None:
            from rag.embedding import make_backend

            self._backend = make_backend(self.settings)  # shares the product's embedding cache
        return self._backend

    def build(self, progress=None) -> NaiveIndex:
        """Split and embed the corpus (cached embeddings make a rebuild cheap); idempotent."""
        if self._index is None:
            import faiss

            from rag.crosslingual import Vocabulary

            chunks = split_raw(self.corpus)
            if not chunks:
                raise InputError(f"No readable text in {', '.join(map(str, self.corpus))} for the naive baseline.")
            bar = progress(len(chunks), "naive: embedding chunks") if progress else None
            vectors = self.backend.embed_passages([c.text for c in chunks], progress=bar)
            if bar is not None and hasattr(bar, "close"):
                bar.close()
            index = faiss.IndexFlatIP(vectors.shape[1])
            index.add(vectors)
            vocabulary = Vocabulary.from_texts(c.text for c in chunks)
            self._index = NaiveIndex(tuple(chunks), index, vocabulary)
        return self._index

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        """Top ``k`` chunks by cosine similarity of e5 vectors of the raw question and chunk."""
        index = self.build()
        k = min(k or self.settings.k, len(index.chunks))
        vector = self.backend.embed_queries([question])
        scores, rows = index.faiss_index.search(vector, k)
        return [
            Passage(chunk=index.chunks[row], score=float(score), rank=rank, dense_rank=rank)
            for rank, (row, score) in enumerate(zip(rows[0], scores[0]), 1)
            if row >= 0
        ]

    def _context(self, question: str):
        """The same question reading the product's answerer gets (glossary + corpus vocabulary)."""
        from rag.crosslingual import bridge_query
        from rag.glossary import Glossary

        if self._glossary is None:
            self._glossary = Glossary.load_default()
        return tuple(bridge_query(question, self._glossary, self.build().vocabulary)), self.build().vocabulary

    def ask(self, question: str, *, mode: str | None = None, k: int | None = None) -> Answer:
        """Retrieve, then answer with the product's extractive answerer."""
        from rag.answering.extractive import ExtractiveAnswerer
        from rag.language import detect_language

        if mode not in (None, "extractive"):
            raise InputError(f"The naive baseline answers extractively only, not in mode {mode!r}.")
        if not isinstance(question, str) or not question.strip():
            raise InputError("The question is empty: type a question.")
        started = time.perf_counter()
        passages = self.retrieve(question, k)
        t_answer = time.perf_counter()
        if self._answerer is None:
            self._answerer = ExtractiveAnswerer(context=self._context)
        answer = self._answerer.answer(question, passages, language=detect_language(question))
        done = time.perf_counter()
        timings = {
            "retrieve": (t_answer - started) * 1000,
            "answer": (done - t_answer) * 1000,
            "total": (done - started) * 1000,
        }
        return replace(answer, timings_ms={**answer.timings_ms, **timings})
