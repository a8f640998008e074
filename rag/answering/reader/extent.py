"""How much of a passage an answer takes: the clause around a span, and when the clause is the answer.

The reader proposes the core of an answer ("1988年", "澳洲南部岛屿及西岸地区"), while people asked
to mark the answer in Chinese text often mark the short clause holding it ("建于1988年",
"位于黑龙江省哈尔滨市红军街50号", "获得第3名": CMRC 2018's annotators, train and trial alike).
:class:`ClauseRule` gives the clause instead of the span when the clause adds little: at most
``chars`` letters in all, or at most ``ratio`` times the span's letters. Both numbers are fitted
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


def letters(text: str) -> int:
    """How long ``text`` is as the span benchmarks count it: letters and digits only."""
    return len(re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text)))


@dataclass(frozen=True)
class ClauseRule:
    """When the clause around a span is the answer (see the module text)."""

    chars: int = 0  # the clause, when it has at most this many letters
    ratio: float = 0.0  # ... or at most this many times the span's letters

    def extent(self, text: str, start: int, end: int) -> tuple[int, int]:
        """The answer's ``[start, end)`` in ``text``: the clause holding the span when it adds
        little, else the span itself."""
        lo, hi = clause_of(text, start, end)
        if not (lo <= start and end <= hi) or (lo, hi) == (start, end):
            return start, end
        whole = letters(text[lo:hi])
        if whole <= self.chars or whole <= self.ratio * letters(text[start:end]):
            return lo, hi
        return start, end

    def to_dict(self) -> dict:
        return {"chars": self.chars, "ratio": self.ratio}

    @classmethod
    def from_dict(cls, data: Mapping, where: str) -> "ClauseRule":
        chars, ratio = data.get("chars", 0), data.get("ratio", 0.0)
        if not isinstance(chars, int) or isinstance(chars, bool) or not 0 <= chars <= 200:
            raise ValueError(f"{where}: clause chars={chars!r} must be a whole number in 0..200 (0: never widen)")
        if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not 0 <= ratio <= 20:
            raise ValueError(f"{where}: clause ratio={ratio!r} must be a number in 0..20 (0: never widen)")
        return cls(chars, float(ratio))
