"""What a candidate answer looks like, beyond the reader's own score: the features the learned
ranker weighs (weights fitted by ``python -m eval.calibrate`` on public span-QA data, stored in
``weights/calibration.json``; none is set by hand).

Each candidate span gets, besides the reader's pooled probability, its margin over "no answer"
and its passage's retrieval rank:

- how much of it the question already says (an answer rarely repeats the question's words: "李会晟"
  is not the nationality of 李会晟), and whether it lies wholly inside the question;
- its length (log characters; a one-character fragment; a clause with a comma inside);
- whether it starts and ends on word boundaries of the passage (jieba), not inside a word;
- its type from a general tagger (a number, a person, a place, an organisation, a time, a quoted
  title) and whether that is the type the question's kind asks for (how many → a number, who → a
  person, where → a place, when → a time or year), or a number where none was asked for;
- how close it is to the question's words in the passage (the share of the question's character
  bigrams within 40 characters of it, and the distance to the nearest one);
- for a why / how question (为什么, 如何, why, how did …), whether it is a proposed span or the whole
  sentence around one (the reader's spans are phrases; such answers are often a clause or a
  sentence, and the fit learns which to prefer);
- how much of the reader's probability the other candidates that agree with it carry
  (:func:`support`): their character overlap with it, weighted by their probability, and the mass
  of those inside it and around it. An answer the reader proposes in several overlapping cuts is
  likelier than one it proposes once (the idea of minimum-Bayes-risk decoding).

All of it is language-general (jieba's tagger, character bigrams, the question kinds of
:mod:`..question`) and computed from the question as read, so English questions use their bridged
Chinese terms."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ...language import HAN, is_cjk
from ...numbers import CN_NUMERAL_CHARS
from ..question import _posseg, asked_unit, asks_reason, question_kind

# the features, in the order the fit sees them (calibration.json names them)
FEATURES = (
    "lp", "margin", "inv_rank",
    "q_overlap", "in_question", "log_len", "one_char", "has_comma", "word_bounds",
    "kind_number", "kind_number_miss", "number_unasked",
    "kind_person", "kind_place", "kind_time", "kind_time_miss", "kind_entity_miss",
    "titled", "near_share", "near_share_10", "near_sentence", "near_distance", "edge_function",
    "unit_match", "unit_miss",
    "reason_sentence",
    "support_overlap", "support_inside", "support_around",
)
# features of why / how questions, whose weight is fitted last (eval.calibrate.fit_reason_weight)
REASON_FEATURES = ("reason_sentence",)
# jieba flags of function words: particles (的, 了), prepositions (在, 对), conjunctions (和), modal words
_FUNCTION_FLAGS = ("u", "p", "c", "y", "e")

_DIGIT = re.compile(f"[0-9０-９]|[{CN_NUMERAL_CHARS}](?:[个年月日天人名家次岁%％万亿元]|$)")
_YEARISH = re.compile(r"(?:1[0-9]|20)\d\d年?|\d{1,2}月|\d{1,2}日|世纪|年代|朝|时期|[春夏秋冬]季")
_TITLE = re.compile(r"^[《“\"「『].*[》”\"」』]$")
_COMMA = re.compile(r"[，,、；;]")
_KEEP = re.compile(r"[\w]")
_SENTENCE_END = re.compile(r"[。！？!?；;]|\.\s|\n")
NEAR_CHARS = 40
_ASKED_CHAR = re.compile(f"(?:多少|几)([{HAN}])(?<![的是呢吗了])")


@dataclass(frozen=True)
class QuestionView:
    """What the ranker needs of a question: its kind and its character bigrams."""

    kind: str
    bigrams: frozenset[str]
    chars: frozenset[str]
    unit: str = ""  # the measure word or unit a number answer should carry (多少人 -> 人)
    reason: str = ""  # "why" / "how": the answer is a clause or a sentence (asks_reason)

    @classmethod
    def of(cls, question: str, language: str) -> "QuestionView":
        # the kind is read from the question's own words (English kinds before the bridged terms)
        kind = question_kind(question, language)
        unit = asked_unit(question, language)
        if not unit and language == "zh":
            m = _ASKED_CHAR.search(question)
            unit = m.group(1) if m else ""
        key = _normal(question)
        return cls(kind, frozenset(_bigrams(key)), frozenset(key), unit, asks_reason(question, language))


def bigram_share(question: QuestionView, text: str) -> float:
    """The share of the question's character bigrams that ``text`` holds."""
    if not question.bigrams:
        return 0.0
    key = _normal(text)
    return sum(b in key for b in question.bigrams) / len(question.bigrams)


def _normal(text: str) -> str:
    return "".join(_KEEP.findall(text.lower()))


def _bigrams(key: str) -> list[str]:
    return [key[i : i + 2] for i in range(len(key) - 1)]


@lru_cache(maxsize=256)
def word_boundaries(text: str) -> frozenset[int]:
    """Character offsets where jieba puts a word boundary in ``text``."""
    import jieba

    cuts = {0}
    pos = 0
    for word in jieba.cut(text):
        pos += len(word)
        cuts.add(pos)
    return frozenset(cuts)


@lru_cache(maxsize=4096)
def _tags(span: str) -> tuple[str, ...]:
    return tuple(p.flag for p in _posseg().cut(span.strip()))


def edge_function(span: str) -> bool:
    """Whether the span starts or ends with a function word (的, 在, 和, 了 ...): a cut that is not
    a phrase."""
    tags = _tags(span)
    return bool(tags) and (tags[0].startswith(_FUNCTION_FLAGS) or tags[-1].startswith(_FUNCTION_FLAGS))


@lru_cache(maxsize=4096)
def span_type(span: str) -> str:
    """``number``, ``time``, ``person``, ``place``, ``org``, ``title`` or ``other`` for a span."""
    s = span.strip()
    if _TITLE.match(s):
        return "title"
    if _YEARISH.search(s) and _DIGIT.search(s):
        return "time"
    if _DIGIT.search(s):
        return "number"
    if not any(is_cjk(ch) for ch in s):
        return "other"
    tags = _tags(s)
    if not tags:
        return "other"
    head = tags[-1]  # the head of a Chinese noun phrase is its last word
    if head.startswith("t"):
        return "time"
    if head.startswith("nr"):
        return "person"
    if head.startswith("ns"):
        return "place"
    if head.startswith("nt"):
        return "org"
    return "other"


def _share_around(question: QuestionView, passage: str, start: int, end: int, lo: int, hi: int) -> float:
    """The share of the question's bigrams in ``passage[lo:start]`` and ``passage[end:hi]``."""
    around = _normal(passage[lo:start]) + " " + _normal(passage[end:hi])
    return sum(b in around for b in question.bigrams) / len(question.bigrams)


def _near(question: QuestionView, passage: str, start: int, end: int) -> dict[str, float]:
    """How close the span is to the question's words: the share of the question's bigrams within
    10 and 40 characters of it and in its own sentence, and the log distance in characters to the
    nearest one (5.0 when none is in the passage)."""
    if not question.bigrams:
        return {"near_share": 0.0, "near_share_10": 0.0, "near_sentence": 0.0, "near_distance": 5.0}
    n = len(passage)
    s0 = max((m.end() for m in _SENTENCE_END.finditer(passage, 0, start)), default=0)
    m1 = _SENTENCE_END.search(passage, end)
    s1 = m1.start() if m1 else n
    nearest = None
    low = passage.lower()
    for b in question.bigrams:
        for m in (low.rfind(b, 0, start), low.find(b, end)):
            if m < 0:
                continue
            d = start - (m + 2) if m < start else m - end
            nearest = d if nearest is None else min(nearest, d)
    return {
        "near_share": _share_around(question, passage, start, end, max(0, start - NEAR_CHARS), min(n, end + NEAR_CHARS)),
        "near_share_10": _share_around(question, passage, start, end, max(0, start - 10), min(n, end + 10)),
        "near_sentence": _share_around(question, passage, start, end, s0, s1),
        "near_distance": min(math.log1p(max(0, nearest)), 5.0) if nearest is not None else 5.0,
    }


SUPPORT = ("support_overlap", "support_inside", "support_around")


def support(texts: list[str], probabilities: list[float], spans: list[bool]) -> list[dict[str, float]]:
    """For each candidate, what the other proposed spans (``spans[j]``: a span of the reader, not a
    whole sentence offered around one) say for it, with probabilities normalised over those spans:
    ``support_overlap`` their character F1 with it (bag of normalised characters, as SQuAD's F1
    counts Chinese) weighted by their probability, ``support_inside`` the probability of those
    wholly inside it, ``support_around`` of those it lies inside."""
    n = len(texts)
    keys = [_normal(t) for t in texts]
    p = np.array([pr if sp else 0.0 for pr, sp in zip(probabilities, spans)], dtype=float)
    if n == 0 or p.sum() <= 0:
        return [dict.fromkeys(SUPPORT, 0.0) for _ in range(n)]
    p /= p.sum()
    vocab = {ch: i for i, ch in enumerate(sorted({ch for k in keys for ch in k}))}
    counts = np.zeros((n, max(1, len(vocab))))
    for i, k in enumerate(keys):
        for ch in k:
            counts[i, vocab[ch]] += 1
    common = np.stack([np.minimum(row, counts).sum(1) for row in counts])  # shared characters, pair by pair
    sizes = counts.sum(1)
    f1 = 2 * common / np.maximum(sizes[:, None] + sizes[None, :], 1)
    np.fill_diagonal(f1, 0.0)
    inside = np.array([[bool(keys[j]) and i != j and keys[j] in keys[i] for j in range(n)] for i in range(n)], dtype=float)
    out = []
    for i in range(n):
        out.append({
            "support_overlap": float(f1[i] @ p),
            "support_inside": float(inside[i] @ p),
            "support_around": float(inside[:, i] @ p) if keys[i] else 0.0,
        })
    return out


def base_features(*, probability: float, margin: float, rank: int) -> dict[str, float]:
    """What the reader itself says of a candidate (all the plain scorer weighs): the logit of its
    pooled probability, its margin over "no answer", and 1 / its passage's retrieval rank."""
    p = min(max(probability, 1e-6), 1 - 1e-6)
    return {"lp": math.log(p / (1 - p)), "margin": margin, "inv_rank": 1.0 / max(1, rank)}


def candidate_features(
    question: QuestionView, passage: str, start: int, end: int, *, probability: float, margin: float, rank: int,
    sentence: bool = False, agreement: dict[str, float] | None = None,
) -> dict[str, float]:
    """The ranker's inputs for the span ``passage[start:end]`` (``sentence``: the whole sentence
    around a proposed span, offered for why / how questions; ``agreement``: its :func:`support`
    among the question's candidates, none when it is judged alone)."""
    span = passage[start:end]
    key = _normal(span)
    n = max(1, len(key))
    if len(key) >= 2:
        overlap = sum(b in question.bigrams for b in _bigrams(key)) / (len(key) - 1)
    else:
        overlap = float(bool(key) and key in question.chars)
    in_question = float(bool(key) and len(key) >= 2 and overlap >= 1.0)
    bounds = word_boundaries(passage)
    typ = span_type(span)
    kind = question.kind
    numeric = typ in ("number", "time")
    entity = typ in ("person", "place", "org", "title")
    return {
        **base_features(probability=probability, margin=margin, rank=rank),
        "q_overlap": overlap,
        "in_question": in_question,
        "log_len": math.log(n),
        "one_char": float(n == 1),
        "has_comma": float(bool(_COMMA.search(span))),
        "word_bounds": (float(start in bounds) + float(end in bounds)) / 2,
        "kind_number": float(kind == "number" and numeric),
        "kind_number_miss": float(kind == "number" and not numeric),
        "number_unasked": float(kind in ("who", "where", "which", "what") and typ == "number"),
        "kind_person": float(kind == "who" and typ == "person"),
        "kind_place": float(kind == "where" and typ == "place"),
        "kind_time": float(kind == "when" and typ == "time"),
        "kind_time_miss": float(kind == "when" and typ != "time"),
        "kind_entity_miss": float(kind in ("who", "where") and not entity),
        "titled": float(typ == "title"),
        **_near(question, passage, start, end),
        "edge_function": float(edge_function(span)),
        **_unit(question, passage, start, end, numeric),
        "reason_sentence": float(bool(question.reason) and sentence),
        **(agreement or dict.fromkeys(SUPPORT, 0.0)),
    }


def _unit(question: QuestionView, passage: str, start: int, end: int, numeric: bool) -> dict[str, float]:
    """Whether a number carries the unit the question asks for (in the span or right after it:
    "多少人" -> "35人", not "12条")."""
    if not question.unit or not numeric:
        return {"unit_match": 0.0, "unit_miss": 0.0}
    unit = question.unit
    here = unit in passage[start:end] or passage[end : end + len(unit) + 1].lstrip().startswith(unit)
    return {"unit_match": float(here), "unit_miss": float(not here)}
