"""Hybrid retrieval: dense (e5) + BM25 over jieba tokens with glossary bridging, fused by RRF."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .crosslingual import TermGroup, bridge_query, expand_for_bm25
from .glossary import english_words
from .language import HAN_RUN, detect_language
from .lexical import analyze
from .models import Passage

if TYPE_CHECKING:
    from embeddings.base import EmbeddingBackend

    from .crosslingual import Vocabulary
    from .glossary import Glossary
    from .store import IndexStore


@dataclass(frozen=True)
class QueryAnalysis:
    """A question read once and shared by retrieval and answering."""

    question: str
    language: str
    groups: tuple[TermGroup, ...]
    lexical_query: str
    dense_query: str = ""
    #: the Chinese forms of each name an English question spells in pinyin ("Dingxi" -> 定西, 定西市)
    names: tuple[tuple[str, ...], ...] = ()
    #: Chinese an English question writes itself ("Liu Jing (刘京)", "(五社联动)")
    written: tuple[str, ...] = ()
    #: the share of an English question's words the curated glossary renders (0 for Chinese)
    glossed: float = 0.0


def analyze_query(question: str, glossary: "Glossary", vocabulary: "Vocabulary | None") -> QueryAnalysis:
    """Language, English->Chinese term groups and the text used for lexical search."""
    language = detect_language(question)
    groups = tuple(bridge_query(question, glossary, vocabulary))
    lexical = dense = question
    if language == "en":
        lexical = f"{question} {expand_for_bm25(question, list(groups))}"
        # The multilingual encoder matches an English question to Chinese text better when the
        # bridged Chinese terms ride along (en hit@5 on the dev set: 0.93 -> 1.00).
        chinese = dict.fromkeys(f for g in groups if g.source != "literal" for f in g.chinese[:2])
        if chinese:
            dense = f"{question} {' '.join(chinese)}"
    written = tuple(dict.fromkeys(r for r in HAN_RUN.findall(question) if len(r) > 1)) if language == "en" else ()
    return QueryAnalysis(question=question, language=language, groups=groups, lexical_query=lexical, dense_query=dense,
                         names=_proper_names(question, groups) if language == "en" else (), written=written,
                         glossed=_glossed_share(question, groups) if language == "en" else 0.0)


def _glossed_share(question: str, groups: tuple[TermGroup, ...]) -> float:
    """The share of an English question's words that the glossary's terms cover ("How many social
    work stations has Dingxi built?": "how many" and "social work stations", 5 of 8)."""
    words = len(english_words(question))
    covered = sum(len(g.english.split()) for g in groups if g.source == "glossary")
    return min(1.0, covered / words) if words else 0.0


def _proper_names(question: str, groups: tuple[TermGroup, ...]) -> tuple[tuple[str, ...], ...]:
    """The Chinese forms of the names an English question spells in pinyin ("Dingxi" -> 定西, 定西市):
    certainly names of places or people. (Capitalised glossary terms are not taken for names:
    "National Anthem" is a thing, and ordering passages by it lost XQuAD answers.)"""
    return tuple(g.chinese for g in groups if g.source == "pinyin" and g.chinese)


@dataclass(frozen=True)
class RetrievalConfig:
    """How the two retrievers are combined."""

    method: str = "hybrid"  # hybrid | dense | lexical
    candidates: int = 30
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    # BM25 of an English question searches Chinese words the bridge guessed for it (dictionary,
    # pinyin): weaker evidence than the cross-lingual encoder's, so it weighs less in the fusion ...
    en_lexical_weight: float = 0.1
    # ... unless the curated glossary renders at least this share of the question's words: its
    # terms are then as sure a clue as a Chinese question's own words (`python -m eval.retrieval_fit`)
    en_glossed_share: float = 0.3
    en_glossed_lexical_weight: float = 1.0


class HybridRetriever:
    """Searches one :class:`IndexStore` with a query embedding and BM25, fusing ranks (RRF)."""

    def __init__(
        self,
        store: "IndexStore",
        backend: "EmbeddingBackend",
        config: RetrievalConfig | None = None,
    ) -> None:
        self.store = store
        self.backend = backend
        self.config = config or RetrievalConfig()

    def retrieve(self, query: QueryAnalysis, k: int) -> list[Passage]:
        """Top ``k`` passages for an analysed query."""
        cfg = self.config
        n = max(k, cfg.candidates)
        dense: list[tuple[int, float]] = []
        lexical: list[tuple[int, float]] = []
        if cfg.method in ("hybrid", "dense"):
            vector = self.backend.embed_queries([query.dense_query or query.question])[0]
            dense = self.store.search_dense(vector, n)
        if cfg.method in ("hybrid", "lexical"):
            lexical = self.store.search_lexical(analyze(query.lexical_query), n)
        lexical_weight = cfg.lexical_weight
        if query.language == "en":
            glossed = query.glossed >= cfg.en_glossed_share
            lexical_weight = cfg.en_glossed_lexical_weight if glossed else cfg.en_lexical_weight
        passages = self._fuse(dense, lexical, k, lexical_weight)
        if query.names and not any(self._names_all(p, query.names) for p in passages):
            # an English question about Dingxi whose other words rank other places' passages first:
            # the candidates naming every place or person it names come first (the reader would
            # refuse, "nothing about Dingxi", over passages that do not name it)
            pool = self._fuse(dense, lexical, n, lexical_weight)
            naming = [p for p in pool if self._names_all(p, query.names)]
            if naming:
                others = [p for p in pool if not self._names_all(p, query.names)]
                passages = [replace(p, rank=i) for i, p in enumerate((naming + others)[:k], 1)]
        if query.written:
            # Chinese written into an English question is the surest clue it gives: the passages
            # holding all of it are read first ("what did Liu Jing (刘京) compare social workers to")
            pool = self._fuse(dense, lexical, n, lexical_weight)
            holding = [p for p in pool if self._names_all(p, tuple((w,) for w in query.written))]
            if holding:
                others = [p for p in pool if p not in holding]
                passages = [replace(p, rank=i) for i, p in enumerate((holding + others)[:k], 1)]
        return passages

    @staticmethod
    def _names_all(passage: Passage, names: tuple[tuple[str, ...], ...]) -> bool:
        text = f"{passage.chunk.title}\n{passage.chunk.section}\n{passage.chunk.text}"
        return all(any(f in text for f in forms) for forms in names)

    def _fuse(
        self, dense: list[tuple[int, float]], lexical: list[tuple[int, float]], k: int, lexical_weight: float
    ) -> list[Passage]:
        cfg = self.config
        scores: dict[int, float] = {}
        dense_rank = {row: r for r, (row, _) in enumerate(dense, 1)}
        lexical_rank = {row: r for r, (row, _) in enumerate(lexical, 1)}
        similarity = {row: float(score) for row, score in dense}
        for row, r in dense_rank.items():
            scores[row] = scores.get(row, 0.0) + cfg.dense_weight / (cfg.rrf_k + r)
        for row, r in lexical_rank.items():
            scores[row] = scores.get(row, 0.0) + lexical_weight / (cfg.rrf_k + r)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
        chunks = self.store.chunks([row for row, _ in ranked])
        return [
            Passage(
                chunk=chunk,
                score=score,
                rank=i,
                dense_rank=dense_rank.get(row),
                lexical_rank=lexical_rank.get(row),
                dense_score=similarity.get(row),
            )
            for i, ((row, score), chunk) in enumerate(zip(ranked, chunks), 1)
        ]
