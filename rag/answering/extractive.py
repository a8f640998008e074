"""Answers without an LLM: pick the evidence clause, extract the answer span, cite it,
or refuse when the passages do not support an answer."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Sequence

from ..chunking import split_sentences
from ..language import HAN
from ..models import Answer, Citation, Passage
from ..numbers import EN_MONTHS
from .base import Answerer, citation, refusal
from .names import ProperNames, off_corpus_refusal
from .question import (
    Concept,
    ParsedQuestion,
    abbreviation_pattern,
    named_places,
    parse_question,
    place_after_preposition,
)

if TYPE_CHECKING:
    from ..crosslingual import TermGroup, Vocabulary

_CLAUSE_END = re.compile(r"[，,；;：:]")
_DATE = re.compile(r"(?:(?:19|20)\d{2}年)?\d{1,2}月\d{1,2}日|(?:19|20)\d{2}年\d{1,2}月|(?:19|20)\d{2}年")
_QUOTE = re.compile(r"[“\"‘「『]([^”\"’」』]{2,40})[”\"’」』]")
_UNIT_EN = {"人": "people", "名": "people", "天": "days", "年": "years", "元": "yuan", "篇": "", "个": "", "家": "", "%": "%"}
MIN_SCORE = 0.42
# When the question shows what is counted, a number in another unit cannot be its answer.
_UNIT_FAMILIES = {
    "%": {"%"},
    "人": {"人", "名", "位", "人次", "余人", "多人"},
    "天": {"天", "日"},
    "元": {"元", "万元", "亿元", "千元"},
    "年": {"年"},
}

QuestionContext = Callable[[str], "tuple[Sequence[TermGroup], Vocabulary | None]"]


@dataclass(frozen=True)
class Clause:
    """A clause of a passage with its sentence, in passage-text offsets."""

    passage: Passage
    start: int
    end: int
    sent_start: int
    sent_end: int

    @property
    def text(self) -> str:
        return self.passage.chunk.text[self.start : self.end]

    @property
    def sentence(self) -> str:
        return self.passage.chunk.text[self.sent_start : self.sent_end]

    @property
    def context(self) -> str:
        chunk = self.passage.chunk
        return f"{chunk.title}\n{chunk.section}\n{chunk.text}"


@dataclass(frozen=True)
class Span:
    """The answer inside a clause (offsets in passage text) and how to say it."""

    start: int
    end: int
    text: str
    english: str = ""
    quality: float = 0.0  # 0..1: how well the span fits what was asked (unit, nearness to the asked noun)


@lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    """Width-folded, lower-cased, whitespace-free text for matching (（街道） == (街道))."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()
    # 社工 is the everyday short form of 社会工作(者) in this domain: match either way.
    return folded.replace("社会工作者", "社工").replace("社会工作", "社工")


def _has(concept: Concept, text: str) -> bool:
    folded = _norm(text)
    if any(_norm(f) in folded for f in concept.forms):
        return True
    if concept.entity:
        pattern = abbreviation_pattern(concept.forms)
        return bool(pattern and pattern.search(text))
    return False


def split_clauses(passage: Passage) -> list[Clause]:
    """Clauses (split at commas/semicolons/colons) of every sentence of a passage."""
    text = passage.chunk.text
    clauses = []
    for s, e in split_sentences(text):
        cursor = s
        for m in _CLAUSE_END.finditer(text, s, e):
            if text[cursor : m.start()].strip():
                clauses.append(Clause(passage, cursor, m.start(), s, e))
            cursor = m.end()
        if text[cursor:e].strip():
            clauses.append(Clause(passage, cursor, e, s, e))
    return [_strip(c) for c in clauses]


def _strip(clause: Clause) -> Clause:
    text = clause.passage.chunk.text
    start, end = clause.start, clause.end
    while start < end and (text[start].isspace() or text[start] in "。！？；!?;…"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in "。！？；!?;…"):
        end -= 1
    return replace(clause, start=start, end=end)


class ExtractiveAnswerer(Answerer):
    """The first reader (mode ``rules``): hand-written evidence selection and span rules, kept for
    comparison and for follow-up rewriting; the default is the learned reader (``reader/``)."""

    mode = "rules"

    def __init__(
        self, context: QuestionContext | None = None, *, min_score: float = MIN_SCORE, names: ProperNames | None = None
    ) -> None:
        self._context = context
        self.min_score = min_score
        self.names = names  # off-corpus English names (None: not checked; the reader passes its own)

    # ------------------------------------------------------------------ follow-ups
    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """A bare follow-up ("那河北呢？", "What about Hebei?") rewritten by rules into the
        previous question about the new place; other questions unchanged."""
        from .followup import rewrite_by_rules

        return rewrite_by_rules(question, history, self._english_places) if history else question

    def _english_places(self, text: str) -> list[str]:
        """Glossary/pinyin terms of an English question whose Chinese form is a place name."""
        from .followup import english_place_terms

        if self._context is None:
            return []
        return [english for english, _ in english_place_terms(self._context(text)[0])]

    # ------------------------------------------------------------------ main
    def _answer(self, question, passages, *, language, history):
        if not passages:
            return refusal(question, language, self.mode)
        off_corpus = off_corpus_refusal(self.names, question, language, self.mode, passages)
        if off_corpus is not None:
            return off_corpus
        groups, vocabulary = self._context(question) if self._context else ((), None)
        parts = _sub_questions(question)
        if len(parts) > 1:
            return self._answer_parts(question, parts, passages, language, groups, vocabulary)
        parsed = parse_question(question, language, groups, vocabulary)
        found = self._find(parsed, passages)
        if found is None:
            return refusal(question, language, self.mode)
        clause, span, _ = found
        spans = [(clause, span)]
        if parsed.parts > 1 and parsed.kind == "number":
            spans += self._more_numbers(parsed, clause, span, parsed.parts - 1)
        return self._compose(question, language, spans)

    def _more_numbers(self, q: ParsedQuestion, chosen: Clause, span: Span, wanted: int) -> list[tuple[Clause, Span]]:
        """Further values asked for ("报名人数和通过人数分别是多少"), from the chosen sentence."""
        used = {(chosen.passage.chunk.chunk_id, span.start)}
        extra: list[tuple[float, Clause, Span]] = []
        for clause in split_clauses(chosen.passage):
            if clause.sent_start != chosen.sent_start:
                continue
            while True:
                found = self._number_span(replace(q, unit=""), clause, frozenset(used))
                if found is None:
                    break
                used.add((clause.passage.chunk.chunk_id, found.start))
                extra.append((found.quality - 0.01 * abs(clause.start - chosen.start), clause, found))
        extra.sort(key=lambda item: -item[0])
        return [(c, sp) for _, c, sp in sorted(extra[:wanted], key=lambda item: item[2].start)]

    def _answer_parts(self, question, parts, passages, language, groups, vocabulary) -> Answer:
        whole = parse_question(question, language, groups, vocabulary)
        found = []
        for part in parts:
            parsed = parse_question(part, language, groups if language == "en" else (), vocabulary)
            inherited = [c for c in whole.concepts if c.entity and not any(c.label == d.label for d in parsed.concepts)]
            context = [replace(c, key=False, weight=c.weight * 0.5) for c in whole.concepts if not c.entity and not any(c.label == d.label for d in parsed.concepts)]
            parsed = replace(parsed, concepts=parsed.concepts + tuple(inherited) + tuple(context))
            used = frozenset((c.passage.chunk.chunk_id, sp.start) for c, sp in found)
            hit = self._find(parsed, passages, used)
            if hit is None:
                return refusal(question, language, self.mode)
            found.append(hit[:2])
        if len({c.passage.chunk.chunk_id for c, _ in found}) == 1 and language == "zh":
            # Parts asked in one breath ("共收到多少篇？其中多少篇入选？") follow the text's order.
            spans = sorted(sp.start for _, sp in found)
            by_start = {sp.start: (c, sp) for c, sp in found}
            found = [by_start[s] for s in spans]
        return self._compose(question, language, found)

    # ------------------------------------------------------------------ evidence
    def _find(
        self, q: ParsedQuestion, passages: Sequence[Passage], exclude: frozenset = frozenset()
    ) -> tuple[Clause, Span, float] | None:
        """The best supported clause and its answer span, or None (refuse)."""
        if not q.concepts:
            return None
        contexts = [f"{p.chunk.title}\n{p.chunk.section}\n{p.chunk.text}" for p in passages]
        for concept in q.entities:
            if not any(_has(concept, ctx) for ctx in contexts):
                return None  # the question names something no passage mentions
        total = sum(c.weight for c in q.concepts) or 1.0
        best: tuple[float, Clause, Span] | None = None
        for passage, context in zip(passages, contexts):
            if not all(_has(e, context) for e in q.entities):
                continue
            for clause in split_clauses(passage):
                if q.keys and not any(_has(k, clause.sentence) for k in q.keys):
                    continue  # the sentence never mentions what is asked about
                score = self._score(q, clause, total)
                if best is not None and score + 0.12 <= best[0]:
                    continue
                span = self._span(q, clause, exclude)
                if span is None:
                    continue
                score += 0.12 * span.quality
                if best is None or score > best[0]:
                    best = (score, clause, span)
        if best is None or best[0] < self.min_score:
            return None
        return best[1], best[2], best[0]

    def _score(self, q: ParsedQuestion, clause: Clause, total: float) -> float:
        text, sentence, context = clause.text, clause.sentence, clause.context
        score = 0.0
        for concept in q.concepts:
            if _has(concept, text):
                score += concept.weight
            elif _has(concept, sentence):
                score += 0.6 * concept.weight
            elif _has(concept, context):
                score += 0.35 * concept.weight
        score /= total
        if q.keys and any(_has(k, text) for k in q.keys):
            score += 0.1
        if q.kind not in ("number", "comparison", "when"):
            title = _norm(clause.passage.chunk.title)
            restates_title = bool(title) and _norm(text) in title
            score += 0.0 if restates_title else 0.2 * _novelty(q, text)
        score += 0.06 / max(1, clause.passage.rank)
        return score

    # ------------------------------------------------------------------ spans
    def _span(self, q: ParsedQuestion, clause: Clause, exclude: frozenset = frozenset()) -> Span | None:
        if q.kind in ("number", "comparison") or (q.kind == "when" and q.wants_year):
            return self._number_span(q, clause, exclude)
        if q.kind == "when":
            m = _DATE.search(clause.text)
            if not m:
                return None
            return self._make(clause, m.start(), m.end(), english=_english_date(m.group()))
        text = clause.text
        if q.kind == "where":
            place = place_after_preposition(text) or next(
                (p for p in named_places(text) if not any(p in f or f in p for c in q.concepts for f in c.forms)), None
            )
            if not place:
                return None
            i = text.find(place)
            return self._make(clause, i, i + len(place))
        if q.kind == "who":
            name = _person_near(text, q)
            if name:
                i = text.find(name)
                return self._make(clause, i, i + len(name), quality=0.8)
        if q.kind in ("what", "which", "list"):
            quotes = [m for m in _QUOTE.finditer(text) if not any(m.group(1) in f for c in q.concepts for f in c.forms)]
            if quotes and q.keys and any(_has(k, text) for k in q.keys):
                return self._make(clause, quotes[0].start(), quotes[-1].end())
        return self._make(clause, 0, len(text))

    def _number_span(self, q: ParsedQuestion, clause: Clause, exclude: frozenset = frozenset()) -> Span | None:
        from ..numbers import extract_numbers

        text = clause.text
        question_numbers = {m.value for m in extract_numbers(q.text)}
        keys = q.keys
        if keys and not any(_has(k, text) for k in keys) and not any(_has(k, clause.sentence) for k in keys):
            return None
        best = None
        for m in extract_numbers(text):
            if m.is_year != q.wants_year or (m.value in question_numbers and not q.wants_year):
                continue
            if q.wants_year and not m.is_year:
                continue
            score = 0.0
            if (clause.passage.chunk.chunk_id, clause.start + m.start) in exclude:
                continue
            if q.unit in _UNIT_FAMILIES and m.unit not in _UNIT_FAMILIES[q.unit]:
                continue
            if q.unit and (m.unit == q.unit or (q.unit == "人" and m.unit in "人名")):
                score += 2.0
            elif q.unit and m.unit and q.unit != m.unit:
                score -= 1.0
            distance = _attachment_distance(text, m, keys or q.concepts)
            if distance is not None:
                score += 1.0 / (1 + distance / 4)
            if best is None or score > best[0]:
                best = (score, m)
        if best is None:
            return None
        score, m = best
        quality = max(0.0, min(1.0, (score + 1.0) / 4.0))
        return self._make(clause, m.start, m.end, english=_english_number(m), quality=quality)

    @staticmethod
    def _make(clause: Clause, start: int, end: int, english: str = "", quality: float = 0.5) -> Span:
        text = clause.text[start:end]
        return Span(clause.start + start, clause.start + end, text, english or text, quality)

    # ------------------------------------------------------------------ answer text
    def _compose(self, question: str, language: str, found: list[tuple[Clause, Span]]) -> Answer:
        citations: list[Citation] = []
        numbers: dict[str, int] = {}
        pieces, quotes, shorts = [], [], []
        for clause, span in found:
            chunk = clause.passage.chunk
            n = numbers.get(chunk.chunk_id)
            if n is None:
                n = numbers[chunk.chunk_id] = len(numbers) + 1
                citations.append(citation(clause.passage, n, (span.start, span.end)))
            whole_clause = span.start == clause.start and span.end == clause.end
            if whole_clause:
                # The clause is the answer: say the sentence it stands in, trimmed around it.
                said = _trim(clause.sentence, span.start - clause.sent_start, span.end - clause.sent_start, limit=160)
                pieces.append(f"“{said}” [{n}]" if language == "en" else f"{said} [{n}]")
                shorts.append(span.text)
                continue
            said = span.english if language == "en" else span.text
            pieces.append(f"{said} [{n}]")
            shorts.append(span.text)
            quote = _trim(clause.text, span.start - clause.start, span.end - clause.start)
            if quote != span.text and quote not in quotes:
                quotes.append(quote)
        if language == "en":
            text = "; ".join(pieces)
            if quotes:
                text += " — source: " + " / ".join(f"“{q}”" for q in quotes)
        else:
            text = "；".join(pieces)
            if quotes:
                text += "。原文：" + "／".join(f"“{q}”" for q in quotes)
        return Answer(
            question=question,
            answer=text[:400],
            refused=False,
            language=language,
            mode=self.mode,
            citations=tuple(citations),
            short_answer="；".join(shorts),
            confidence=1.0,  # the rules have no calibrated confidence: an answer is all or nothing
        )


_BREAK = re.compile(r"[，,、；;：:。（）()《》“”]")


def _attachment_distance(text: str, m, concepts: Sequence[Concept]) -> float | None:
    """How far a number sits from the asked noun, in the way Chinese attaches them:
    "社工站850个" (noun, then number) or "398所高等院校" (number+unit, then noun). Crossing
    punctuation ("2个、乡镇社工站75个") makes the link weak."""
    best: float | None = None
    for concept in concepts:
        for form in concept.forms:
            if not form:
                continue
            start = text.find(form)
            while start >= 0:
                end = start + len(form)
                if end <= m.start:  # noun before the number
                    gap = text[end : m.start]
                    d = len(gap.strip()) + (10 if _BREAK.search(gap) else 0)
                elif m.end <= start:  # number+unit before the noun
                    gap = text[m.end : start]
                    d = len(gap.strip()) + 1 + (10 if _BREAK.search(gap) else 0)
                else:
                    d = 0
                best = d if best is None else min(best, d)
                start = text.find(form, start + 1)
    return best


def _person_near(text: str, q: ParsedQuestion) -> str | None:
    """A person's name right after (or before) the asked title: "副市长顾建康" -> 顾建康."""
    from .question import _posseg

    tokens, pos = [], 0
    for piece in _posseg().cut(text):
        tokens.append((piece.word, piece.flag, pos))
        pos += len(piece.word)
    names = [(w, start) for w, flag, start in tokens if flag == "nr" and len(w) >= 2]
    if not names:
        return None
    anchors = [text.find(f) + len(f) for c in (q.keys or q.concepts) for f in c.forms if f and f in text]
    if not anchors:
        return names[0][0] if len(names) == 1 else None
    return min(names, key=lambda n: min(abs(n[1] - a) for a in anchors))[0]


def _novelty(q: ParsedQuestion, text: str) -> float:
    """Share of a clause that is not the question's own words: a clause that only restates
    the question ("研讨会在京召开") answers nothing."""
    folded = _norm(text)
    if not folded:
        return 0.0
    covered = [False] * len(folded)
    for concept in q.concepts:
        for form in concept.forms:
            f = _norm(form)
            start = folded.find(f) if f else -1
            while start >= 0:
                for i in range(start, start + len(f)):
                    covered[i] = True
                start = folded.find(f, start + 1)
    cjk = [c for c, cov in zip(folded, covered) if not cov and re.match(f"[{HAN}A-Za-z0-9]", c)]
    return min(1.0, len(cjk) / max(8, len(folded)))


def _sub_questions(question: str) -> list[str]:
    """Split "…多少篇？其中多少篇…？" into its separate questions."""
    parts = [p.strip() for p in re.split(r"(?<=[？?])", question) if p.strip(" ？?")]
    return parts if len(parts) > 1 else [question]


def _trim(text: str, start: int, end: int, limit: int = 120) -> str:
    """The clause, shortened around the span when it is long."""
    text = re.sub(r"\s+", "", text) if not re.search(r"[A-Za-z] [A-Za-z]", text) else re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    left = max(0, start - limit // 2)
    return ("…" if left else "") + text[left : left + limit] + ("…" if left + limit < len(text) else "")


def _english_number(m) -> str:
    value = m.value
    if m.is_year:
        return f"{value:.0f}"
    shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    unit = _UNIT_EN.get(m.unit, "")
    qualifier = {"多": "more than ", "余": "more than ", "超过": "more than ", "近": "nearly ", "约": "about "}.get(m.approx, "")
    core = f"{qualifier}{shown}{unit if unit == '%' else (' ' + unit if unit else '')}"
    plain = re.fullmatch(r"[\d,.]+\s*[个家所篇名人天年元次项位%]?", m.text.strip())
    return core if plain else f"{core} ({m.text.strip()})"


def _english_date(text: str) -> str:
    m = re.fullmatch(r"(?:(\d{4})年)?(?:(\d{1,2})月)?(?:(\d{1,2})日)?", text)
    if not m:
        return text
    year, month, day = m.groups()
    if month and day:
        english = f"{EN_MONTHS[int(month) - 1]} {int(day)}" + (f", {year}" if year else "")
    elif month:
        english = f"{EN_MONTHS[int(month) - 1]} {year or ''}".strip()
    else:
        english = year or text
    return f"{english} ({text})"
