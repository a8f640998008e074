"""The small interface every answer mode implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

from ..errors import InputError
from ..models import Answer, Citation, Passage

REFUSAL = {"en": "The articles don't say.", "zh": "资料中没有相关信息。"}


class Answerer(ABC):
    """Turns a question and retrieved passages into an :class:`Answer` with citations."""

    mode: str = ""

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        language: str,
        history: Sequence[tuple[str, str]] = (),
    ) -> Answer:
        """Validate the inputs, then delegate to the mode's ``_answer``."""
        if not isinstance(question, str) or not question.strip():
            raise InputError("The question is empty: type a question, e.g. '内蒙古已建成多少个社工站？'.")
        if language not in REFUSAL:
            raise InputError(f"Unknown language {language!r}: use 'zh' or 'en'.")
        return self._answer(question.strip(), list(passages), language=language, history=tuple(history))

    @abstractmethod
    def _answer(
        self,
        question: str,
        passages: list[Passage],
        *,
        language: str,
        history: tuple[tuple[str, str], ...],
    ) -> Answer:
        """Mode-specific answering."""


def citation(passage: Passage, n: int, span: tuple[int, int] | None) -> Citation:
    """Citation ``[n]`` of a passage, with the answer ``span`` (offsets in its text) highlighted."""
    chunk = passage.chunk
    return Citation(
        n=n, source=chunk.source, title=chunk.title, text=chunk.text, start=chunk.start, end=chunk.end,
        score=round(passage.score, 6), span=span,
    )


def refusal(
    question: str, language: str, mode: str, *, warnings: Sequence[str] = (), confidence: float = 0.0
) -> Answer:
    """The honest "the articles don't say" answer; ``confidence`` is that of the answer withheld."""
    return Answer(
        question=question,
        answer=REFUSAL[language],
        refused=True,
        language=language,
        mode=mode,
        warnings=tuple(warnings),
        confidence=confidence,
    )
