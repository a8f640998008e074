"""Pick the answer mode by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputError
from .base import Answerer

if TYPE_CHECKING:
    from ..pipeline import Pipeline

MODES = ("extractive", "rules", "llm")


def _calibration(path: str | None):
    """The reader's calibration from ``path`` (RAG_CALIBRATION), None for the shipped one."""
    if not path:
        return None
    import json
    from pathlib import Path

    from .reader.calibration import Calibration

    file = Path(path).expanduser()
    if not file.is_file():
        raise InputError(
            f"calibration={path!r} (RAG_CALIBRATION) is not a file: give a JSON file written by "
            "`python -m eval.calibrate --out FILE`, or unset it for the shipped one."
        )
    try:
        return Calibration.load(file)
    except (ValueError, TypeError, json.JSONDecodeError) as err:
        raise InputError(f"calibration={path!r} (RAG_CALIBRATION) cannot be read as a reader calibration: {err}") from err


def create_answerer(mode: str, pipeline: "Pipeline") -> Answerer:
    """``extractive`` (default: the learned span reader, no LLM), ``rules`` (the first, hand-written
    reader) or ``llm`` (OpenAI-compatible chat model)."""
    if mode == "extractive":
        from .reader.answerer import ReaderAnswerer

        s = pipeline.settings
        return ReaderAnswerer(
            context=pipeline.question_context, read_k=s.read_k, min_confidence=s.min_confidence, calibration=_calibration(s.calibration)
        )
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
