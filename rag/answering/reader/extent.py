"""How much of a passage an answer takes: the clause around a span, and when the clause is the answer.

The reader proposes the core of an answer ("1988年", "澳洲南部岛屿及西岸地区"), while people asked
to mark the answer in Chinese text often mark the short clause holding it ("建于1988年",
"位于黑龙江省哈尔滨市红军街50号", "获得第3名": CMRC 2018's annotators, train and trial alike).
:class:`ClauseRule` gives the clause instead of the span when the clause adds little: at most
``chars`` letters in all, or at most ``ratio`` times the span's letters, with numbers of their own
for the kinds of question whose answers are marked wider (a list, a reason). The numbers are fitted
on public data by ``python -m eval.clause_fit`` (CMRC 2018 trial's even half and XQuAD-dev; see the
README) and stored in the reader's calibration file; ``ClauseRule()`` (both 0) never widens.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Mapping

# what ends a clause or a sentence, and what an answer never starts or ends with
CLAUSE_OR_SENTENCE = re.compile(r"[，,；;：:。！？!?\n]")
SENTENCE = re.compile(r"[。！？!?\n]")
EDGE = "，,。．.、；;：:！!？?“”\"'‘’「」『』（）()《》〈〉[]【】 \n\t"


def clean_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` without punctuation or spaces at its edges, keeping a bracket or quote
    pair whose other half is inside."""
    while start < end and text[start] in EDGE:
        start += 1
    while end > start and text[end - 1] in EDGE:
        end -= 1
    for op, cl in ("《》", "“”", "（）", "()"):
        if end < len(text) and text[end] == cl and op in text[start:end] and cl not in text[start:end]:
            end += 1
        if start > 0 and text[start - 1] == op and cl in text[start:end] and op not in text[start:end]:
            start -= 1
    return start, end


def after_last(pattern: re.Pattern[str], text: str, end: int) -> int:
    """Where ``text`` goes on after the last match of ``pattern`` before ``end`` (0 when none)."""
    return max((m.end() for m in pattern.finditer(text, 0, end)), default=0)


def clause_of(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause of ``text`` holding ``[start, end)``: from the last clause or sentence mark
    before it to the next one after it, edges cleaned."""
    lo = after_last(CLAUSE_OR_SENTENCE, text, start)
    mark = CLAUSE_OR_SENTENCE.search(text, end)
    return clean_span(text, lo, mark.start() if mark else len(text))


def sentence_of(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence of ``text`` holding ``[start, end)``, edges cleaned."""
    lo = after_last(SENTENCE, text, start)
    mark = SENTENCE.search(text, end)
    return clean_span(text, lo, mark.start() if mark else len(text))


def letters(text: str) -> int:
    """How long ``text`` is as the span benchmarks count it: letters and digits only."""
    return len(re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text)))


@dataclass(frozen=True)
class ClauseRule:
    """When the clause around a span is the answer (see the module text). ``kinds`` holds a rule
    of its own for some kinds of question (:func:`..question.extent_kind`: "list", "why", "what" …):
    a list or a reason is marked as a clause more often than a number or a name is."""

    chars: int = 0  # the clause, when it has at most this many letters
    ratio: float = 0.0  # ... or at most this many times the span's letters
    sentence_chars: int = 0  # the whole sentence, when it has at most this many letters
    sentence_ratio: float = 0.0  # ... or at most this many times the span's letters
    kinds: tuple[tuple[str, "ClauseRule"], ...] = ()  # (kind, rule) pairs; other kinds use this rule

    def for_kind(self, kind: str | None) -> "ClauseRule":
        """The rule a question of ``kind`` is answered by (this one when it has none of its own)."""
        own = dict(self.kinds).get(kind) if kind else None
        return own if own is not None else ClauseRule(self.chars, self.ratio, self.sentence_chars, self.sentence_ratio)

    def extent(self, text: str, start: int, end: int, kind: str | None = None) -> tuple[int, int]:
        """The answer's ``[start, end)`` in ``text`` for a question of ``kind``: the sentence or
        else the clause holding the span when it adds little, else the span itself."""
        rule = self.for_kind(kind)
        span = letters(text[start:end])
        for (lo, hi), chars, ratio in ((sentence_of(text, start, end), rule.sentence_chars, rule.sentence_ratio),
                                       (clause_of(text, start, end), rule.chars, rule.ratio)):
            if not (lo <= start and end <= hi) or (lo, hi) == (start, end):
                continue
            whole = letters(text[lo:hi])
            if whole <= chars or whole <= ratio * span:
                return lo, hi
        return start, end

    def _numbers(self) -> dict:
        out: dict = {"chars": self.chars, "ratio": self.ratio}
        if self.sentence_chars or self.sentence_ratio:
            out.update(sentence_chars=self.sentence_chars, sentence_ratio=self.sentence_ratio)
        return out

    def to_dict(self) -> dict:
        out = self._numbers()
        if self.kinds:
            out["kinds"] = {k: r._numbers() for k, r in self.kinds}
        return out

    @classmethod
    def from_dict(cls, data: Mapping, where: str) -> "ClauseRule":
        numbers = []
        for name in ("chars", "ratio", "sentence_chars", "sentence_ratio"):
            value = data.get(name, 0)
            if name.endswith("chars") and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 200):
                raise ValueError(f"{where}: clause {name}={value!r} must be a whole number in 0..200 (0: never widen)")
            if name.endswith("ratio") and (not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 20):
                raise ValueError(f"{where}: clause {name}={value!r} must be a number in 0..20 (0: never widen)")
            numbers.append(value if name.endswith("chars") else float(value))
        kinds = data.get("kinds", {})
        if not isinstance(kinds, Mapping) or not all(isinstance(k, str) and isinstance(v, Mapping) for k, v in kinds.items()):
            raise ValueError(f'{where}: clause kinds must map a question kind to {{"chars": …, "ratio": …}}')
        own = tuple((k, cls.from_dict({n: v[n] for n in v if n != "kinds"}, f"{where} (kind {k})")) for k, v in sorted(kinds.items()))
        return cls(*numbers, kinds=own)
