"""Plain data passed between pipeline steps: defined once, used everywhere."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """One loaded file: decoded text plus where it came from."""

    source: str  # file name shown to users, e.g. "004_48b25d9ea022bb79.txt"
    path: str  # absolute path it was read from
    raw_text: str  # decoded text as received (kept for display)
    text: str  # cleaned text (OCR repair applied)
    sha256: str  # hash of the file's bytes
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Section:
    """A heading inside an article and where its text starts in ``Article.text``."""

    heading: str
    start: int


@dataclass(frozen=True)
class Article:
    """One article of a page; ``kind`` is "article" or "page" (teasers, captions, leftovers)."""

    source: str
    ordinal: int  # position on the page, 0-based
    title: str
    text: str  # cleaned body; chunk offsets index into this
    byline: str = ""
    origin: str = ""  # e.g. "中国社会工作联合会" from "（据中国社会工作联合会）"
    kind: str = "article"
    sections: tuple[Section, ...] = ()

    @property
    def article_id(self) -> str:
        return f"{self.source}#{self.ordinal}"

    def section_at(self, offset: int) -> str:
        """Heading of the section that contains ``offset`` ("" if none)."""
        heading = ""
        for section in self.sections:
            if section.start <= offset:
                heading = section.heading
            else:
                break
        return heading


@dataclass(frozen=True)
class Chunk:
    """A token-bounded piece of one article; ``text == article.text[start:end]``."""

    chunk_id: str
    source: str
    article_ordinal: int
    title: str
    section: str
    text: str
    start: int
    end: int
    n_tokens: int

    @property
    def article_id(self) -> str:
        return f"{self.source}#{self.article_ordinal}"

    @property
    def indexed_text(self) -> str:
        """What is embedded and BM25-indexed: the article title and section give context."""
        head = " / ".join(part for part in (self.title, self.section) if part)
        return f"{head}\n{self.text}" if head else self.text


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused score and the per-retriever ranks."""

    chunk: Chunk
    score: float
    rank: int
    dense_rank: int | None = None
    lexical_rank: int | None = None
    dense_score: float | None = None  # cosine similarity of question and passage (None: BM25 only)


@dataclass(frozen=True)
class Citation:
    """A numbered source passage backing an answer.

    ``start``/``end`` are the passage's offsets in the cleaned article; ``span`` is the
    answer span inside ``text`` (``[begin, end)``), or None when nothing is highlighted.
    """

    n: int
    source: str
    title: str
    text: str
    start: int
    end: int
    score: float
    span: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["span"] = list(self.span) if self.span else None
        return data


@dataclass(frozen=True)
class Answer:
    """What ``rag ask --json`` prints and ``POST /api/ask`` returns."""

    question: str
    answer: str
    refused: bool
    language: str
    mode: str
    citations: tuple[Citation, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    grounded: bool = True
    warnings: tuple[str, ...] = ()
    standalone_question: str | None = None  # a follow-up as it was searched, when rewritten
    short_answer: str | None = None  # the bare span as it should be judged; None when refused
    confidence: float = 0.0  # calibrated 0..1: among answers with confidence >= c, about c are right

    def to_dict(self) -> dict[str, Any]:
        extra = {"standalone_question": self.standalone_question} if self.standalone_question else {}
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "language": self.language,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "grounded": self.grounded,
            "warnings": list(self.warnings),
            "short_answer": None if self.refused else self.short_answer,
            "confidence": round(float(self.confidence), 4),
            **extra,
        }
