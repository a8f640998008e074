"""Judging one answer against one golden question (rules: shared/eval/README.md)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Iterable, Mapping, Sequence

from rag.errors import InputError
from rag.language import HAN

from .datasets import QAItem

MAX_ANSWER_CHARS = 400  # longer answers quote passages instead of answering
RELATIVE_TOLERANCE = 1e-3  # 0.1 %
_CITATION = re.compile(r"[\[［]\s*\d+(?:\s*[,，、\-–]\s*\d+)*\s*[\]］]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Judgement:
    """Verdict on one answer; citation fields are None where they do not apply."""

    correct: bool
    reason: str
    citation_hit: bool | None
    citation_precision: float | None


def judge(item: QAItem, answer: Mapping[str, Any] | Any) -> Judgement:
    """Judge ``answer`` (the JSON of ``rag ask --json``, or an ``Answer``) for ``item``."""
    data = _as_mapping(answer)
    text = str(data.get("answer") or "")
    refused = bool(data.get("refused"))
    sources = [str(c.get("source", "")) for c in data.get("citations") or () if isinstance(c, Mapping)]
    hit, precision = citation_scores(item, sources)
    correct, reason = _verdict(item, text, refused)
    return Judgement(correct, reason, hit, precision)


def citation_scores(item: QAItem, sources: Sequence[str]) -> tuple[bool | None, float | None]:
    """(hit, precision) of cited file names against the gold doc; None for unanswerable items."""
    if not item.answerable:
        return None, None
    gold = [_same_doc(s, item.doc) for s in sources]
    return any(gold), (sum(gold) / len(gold) if gold else None)


def stated_numbers(text: str) -> list[float]:
    """The values of every number an answer states (citation markers are not numbers)."""
    from rag.numbers import extract_numbers

    return [m.value for m in extract_numbers(text)]


def same_value(gold: float, stated: float) -> bool:
    """Equal within the 0.1 % relative tolerance."""
    return abs(stated - gold) <= RELATIVE_TOLERANCE * abs(gold) if gold else stated == 0


def missing_values(values: Iterable[float], text: str) -> list[float]:
    """Gold values that ``text`` does not state."""
    stated = stated_numbers(text)
    return [v for v in values if not any(same_value(v, s) for s in stated)]


def normalise(text: str) -> str:
    """Text for spelling matches: NFKC, case-folded, citation markers and whitespace removed."""
    return _SPACE.sub("", _CITATION.sub("", unicodedata.normalize("NFKC", text)).casefold())


def missing_groups(expect: Iterable[Sequence[str]], text: str) -> list[Sequence[str]]:
    """The ``expect`` groups none of whose spellings occurs in ``text``."""
    plain = normalise(text)
    return [group for group in expect if not any(normalise(s) and normalise(s) in plain for s in group)]


def _verdict(item: QAItem, text: str, refused: bool) -> tuple[bool, str]:
    if len(text) > MAX_ANSWER_CHARS:
        return False, f"answer too long ({len(text)} > {MAX_ANSWER_CHARS} characters)"
    if not item.answerable:
        return (True, "refused") if refused else (False, "answered an unanswerable question")
    if refused:
        return False, "refused an answerable question"
    if item.type == "number":
        missing = missing_values(item.values, text)
        if missing:
            return False, "missing value(s): " + ", ".join(f"{v:g}" for v in missing)
        return True, "all values stated"
    groups = missing_groups(item.expect, text)
    if groups:
        return False, "missing: " + "; ".join(" | ".join(group) for group in groups)
    return True, "all expected items stated"


def _same_doc(source: str, doc: str) -> bool:
    return bool(source) and PurePath(source).name == PurePath(doc).name


def _as_mapping(answer: Mapping[str, Any] | Any) -> Mapping[str, Any]:
    if isinstance(answer, Mapping):
        data = answer
    elif hasattr(answer, "to_dict"):
        data = answer.to_dict()
    else:
        raise InputError(f"An answer must be the JSON object of `rag ask --json`, got {type(answer).__name__}.")
    missing = [key for key in ("answer", "refused") if key not in data]
    if missing:
        raise InputError(
            f"Answer JSON lacks {', '.join(missing)}; give the object `rag ask --json` prints "
            "(answer, refused, citations)."
        )
    return data


# ----------------------------------------------------------------------------- span benchmarks
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_MIXED_TOKEN = re.compile(f"[{HAN}]|[^\\W{HAN}]+", re.UNICODE)
_ARTICLES = {"a", "an", "the"}


def span_tokens(text: str) -> list[str]:
    """SQuAD/CMRC-style tokens: each Chinese character, each Latin word or number; punctuation,
    case and English articles dropped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [t for t in _MIXED_TOKEN.findall(folded) if t not in _ARTICLES]


def exact_match(prediction: str, gold: str) -> float:
    return float(span_tokens(prediction) == span_tokens(gold))


def f1_score(prediction: str, gold: str) -> float:
    from collections import Counter

    pred, ref = span_tokens(prediction), span_tokens(gold)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def _squeeze(text: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).casefold())


def span_correct(short_answer: str | None, golds: Sequence[str]) -> bool:
    """The benchmark rule: the short answer holds a gold spelling and is at most 3x as long (+2)."""
    if not short_answer:
        return False
    got = _squeeze(short_answer)
    return any(g and g in got and len(got) <= 3 * len(g) + 2 for g in map(_squeeze, golds))


@dataclass(frozen=True)
class SpanJudgement:
    correct: bool
    em: float
    f1: float
    lenient: bool  # the whole answer (<= 400 characters) holds a gold spelling


def judge_span(item: QAItem, answer: Mapping[str, Any] | Any) -> SpanJudgement | None:
    """Span-benchmark verdict on ``short_answer`` (None for items without gold spellings)."""
    data = _as_mapping(answer)
    golds = [s for group in item.expect for s in group]
    if not item.answerable or not golds:
        return None
    refused = bool(data.get("refused"))
    short = None if refused else data.get("short_answer")
    short = short if isinstance(short, str) else None
    text = str(data.get("answer") or "")
    lenient = not refused and len(text) <= MAX_ANSWER_CHARS and not missing_groups(item.expect, text)
    if short is None:
        return SpanJudgement(False, 0.0, 0.0, lenient)
    return SpanJudgement(
        span_correct(short, golds),
        max(exact_match(short, g) for g in golds),
        max(f1_score(short, g) for g in golds),
        lenient,
    )
