"""Follow-up questions ("那河北呢？", "what about Hebei?") rewritten into standalone ones by the
chat model, before retrieval. Without history the question is returned unchanged."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Sequence

from .prompts import condense_prompt, defang, format_history

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

MAX_TOKENS = 64
_PREFIX = re.compile(r"^\s*(?:standalone question|rewritten question|question|问题|独立问题)\s*[:：]\s*", re.I)


def condense_question(
    chat_model: "BaseChatModel", question: str, history: Sequence[tuple[str, str]], **invoke: Any
) -> str:
    """The follow-up as a standalone question (model call), or ``question`` itself when there is
    no history or the model's rewrite is unusable. Connection errors propagate to the caller."""
    if not history:
        return question
    from langchain_core.output_parsers import StrOutputParser

    chain = condense_prompt() | _bounded(chat_model) | StrOutputParser()
    raw = chain.invoke({"history": format_history(history), "question": defang(question.strip())}, **invoke)
    return clean_rewrite(raw, question)


def clean_rewrite(raw: str, question: str) -> str:
    """First line of the model's rewrite without labels or quotes; ``question`` if it looks wrong."""
    lines = [line for line in raw.strip().splitlines() if line.strip()]
    if not lines:
        return question
    text = _PREFIX.sub("", lines[0]).strip().strip("\"'“”「」`").strip()
    if not text or len(text) > max(200, 4 * len(question)) or text.lower().startswith(("q:", "a:")):
        return question
    return text


def _bounded(chat_model: "BaseChatModel") -> Any:
    """The model limited to a short reply, where the model class supports it."""
    try:
        extra = getattr(chat_model, "extra_body", None)
        if isinstance(extra, dict) and "max_tokens" in extra:
            return chat_model.bind(max_tokens=MAX_TOKENS, extra_body={**extra, "max_tokens": MAX_TOKENS})
        return chat_model.bind(max_tokens=MAX_TOKENS)
    except (AttributeError, TypeError, NotImplementedError):
        return chat_model
