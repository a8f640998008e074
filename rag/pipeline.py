"""The one object that owns an open index: ingest, remove, retrieve, ask."""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from .errors import IndexMissingError, InputError, RagError
from .models import Answer, Article, Chunk, Passage
from .settings import Settings

if TYPE_CHECKING:
    from embeddings.base import EmbeddingBackend

    from .answering.base import Answerer
    from .crosslingual import Vocabulary
    from .glossary import Glossary
    from .langchain_retriever import NewsRetriever
    from .retrieval import HybridRetriever, QueryAnalysis
    from .store import IndexStore, IndexWriter


def bundled_corpus_dir() -> Path:
    """The sample pages shipped inside the package (the default corpus)."""
    return Path(str(resources.files("rag") / "data" / "corpus"))


def _file_size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


@dataclass
class IngestReport:
    """What one ingest did, for the CLI/UI to print."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # with prune=True: files gone from disk
    skipped: list[str] = field(default_factory=list)  # warnings naming the file and why
    chunks_embedded: int = 0
    total_chunks: int = 0
    generation: int | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            + (f"{len(self.removed)} removed, " if self.removed else "")
            + f"{len(self.skipped)} skipped; {self.chunks_embedded} chunks embedded, "
            f"{self.total_chunks} in the index ({self.seconds:.1f} s)"
        )


ProgressFactory = Callable[[int, str], object]  # (total, description) -> tqdm-like bar
EMBED_GROUP = 4096  # chunks embedded per group during ingest (bounds the vectors held in flight)


class Pipeline:
    """Loads lazily, reloads when another process commits a new index generation, thread-safe."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()  # short: component caches only, never held across an index write
        self._write_lock = threading.Lock()  # one ingest/remove at a time in this process
        self._open_lock = threading.Lock()  # one thread opens a newly committed generation
        self._backend: "EmbeddingBackend | None" = None
        # a server sets this: writes then embed with an engine of their own, so a question's
        # embedding never queues behind an ingest batch (the engine serialises its calls)
        self.separate_write_backend = False
        self._write_backend: "EmbeddingBackend | None" = None
        self._glossary: "Glossary | None" = None
        self._store: "IndexStore | None" = None
        self._vocabulary: "Vocabulary | None" = None
        self._vocabulary_of: tuple[tuple[str, ...], "Vocabulary | None"] = ((), None)  # segments -> merged
        self._answerers: dict[str, "Answerer"] = {}
        self._last_analysis: tuple | None = None

    # ----------------------------------------------------------------- components
    @property
    def backend(self) -> "EmbeddingBackend":
        with self._lock:
            if self._backend is None:
                from .embedding import make_backend

                self._backend = make_backend(self.settings)
            return self._backend

    def write_backend(self) -> "EmbeddingBackend":
        """The backend ingests embed with: :attr:`backend`, or (``separate_write_backend``) a
        second instance of the same model, loaded on the first write."""
        if not self.separate_write_backend:
            return self.backend
        with self._lock:
            if self._write_backend is None:
                from .embedding import make_backend

                self._write_backend = make_backend(self.settings)
            return self._write_backend

    @property
    def glossary(self) -> "Glossary":
        with self._lock:
            if self._glossary is None:
                from .glossary import Glossary

                glossary = Glossary.load_default()
                user = Path(self.settings.home) / "glossary.tsv"
                if user.is_file():  # the user's own domain terms, merged over the shipped ones
                    glossary = glossary.merged(Glossary.from_file(user))
                self._glossary = glossary
            return self._glossary

    def expected_shape(self) -> dict:
        return {**self.settings.index_shape(), "model_id": self.backend.model_id, "dim": self.backend.dim}

    def store(self, *, wait: bool = False) -> "IndexStore":
        """The current index generation; reopened when a newer one was committed.

        Never waits on a writer: while one thread opens a newly committed generation, the others
        keep answering from the generation they have (``wait``: block until it is open).
        """
        from .store import current_generation

        generation = current_generation(self.settings.index_dir)
        if generation is None:
            self._store = None
            raise IndexMissingError(
                f"No index at {self.settings.index_dir}. Build one with: rag ingest PATH "
                f"(or run `rag ask` once to index the bundled sample corpus)."
            )
        current = self._store
        if current is not None and current.generation == generation:
            return current
        if current is not None and not self._open_lock.acquire(blocking=wait):
            return current  # another thread is opening the new generation: answer from this one
        if current is None:
            self._open_lock.acquire()
        try:
            current = self._store
            if current is None or current.generation != generation:
                current = self._open_store()
            return current
        finally:
            self._open_lock.release()

    def _open_store(self) -> "IndexStore":
        from .store import IndexStore
        from .vectors import VectorConfig

        store = IndexStore.open(
            self.settings.index_dir, expect=self.expected_shape(), vectors=VectorConfig.from_settings(self.settings),
            reuse=self._store,  # unchanged segments are shared, not reread
        ).warm()  # pooled small segments built here, while other threads answer from the old store
        vocabulary = self._merged_vocabulary(store)
        with self._lock:
            self._vocabulary = vocabulary
            self._store = store
        return store

    def _merged_vocabulary(self, store: "IndexStore") -> "Vocabulary | None":
        """The vocabulary of every segment, merged; after a commit that only added segments (or
        only tombstones) the previous merge is extended instead of redone."""
        from .crosslingual import Vocabulary

        names = tuple(seg.name for seg in store.segments)
        previous, merged = self._vocabulary_of
        if previous == names:
            return merged
        if previous and merged is not None and set(previous) <= set(names):
            fresh = [seg.vocabulary_json() for seg in store.segments if seg.name not in previous]
            parts = [merged] + [Vocabulary.from_json(v) for v in fresh if v]
        else:
            parts = [Vocabulary.from_json(v) for v in store.vocabularies()]
        vocabulary = Vocabulary.merge(parts) if parts else None
        self._vocabulary_of = (names, vocabulary)
        return vocabulary

    def ensure_index(self, progress: ProgressFactory | None = None) -> "IndexStore":
        """Open the index, building it from the bundled sample corpus the first time."""
        from .store import current_generation

        if current_generation(self.settings.index_dir) is None:
            self.ingest([bundled_corpus_dir()], progress=progress)
        return self.store()

    def answerer(self, mode: str) -> "Answerer":
        with self._lock:
            if mode not in self._answerers:
                from .answering.factory import create_answerer

                self._answerers[mode] = create_answerer(mode, self)
            return self._answerers[mode]

    # ----------------------------------------------------------------- writing
    def ingest(
        self,
        paths: Iterable[Path | str],
        *,
        rebuild: bool = False,
        progress: ProgressFactory | None = None,
        prune: bool = False,
        embed_batch: int = 16,
    ) -> IngestReport:
        """Add new and changed files (folders are walked); unchanged files cost nothing.

        Streams: files are read, segmented and chunked a group at a time (the next group is
        prepared in a thread while this one is embedded), and the writer writes a segment every
        ``flush_chunks`` chunks, so memory stays bounded however large the ingest. Embeddings are
        cached after every batch, so an interrupted ingest resumes where it stopped; with
        ``prune``, indexed files that were under the given paths but are gone are dropped.
        Readers are never blocked; a smaller ``embed_batch`` lets their question embeddings in sooner.
        """
        from concurrent.futures import ThreadPoolExecutor

        from .loading import find_files

        started = time.perf_counter()
        report = IngestReport()
        files, warnings = find_files([Path(p) for p in paths])
        report.skipped.extend(warnings)
        backend = self.write_backend()
        with self._write_lock, self._writer(rebuild=rebuild) as writer:
            seen: dict[str, str] = {}
            sizes = [_file_size(f) for f in files]
            total_bytes = max(1, sum(sizes))
            bar = None
            done_bytes, found_chunks = 0, 0
            groups = self._prepared_groups(files, sizes, writer, seen, report)
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rag-ingest-prepare") as pool:
                future = pool.submit(next, groups, None)
                while True:
                    item = future.result()
                    if item is None:
                        break
                    future = pool.submit(next, groups, None)  # the next group is read while this one embeds
                    group, group_bytes = item
                    done_bytes += group_bytes
                    found_chunks += sum(len(chunks) for *_, chunks in group)
                    if progress is not None and group:
                        # the total is an estimate (chunks per byte so far) until every file is read
                        estimate = max(found_chunks, round(found_chunks * total_bytes / max(1, done_bytes)))
                        if bar is None:
                            bar = progress(estimate, "Embedding chunks")
                        elif hasattr(bar, "total"):
                            bar.total = estimate
                            if hasattr(bar, "refresh"):
                                bar.refresh()
                    texts = [c.indexed_text for *_, chunks in group for c in chunks]
                    vectors = backend.embed_passages(texts, progress=bar, batch_size=embed_batch) if texts else None
                    offset = 0
                    for source, path, sha, articles, chunks in group:
                        writer.add_file(source, path, sha, articles, chunks, vectors[offset : offset + len(chunks)])
                        offset += len(chunks)
                    report.chunks_embedded += len(texts)
            if bar is not None and hasattr(bar, "close"):
                if hasattr(bar, "total") and hasattr(bar, "n"):
                    bar.total = bar.n
                bar.close()
            if prune:
                report.removed = writer.prune_missing([Path(p) for p in paths], keep=set(seen))
            if report.chunks_embedded or report.removed or rebuild or writer.is_new:
                report.generation = writer.commit()
                merged = writer.maybe_merge()
                report.generation = merged[-1] if merged else report.generation
        store = self.store(wait=True)
        report.total_chunks = len(store)
        report.seconds = time.perf_counter() - started
        return report

    def _writer(self, *, rebuild: bool = False) -> "IndexWriter":
        """The index writer with this pipeline's settings (vector backend, merges, vocabulary)."""
        from .crosslingual import Vocabulary
        from .store import IndexWriter
        from .vectors import VectorConfig

        backend = self.backend
        return IndexWriter(
            self.settings.index_dir,
            shape=self.settings.index_shape(),
            model_id=backend.model_id,
            dim=backend.dim,
            rebuild=rebuild,
            vectors=VectorConfig.from_settings(self.settings),
            merge_policy=self.settings.merge_policy(),
            merge_vocabularies=Vocabulary.merge_json,
            vocabulary_builder=lambda texts: Vocabulary.from_texts(texts).to_json(),
        )

    def _prepared_groups(
        self, files: list[Path], sizes: list[int], writer: "IndexWriter", seen: dict[str, str], report: IngestReport
    ) -> Iterator[tuple[list[tuple[str, str, str, list[Article], list[Chunk]]], int]]:
        """Files read, segmented and chunked, about ``EMBED_GROUP`` chunks per group (with the
        bytes of the files the group covers); unchanged, duplicate and unreadable files are noted
        in ``report`` and left out. Runs in the prepare thread: it only asks the writer about
        sources no other group holds (names are unique within an ingest), never changes it."""
        from .chunking import TokenCounter, chunk_article
        from .loading import load_document
        from .segmentation import segment

        counter = TokenCounter(self.settings.tokenizer)
        group: list[tuple[str, str, str, list[Article], list[Chunk]]] = []
        size, group_bytes = 0, 0
        for path, n_bytes in zip(files, sizes):
            group_bytes += n_bytes
            try:
                doc = load_document(path)
            except InputError as err:
                report.skipped.append(str(err))
                continue
            if doc.source in seen and seen[doc.source] != doc.path:
                report.skipped.append(
                    f"{doc.path}: skipped, another file named {doc.source!r} ({seen[doc.source]}) "
                    f"is in the same ingest; rename one of them."
                )
                continue
            seen[doc.source] = doc.path
            if writer.has_file(doc.source, doc.sha256):
                report.unchanged.append(doc.source)
                continue
            articles = segment(doc)
            chunks = [
                c
                for a in articles
                for c in chunk_article(
                    a,
                    max_tokens=self.settings.chunk_tokens,
                    overlap_sentences=self.settings.chunk_overlap_sentences,
                    counter=counter,
                )
            ]
            if not chunks:
                report.skipped.append(f"{doc.path}: skipped, no text left after cleaning.")
                continue
            (report.updated if writer.knows_source(doc.source) else report.added).append(doc.source)
            group.append((doc.source, doc.path, doc.sha256, articles, chunks))
            size += len(chunks)
            if size >= EMBED_GROUP:
                yield group, group_bytes
                group, size, group_bytes = [], 0, 0
        if group or group_bytes:
            yield group, group_bytes

    def remove(self, paths: Iterable[Path | str]) -> list[str]:
        """Drop files (by path or file name) from the index; returns the removed sources."""
        removed: list[str] = []
        with self._write_lock, self._writer() as writer:
            for p in paths:
                name = Path(p).name
                if writer.remove_file(name):
                    removed.append(name)
            if not removed:
                raise InputError(
                    f"None of {', '.join(map(str, paths))} is in the index; `rag list` shows what is."
                )
            writer.commit()  # tombstones only: nothing already indexed is rewritten
            writer.maybe_merge()
        self.store(wait=True)
        return removed

    def optimize(self) -> dict:
        """Merge every segment into one (deleted rows dropped, the ANN index rebuilt)."""
        from .store import current_generation

        started = time.perf_counter()
        if current_generation(self.settings.index_dir) is None:  # before a writer creates the folder
            raise IndexMissingError(f"No index at {self.settings.index_dir}. Build one with: rag ingest PATH")
        with self._write_lock, self._writer() as writer:
            before = len(writer.segment_sizes())
            generation = writer.optimize()
        store = self.store(wait=True)
        return {"generation": generation, "segments_before": before, "segments": len(store.segments),
                "chunks": len(store), "seconds": round(time.perf_counter() - started, 2)}

    # ----------------------------------------------------------------- reading
    def validate_question(self, question: object) -> str:
        if not isinstance(question, str) or not question.strip():
            raise InputError("The question is empty: type a question, e.g. 'How many social work stations are in Inner Mongolia?'.")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise InputError(f"The question is {len(question)} characters long; the limit is {limit}. Shorten it.")
        return question.strip()

    def analyze(self, question: str) -> "QueryAnalysis":
        """Language and English->Chinese bridging of a question (cached for the last one)."""
        from .retrieval import analyze_query

        store = self.store()  # makes sure the vocabulary of the current generation is loaded
        with self._lock:
            cached = self._last_analysis
            if cached and cached[0] == (question, store.generation):
                return cached[1]
        analysis = analyze_query(question, self.glossary, self._vocabulary)
        with self._lock:
            self._last_analysis = ((question, store.generation), analysis)
        return analysis

    def question_context(self, question: str):
        """What the extractive answerer needs besides the passages: term groups and vocabulary."""
        return self.analyze(question).groups, self._vocabulary

    def hybrid(self, *, method: str | None = None) -> "HybridRetriever":
        from .retrieval import HybridRetriever, RetrievalConfig

        s = self.settings
        config = RetrievalConfig(
            method=method or s.retrieval,
            candidates=s.candidates,
            rrf_k=s.rrf_k,
            dense_weight=s.dense_weight,
            lexical_weight=s.lexical_weight,
            en_lexical_weight=s.en_lexical_weight,
            en_glossed_share=s.en_glossed_share,
            en_glossed_lexical_weight=s.en_glossed_lexical_weight,
        )
        return HybridRetriever(self.store(), self.backend, config)

    def widen(self, passages: Sequence[Passage], reach: int) -> list[Passage]:
        """Each passage grown by up to ``reach`` characters of its article on both sides, cut at
        sentence ends: a chunk that begins "他说" or ends before the figure is read in context."""
        from dataclasses import replace

        store = self.store()
        articles: dict[tuple[str, int], Any] = {}
        out = []
        for p in passages:
            c = p.chunk
            key = (c.source, c.article_ordinal)
            if key not in articles:
                articles[key] = store.article(*key)
            article = articles[key]
            if article is None or article.text[c.start : c.end] != c.text:
                out.append(p)
                continue
            text = article.text
            a, b = max(0, c.start - reach), min(len(text), c.end + reach)
            ends = [i for i in (text.find(m, a, c.start) for m in "。！？!?\n") if i >= 0]
            a = min(ends) + 1 if a > 0 and ends else (0 if a == 0 else c.start)
            right = max(text.rfind(m, c.end, b) for m in "。！？!?\n")
            b = right + 1 if right >= 0 else (c.end if b < len(text) else b)
            out.append(replace(p, chunk=replace(c, text=text[a:b], start=a, end=b)))
        return out

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        question = self.validate_question(question)
        return self.hybrid().retrieve(self.analyze(question), k or self.settings.k)

    def _weighed(self, question: str, language: str, passages: list[Passage], k: int) -> list[Passage]:
        """The passages of a question weighing two things ("which country has more social
        workers, China or France?"), with those each thing's own question retrieves after them
        ("how many social workers does France have?"): the two numbers may stand in chunks the
        question as a whole ranks low. Other questions' passages as they are."""
        from dataclasses import replace

        from .answering.question import asked_alternatives

        alternatives = asked_alternatives(question, language)
        if alternatives is None:
            return passages
        out = list(passages)
        seen = {p.chunk.chunk_id for p in out}
        for asked in (alternatives.first_question, alternatives.second_question):
            for p in self.hybrid().retrieve(self.analyze(asked), k):
                if p.chunk.chunk_id not in seen:
                    seen.add(p.chunk.chunk_id)
                    out.append(replace(p, rank=len(out) + 1))
        return out

    @functools.cached_property
    def retriever(self) -> "NewsRetriever":
        """A LangChain ``BaseRetriever`` over this pipeline (the same object each time)."""
        from .langchain_retriever import NewsRetriever

        return NewsRetriever.from_pipeline(self)

    def ask(
        self,
        question: str,
        *,
        mode: str | None = None,
        k: int | None = None,
        history: Sequence[tuple[str, str]] = (),
    ) -> Answer:
        """Answer one question with cited passages (or an honest refusal)."""
        answer: Answer | None = None
        for item in self.ask_stream(question, mode=mode, k=k, history=history):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def ask_stream(
        self,
        question: str,
        *,
        mode: str | None = None,
        k: int | None = None,
        history: Sequence[tuple[str, str]] = (),
    ) -> Iterator[str | Answer]:
        """Like :meth:`ask`, yielding answer text as it is generated (llm mode), then the Answer.

        The final Answer is authoritative: grounding checks may repair what was streamed.
        """
        from dataclasses import replace

        from .language import detect_language

        started = time.perf_counter()
        question = self.validate_question(question)
        mode = mode or self.settings.mode
        k = k or self.settings.k
        if not 1 <= k <= 50:
            raise InputError(f"k={k} is out of range: use 1..50.")
        answerer = self.answerer(mode)
        language = detect_language(question)
        standalone = question
        if history and hasattr(answerer, "condense"):
            # "那河北呢？" after a question about Inner Mongolia -> a standalone question.
            standalone = answerer.condense(question, list(history))
        query = self.analyze(standalone)
        t_retrieve = time.perf_counter()
        passages = self._weighed(standalone, language, self.hybrid().retrieve(query, k), k)
        reach = getattr(answerer, "context_chars", 0)
        if reach:  # the reader reads each passage with the sentences around it in its article
            passages = self.widen(passages, reach)
        t_answer = time.perf_counter()
        answer: Answer | None = None
        first_token: float | None = None
        if hasattr(answerer, "stream"):
            for item in answerer.stream(standalone, passages, language=language):
                if isinstance(item, Answer):
                    answer = item
                else:
                    if first_token is None:
                        first_token = time.perf_counter()
                    yield item
        else:
            answer = answerer.answer(standalone, passages, language=language)
        assert answer is not None
        done = time.perf_counter()
        timings = {
            "analyze": (t_retrieve - started) * 1000,
            "retrieve": (t_answer - t_retrieve) * 1000,
            "answer": (done - t_answer) * 1000,
            "total": (done - started) * 1000,
        }
        if first_token is not None:  # what a user waits for before text appears
            timings["first_token"] = (first_token - started) * 1000
        rewritten = standalone if standalone != question else None
        yield replace(
            answer, question=question, timings_ms={**answer.timings_ms, **timings}, standalone_question=rewritten
        )


def describe_error(err: RagError) -> str:
    """One-line message for CLI/UI."""
    return str(err)
