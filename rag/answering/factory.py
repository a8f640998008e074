"""Pick the answer mode by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputError
from .base import Answerer

if TYPE_CHECKING:
    from ..pipeline import Pipeline

MODES = ("extractive", "rules", "llm")


def create_answerer(mode: str, pipeline: "Pipeline") -> Answerer:
    """``extractive`` (default: the learned span reader, no LLM), ``rules`` (the first, hand-written
    reader) or ``llm`` (OpenAI-compatible chat model)."""
    if mode == "extractive":
        from .reader.answerer import ReaderAnswerer

        s = pipeline.settings
        return ReaderAnswerer(context=pipeline.question_context, read_k=s.read_k, min_confidence=s.min_confidence)
    if mode == "rules":
        from .extractive import ExtractiveAnswerer

        from .names import ProperNames

        return ExtractiveAnswerer(context=pipeline.question_context, names=ProperNames())
    if mode == "llm":
        from .llm import LLMAnswerer

        return LLMAnswerer.from_settings(
            pipeline.settings, fallback=create_answerer("extractive", pipeline), context=pipeline.question_context
        )
    raise InputError(f"Unknown answer mode {mode!r}: use one of {', '.join(MODES)}.")
