"""Pick the answer mode by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputError
from .base import Answerer

if TYPE_CHECKING:
    from ..pipeline import Pipeline

MODES = ("extractive", "llm")


def create_answerer(mode: str, pipeline: "Pipeline") -> Answerer:
    """``extractive`` (default, no LLM) or ``llm`` (OpenAI-compatible chat model)."""
    if mode == "extractive":
        from .extractive import ExtractiveAnswerer

        return ExtractiveAnswerer(context=pipeline.question_context)
    if mode == "llm":
        from .llm import LLMAnswerer

        return LLMAnswerer.from_settings(
            pipeline.settings, fallback=create_answerer("extractive", pipeline), context=pipeline.question_context
        )
    raise InputError(f"Unknown answer mode {mode!r}: use one of {', '.join(MODES)}.")
