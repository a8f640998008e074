"""Follow-up questions ("那河北呢？", "what about Hebei?") rewritten into standalone ones before
retrieval: by the chat model (llm mode) or by rules (extractive mode, or when the model cannot be
reached). Without history the question is returned unchanged."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..language import HAN_CHAR
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


# ----------------------------------------------------------------------------- by rules
# "那河北呢？" "河北呢" "那么河北的情况呢？"  /  "What about Hebei?" "And in Hebei?" "How about for Hebei"
_ZH_FOLLOW_UP = re.compile(
    r"^\s*(?:那么|那|还有|再看)?\s*(?P<x>[^，,。？?！!\s]{1,16}?)\s*(?:的情况)?\s*(?:呢|怎么样|如何)\s*[？?]?\s*$"
)
_EN_FOLLOW_UP = re.compile(
    r"^\s*(?:(?:and\s+)?(?:what|how)\s+about|and)\s+(?:in\s+|for\s+|at\s+)?(?:the\s+)?(?P<x>[^?？]{1,60}?)\s*[?？]?\s*$",
    re.I,
)
# "全区" / "全省" / "全市" right after a place: the whole of that place, worded for its kind.
_SCOPE = re.compile(r"^\s*全(?:区|省|市|州|县|盟|旗)")
# A capitalised name after a preposition, for places the glossary does not know ("in Dingxi").
_EN_NAMED_PLACE = re.compile(r"\b(?:in|of|for|at|from)\s+(?:the\s+)?((?:[A-Z][\w'’-]*)(?:\s+[A-Z][\w'’-]*)*)")

RULE_TURNS = 4  # the rules look this far back (a chain of follow-ups)
MAX_PREVIOUS_CHARS = 500

# (English text) -> the place names it mentions, as written in it
PlaceFinder = Callable[[str], Sequence[str]]


def follow_up_subject(question: str) -> str | None:
    """What a bare follow-up asks about ("那河北呢？" -> "河北"), or None for a full question."""
    m = _ZH_FOLLOW_UP.match(question) or _EN_FOLLOW_UP.match(question)
    return m.group("x").strip() if m else None


def chinese_places(text: str) -> list[str]:
    """Place names in Chinese text, by jieba's part-of-speech tags (``ns``)."""
    import jieba.posseg

    from ..lexical import _tokenizer

    _tokenizer()  # the shared dictionary, loaded quietly
    return [w.word for w in jieba.posseg.lcut(text) if w.flag == "ns"]


def is_place_name(text: str) -> bool:
    """Whether ``text`` is one place name ("河北", "湘潭市")."""
    return chinese_places(text) == [text]


def english_place_terms(groups: Sequence[Any]) -> list[tuple[str, tuple[str, ...]]]:
    """(English term, Chinese forms) of the bridged term groups that name a place
    ("hebei" -> 河北, 河北省), judged by the first Chinese forms."""
    out = []
    for group in groups:
        forms = tuple(getattr(group, "chinese", ()))
        if group.english[:1].isalpha() and any(is_place_name(form) for form in forms[:3]):
            out.append((group.english, forms))
    return out


def rewrite_by_rules(
    question: str, history: Sequence[tuple[str, str]], english_places: PlaceFinder | None = None
) -> str:
    """A bare follow-up turned into the previous question about the new subject:
    "那河北呢？" after "内蒙古全区已建成多少个社工站？" -> "河北已建成多少个社工站？";
    "What about Hebei?" after "How many … in Inner Mongolia?" -> "How many … in Hebei?".

    The previous question is itself resolved first (follow-ups can chain). Unchanged when the
    question is not a bare follow-up or the previous question names no place to replace."""
    previous = None
    for asked, _ in list(history)[-RULE_TURNS:]:
        if len(asked) > MAX_PREVIOUS_CHARS:  # not a question a person typed: nothing to carry over
            previous = None
            continue
        previous = _substitute(asked, previous, english_places) if previous else asked
    if not previous:
        return question
    return _substitute(question, previous, english_places)


def _substitute(question: str, previous: str, english_places: PlaceFinder | None) -> str:
    subject = follow_up_subject(question)
    if not subject or not _is_place(subject, english_places):
        return question  # "那通过人数呢？" asks for another measure: nothing safe to substitute
    if HAN_CHAR.search(previous):
        places = chinese_places(previous)
    else:
        places = list(english_places(previous)) if english_places else []
        places += _EN_NAMED_PLACE.findall(previous)
    for place in sorted(dict.fromkeys(places), key=len, reverse=True):
        at = previous.lower().find(place.lower())
        if at >= 0 and place.lower() != subject.lower():
            # "内蒙古全区…" -> "河北…": the scope word belonged to the old place (区 vs 省)
            rest = _SCOPE.sub("", previous[at + len(place) :], count=1)
            return previous[:at] + subject + rest
    return question


def _is_place(subject: str, english_places: PlaceFinder | None) -> bool:
    if HAN_CHAR.search(subject):
        return "".join(chinese_places(subject)) == subject
    if english_places and any(p.lower() == subject.lower() for p in english_places(subject)):
        return True
    return all(word[:1].isupper() for word in subject.split())  # a proper name: "Hebei", "Inner Mongolia"
