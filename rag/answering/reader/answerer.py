"""The default answer mode: a learned span reader over the retrieved passages.

Each of the top passages is read together with the question by the fine-tuned encoder
(:mod:`.model`); every window proposes its best spans and its "no answer" score; the candidates of
all windows compete in one softmax, equal answers pooling their probability. A learned ranker
(:mod:`.ranking`, weights in :mod:`.calibration`) weighs each candidate's probability together
with what it looks like (its overlap with the question, its closeness to the question's words in
the passage, its type against the question's kind, its length and word boundaries, how much the
reader's other proposed cuts agree with it; for a why /
how question the sentences around the best spans compete too); the winner's
score is mapped to a calibrated confidence, and an answer below the
threshold fitted for the question's language (or ``min_confidence`` when set) is refused. The
question's named places, people and years must also appear in some passage (the rule the
previous reader had), so "Tibet" is not answered from Inner Mongolia,
and so must a capitalised proper name of an English question that the bridge does not know because
the corpus lacks it ("What is the population of Paris?": :mod:`..names`). A yes / no question
is answered with a verdict (是 / 否, Yes / No: whether the clause that answers is negated) and the
sentence it rests on.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from ...chunking import split_sentences
from ...glossary import english_words
from ...language import ENGLISH_FUNCTION_WORDS, HAN, HAN_RUN, is_cjk
from ...models import Answer, Citation, Passage
from ...numbers import (
    DURATION_MEASURE_WORDS,
    PERSON_MEASURE_WORDS,
    asked_comparison,
    counts_only,
    counts_other_than,
    edition,
    edition_mentions,
    english_ordinal,
    editions_in,
    nth,
    nth_counter,
    nth_mentions,
    ordinals_in,
    extract_numbers,
    is_calendar_date,
    is_count,
    is_ordinal,
    standing,
    standings_in,
    states_number,
    states_money,
    states_quantity,
    states_share,
    states_day,
    states_time,
)
from ..base import Answerer, citation, refusal
from ..names import ProperNames, off_corpus_refusal, passage_texts
from ..question import (
    DEPUTY_MARKERS,
    OFFICE_TITLES,
    Alternatives,
    Order,
    _posseg,
    asked_alternatives,
    asked_counted,
    asked_deputy_titles,
    asked_grade,
    asked_order,
    asked_titles,
    asks_count,
    asks_name,
    asks_rank,
    asks_share,
    asks_time,
    asks_yes_no,
    claims_all,
    award_stage,
    building_stage,
    count_parts,
    countries_in,
    counted_before,
    counted_after,
    counted_head,
    counts_bodies,
    counted_noun_phrase,
    counted_phrase,
    deputy_spans,
    extent_kind,
    grade_dropped,
    modified_otherwise,
    names_people,
    names_title,
    negated,
    office_elsewhere,
    office_of_another_place,
    parse_question,
    place_nesting,
    place_tiers,
    places_in,
    asks_day,
    asks_national,
    national_count,
    asked_years,
    relative_years,
    claims_only,
    combined,
    predicate_tail,
    regional_whole,
    question_kind,
    sibling_nouns,
    title_run,
    titled_otherwise,
    without_each_request,
    yes_no_predicate,
)
from .calibration import Calibration
from .extent import CLAUSE_OR_SENTENCE, EDGE, after_last, clean_span, letters
from .features import SpanChoice, Window, best_spans, build_windows
from .ranking import QuestionView, base_features, bigram_share, candidate_features, support

_SENTENCE_END = re.compile(r"[。！？!?]|\.\s|\n")
_PERSON_TIMES = frozenset({"人次"})  # visits or services counted per person, not people
_PERSON_TIMES_ASKED = re.compile(r"人次|person[- ]times|\bvisits\b|\btimes\b", re.I)
_OCCURRENCES = frozenset({"次", "人次"})  # how often something happened, not how many things there are
_PERSON_TIMES_NAMED = re.compile(r"人次|person[- ]times", re.I)  # asked by name: the answer counts 人次
_CLAUSE_END = re.compile(r"[，,；;：:]")


@dataclass(frozen=True)
class Candidate:
    passage: Passage
    start: int  # offsets in passage text
    end: int
    text: str
    probability: float  # pooled over windows with the same answer text
    margin: float  # best span score minus the best no-answer score
    confidence: float = 0.0  # calibrated: the chance that this is the right answer
    features: tuple[tuple[str, float], ...] = ()  # what the ranker weighed (ranking.FEATURES)
    sentence: bool = False  # the whole sentence around proposed spans (why / how questions)


_LIST_MARKS = frozenset("、，,；;")  # between the items of a list of labelled values
_SHARE_UNITS = frozenset({"%"})  # what a share states ("83%", "百分之九十"): no count of things


def _key(text: str) -> str:
    return re.sub(r"\W+", "", unicodedata.normalize("NFKC", text)).lower()


def _with_unit(text: str, start: int, end: int) -> tuple[int, int]:
    """A span that ends inside a number's mention ("35" of "35人", "0.304" of "0.304平方公里",
    "人数突增至2000余人" of "…2000余人次", when it holds no other number) is extended to the end of the
    mention, so the number carries its unit or measure word (not a year: "2020" of "2020年9月12日"
    is the start of a date)."""
    from ...numbers import extract_numbers

    lo = max(0, start - 12)
    mentions = [(lo + m.start, lo + m.end, m) for m in extract_numbers(text[lo : min(len(text), end + 12)])]
    for m_start, m_end, m in mentions:
        if m.unit and not m.is_year and max(m_start, start) < end < m_end:  # a year may be part of a date
            if m_start > start and any(start <= a < m_start for a, _, _ in mentions):
                break  # a cut over two numbers ("150余支…活动100余") is not one number's mention
            return start, m_end
    return start, end


def _with_qualifier(text: str, start: int, end: int) -> int:
    """The start of a span that begins on a number the passage qualifies ("22平方公里" of
    "约22平方公里", "200名" of "近200名", "1.3 million" of "more than 1.3 million") moved to the
    qualifier: "about 22" is what the passage says, "22" is not."""
    lo = max(0, start - 24)
    for m in extract_numbers(text[lo : min(len(text), end + 1)]):
        m_start, m_end = lo + m.start, lo + m.end
        if m.approx and m_start < start < m_end and not any(ch.isdigit() for ch in text[m_start:start]):
            return m_start
    return start


_RANGE_JOIN = re.compile(r"\s*(?:至|到|~|～|－|—|-)\s*")


def _with_range(text: str, start: int, end: int) -> tuple[int, int]:
    """A number that is one end of a range ("12℃" of "8至12℃", "3" of "3到5年") is carried to the
    whole range: the passage gives the range, not one of its ends."""
    from ...numbers import extract_numbers

    lo = max(0, start - 16)
    mentions = [(lo + m.start, lo + m.end) for m in extract_numbers(text[lo : min(len(text), end + 16)])]
    inside = [i for i, (a, b) in enumerate(mentions) if a <= start < b or (start <= a and b <= end)]
    head = text[start:end].lstrip()[:1]
    if not inside or (is_cjk(head) and not _NUMBERISH.match(head)):  # "气温8至12℃" is no number
        return start, end
    first, last = inside[0], inside[-1]
    if first > 0 and _RANGE_JOIN.fullmatch(text, mentions[first - 1][1], mentions[first][0]):
        start = mentions[first - 1][0]
        if start > 0 and text[start - 1] in "-－" and not re.match(r"[0-9A-Za-z０-９]", text[max(0, start - 2) : start - 1]):
            start -= 1  # a negative lower end: "-5~30℃"
    if last + 1 < len(mentions) and _RANGE_JOIN.fullmatch(text, mentions[last][1], mentions[last + 1][0]):
        end = max(end, mentions[last + 1][1])
    return start, end


_NUMBERISH = re.compile(r"[0-9０-９〇零一二两三四五六七八九十百千万亿近约逾超多余]")
_DAY_AFTER = re.compile(r"\s*(?:[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]")


def _with_day(text: str, start: int, end: int) -> tuple[int, int]:
    """A span that ends on a month whose day follows ("4月" of "4月29日") is carried to the day: a
    date cut after its month is not the date the passage gives."""
    if end > start and text[end - 1] == "月":
        m = _DAY_AFTER.match(text, end)
        if m:
            return start, m.end()
    return start, end


class ReaderAnswerer(Answerer):
    mode = "extractive"
    # How far the pipeline widens each passage into its article before reading (Pipeline.widen);
    # 0: the chunks as retrieved (measured best, see README).
    context_chars = 0
    bridge_terms = True
    require_all_entities = True  # read only passages that name all the question's named things  # English questions carry their bridged Chinese terms into the reader

    def __init__(
        self,
        context: Callable | None = None,
        *,
        model=None,
        calibration: Calibration | None = None,
        read_k: int = 3,
        min_confidence: float | None = None,
        names: ProperNames | None = None,
    ) -> None:
        from ..extractive import ExtractiveAnswerer

        if model is None:
            from .model import load_span_model

            model = load_span_model()
        self._model = model
        self._context = context
        self._rules = ExtractiveAnswerer(context=context)  # follow-up rewriting rules
        self.calibration = calibration or Calibration.load()
        self.read_k = read_k
        self.spans: int | None = None  # spans per window; None: what the question language's scorer was fitted on
        # every ranker feature for every question (eval.calibrate); else a language whose scorer has no
        # ranker gets only what its plain scorer weighs (base_features), and no sentence candidates
        self.all_features = False
        # None: the calibration's threshold of the question's language; a number overrides both
        self.min_confidence = min_confidence
        # English proper names -> Chinese (the full CC-CEDICT, read on first use and kept here)
        self.names = names if names is not None else ProperNames()

    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        return self._rules.condense(question, history)

    def threshold(self, language: str | None) -> float:
        """Answers of a question in ``language`` below this confidence are refused: ``min_confidence``
        when set (``RAG_MIN_CONFIDENCE``), else the threshold fitted for that language."""
        return self.calibration.threshold_for(language) if self.min_confidence is None else self.min_confidence

    # ------------------------------------------------------------------ reading
    def candidates(self, question: str, passages: Sequence[Passage], language: str | None = None) -> list[Candidate]:
        """Every proposed answer, best first, with pooled probabilities and the confidence of a
        question in ``language``."""
        cal = self.calibration
        rerank = cal.reranking(language)
        passages = list(passages)[: rerank.read(self.read_k)]
        if not passages:
            return []
        spans = self.spans or cal.scorer(language).spans  # the candidate pool its scorer was fitted on
        read = self.reading(question, passages, spans)
        # the passages answered from: the first read_k in the reader's order (rerank.Rerank), ranked anew
        kept = rerank.order([p.rank for p in passages], *passage_scores(read, len(passages)))[: self.read_k]
        if rerank.passages:
            passages = [replace(p, rank=kept.index(i) + 1) if i in kept else p for i, p in enumerate(passages)]
        choices = [c for w, cs, _ in read if w.passage_index in kept for c in cs]
        nulls = [n for w, _, n in read if w.passage_index in kept]
        if not choices:
            return []
        scores = np.array([c.score for c in choices] + nulls)
        probs = np.exp(scores - scores.max())
        probs /= probs.sum()
        view = QuestionView.of(question, language or "zh")
        titles = asked_titles(question)
        deputies_named = asked_deputy_titles(question)
        person = view.kind == "who" or bool(titles) or bool(deputies_named)
        # English questions only: the Chinese ranker weighs the words around each cut itself
        labelled = language == "en" and view.kind == "number" and count_parts(question) == 1
        pooled: dict[str, Candidate] = {}
        for c, p in zip(choices, probs):
            text = passages[c.passage_index].chunk.text
            a, b = _with_range(text, *_with_day(text, *_with_unit(text, *clean_span(text, c.start_char, c.end_char))))
            a = _with_qualifier(text, a, b)
            if labelled and any(ch in _LIST_MARKS for ch in text[a:b]):  # "100元、社会工作师200元、高级社会工作师400元": the value of the label asked
                a, b = _labelled_value(text, a, b, question)
            if person:  # "康" or "建康" of "副市长顾建康": the whole name after the title
                a = _name_start(text, a, b)
            if b <= a:
                continue
            key = _key(text[a:b])
            if not key or _SENTENCE_END.search(text, a, b):
                continue  # an answer does not run across the end of a sentence
            margin = c.score - max(nulls)
            prev = pooled.get(key)
            if prev is None:
                pooled[key] = Candidate(passages[c.passage_index], a, b, text[a:b], float(p), margin)
            else:
                pooled[key] = Candidate(prev.passage, prev.start, prev.end, prev.text, prev.probability + float(p), max(prev.margin, margin))
        full = self.all_features or bool(cal.scorer(language).ranker)
        pool = list(pooled.values())
        if view.reason and full:  # why / how: the sentences around the best spans compete with the spans
            pool += _sentences(pooled)
        scored = []
        agreement = support([c.text for c in pool], [c.probability for c in pool], [not c.sentence for c in pool]) if full else []
        for i, c in enumerate(pool):
            if full:
                f = candidate_features(view, c.passage.chunk.text, c.start, c.end, probability=c.probability,
                                       margin=c.margin, rank=c.passage.rank, sentence=c.sentence, agreement=agreement[i])
            else:
                f = base_features(probability=c.probability, margin=c.margin, rank=c.passage.rank)
            scored.append((cal.score(f, language), replace(c, confidence=cal.confidence(f, language), features=tuple(f.items()))))
        ranked = [c for _, c in sorted(scored, key=lambda t: -t[0])]
        if person:  # no one is named by one character
            ranked = [c for c in ranked if letters(c.text) > 1]
        if titles:  # "who is the 总裁": not the 副总裁 the passage names
            deputies = {p.chunk.chunk_id: deputy_spans(p.chunk.text, titles) for p in passages}
            ranked = [c for c in ranked if not any(c.start < b and a < c.end for a, b in deputies[c.passage.chunk.chunk_id])]
            if view.kind == "who" or asks_name(question):  # nor someone no sentence names with the office (党委书记 for a 校长)
                ranked = [c for c in ranked if _holds_title(c.text, passages, titles)]
                # nor the holder of that office in another organisation (a bureau's 党委书记 for the city's)
                ranked = [c for c in ranked if not office_elsewhere(question, c.passage.chunk.text, c.start, c.end, titles)
                          and not titled_otherwise(c.passage.chunk.text, c.start, titles)]
                # nor the holder of it in another place (a city's 政法委书记 for the province's)
                outer = place_nesting(question)[1]
                tiers = {p: t for p, t in place_tiers(question).items() if p not in outer}
                ranked = [c for c in ranked if not office_of_another_place(tiers, c.passage.chunk.text, c.start)]
        if deputies_named and not titles and view.kind in ("who", "which"):  # "哪位副院长": someone a sentence names with that title
            ranked = [c for c in ranked if _holds_title(c.text, passages, deputies_named)]
        asked_edition = edition(question, language)
        if asked_edition is not None:  # "首届…": not what a sentence tells of the third
            ranked = [c for c in ranked if not _of_another_edition(asked_edition, c)]
        asked_standing = standing(question, language or "zh")
        if asked_standing is not None and not asks_yes_no(question, language or "zh"):
            # "排第一的是哪个市": not the city a sentence ranks second ("是不是全省排第一" reads it: _yes_no)
            ranked = [c for c in ranked if not _of_another_standing(asked_standing, c)]
        award = award_stage(question, asked=True)
        if award is not None and not view.reason:  # "最终获奖的有几个": not the 14 put forward for it (推荐…参评)
            ranked = [c for c in ranked if award_stage(_leading_clause(c)) in (None, award)]
        if language == "en" and view.kind in ("who", "which") and ranked and count_parts(question) == 1:
            # an English question names the person's organisation and title in words the reader
            # ties loosely to the Chinese; its bridged terms in their titles say who is meant
            ranked = _by_role(question, ranked, self.threshold(language))
        if language == "en" and ranked and not view.reason:
            # "Which organisation counts the CFSW among its members?": not 中国社会工作联合会 itself
            ranked = _past_echo(question, ranked, self.threshold(language))
        if not view.reason and asks_time(question, language or "zh"):  # "哪一年": a time, not "校一地一会"
            ranked = [c for c in ranked if states_time(c.text)]
        if not view.reason and asks_day(question):  # "哪天考": a day, not "今年湘潭市"
            ranked = [c for c in ranked if states_day(c.text)]
        if view.kind in ("where", "who", "which") and not view.reason:  # "开在哪个镇": a place, not "六个街镇"
            ranked = [c for c in ranked if not is_count(c.text)]
        if view.kind == "number" and not view.reason:  # "how many", "how long": a number, not a date
            stated = states_number if asks_rank(question) else states_quantity  # "排第几": "第二"
            ranked = [c for c in ranked if stated(m := _measured(c)) and not is_calendar_date(m)]
            given = _given_numbers(question, language or "zh")
            if given:  # "264个试点项目中，鄂尔多斯市占了多少个": not the 264 the question states
                ranked = [c for c in ranked if not _restates(_measured(c), given)]
            if count_parts(question) == 1:  # not "how many activities, and what share of them"
                if asks_share(question, language or "zh"):  # "what share": "63.7%", not "130万"
                    shares = [c for c in ranked if states_share(_measured(c))]
                    # the reader cut only the count beside it ("1435家" of "…1435家，覆盖率达到63.7%")
                    ranked = shares or _share_beside(ranked[:1])
                elif asks_count(question, language or "zh"):  # "how many levels": not "83%", nor "2.7亿元"
                    # nor, for things counted by a measure word ("多少个乡镇社工站"), "九成乡镇"; people may
                    # be counted by a fraction ("三分之二的人口" for "how many people died")
                    things = bool(view.unit) and view.unit not in PERSON_MEASURE_WORDS
                    ranked = [c for c in ranked if not (_share_only if things else _percent_only)(m := _measured(c))
                              and (view.unit == "元" or not states_money(m))]
                if view.unit == "元":  # "what salary", "多少元", "投了多少资金": a sum of money, not a head count
                    ranked = [c for c in ranked if states_money(_measured(c))]
                # "how many volunteers": not "13家" (organisations); "how long": not "95篇"
                family = next((f for f in (PERSON_MEASURE_WORDS, DURATION_MEASURE_WORDS) if view.unit in f), None)
                if family is not None:
                    ranked = [c for c in ranked if not counts_other_than(_measured(c), family)]
                if language == "zh" and _counts_things(question, view.unit):
                    # "多少家社会工作服务机构": not "超过130万" of "超过130万社会工作者" (people)
                    ranked = [c for c in ranked if not _counts_people(c)]
                if view.unit == "人" and not _PERSON_TIMES_ASKED.search(question):  # a head count, not "3500余人次"
                    ranked = [c for c in ranked if not counts_only(_measured(c), _PERSON_TIMES)]
                if _PERSON_TIMES_NAMED.search(question):  # "多少人次", "how many person-times": 人次, not "264个"
                    ranked = [c for c in ranked if "人次" in _measured(c)]
                nouns = self._counted_nouns(question, language or "zh")
                bodies = [n for n in nouns if counts_bodies(n)]
                if bodies:  # "how many social work stations": not "累计13次", nor the 5 of "5个小组…"
                    ranked = [c for c in ranked if not counts_only(_measured(c), _OCCURRENCES)
                              and not _counts_another_body(bodies, c)]
                if nouns:  # "多少个社工室": not "社工站850个"
                    kept = [c for c in ranked if not _counts_a_sibling(nouns, c)]
                    if len(kept) < len(ranked) and not any(counted_head(n) in c.passage.chunk.text for n in nouns for c in ranked):
                        # the passages count another kind of the thing and never name the thing itself
                        kept = []
                    ranked = kept
                if language == "en" and nouns and not view.unit and not all(names_people(n) for n in nouns):
                    # (a rendering naming people among others does not make them people: 硕士 of
                    # "master's programmes" beside 硕士点)
                    # "how many social work rooms" (社工室, the glossary says): not "近3万人", nor
                    # "超过130万" of "超过130万社会工作者" for "how many … organisations"
                    ranked = [c for c in ranked if not _counts_people(c)]
            asked = _asked_places(question)
            if asked:  # "how many … does Langfang have": not Hebei's count, with Langfang in the next clause
                ranked = [c for c in ranked if not _counted_elsewhere(asked, c)]
                if not asks_national(question, language) and not countries_in(question):
                    # "太仓有多少专业社工": not "我国虽然已经有150万的专业社工"
                    ranked = [c for c in ranked if not national_count(_leading_clause(c))]
            if asks_national(question, language):  # "全国…建起了多少个社工站": not "全区已建成社工站850个"
                ranked = [c for c in ranked if not _counted_below_the_nation(c)]
            countries = countries_in(question)
            if countries:  # "法国有多少所高校…": not the 398所 of a sentence counting China's
                ranked = [c for c in ranked if not _counted_in_another_country(countries, c)]
            grade = asked_grade(question)
            if grade is not None:  # "多少人具有高级社会工作师资格": not the count of all 社会工作师
                ranked = [c for c in ranked if not grade_dropped(grade, _sentence_of(c))]
            stage = building_stage(question)
            if stage is not None:  # "建成了多少个": not the count of those still being built (在建), nor the reverse
                ranked = [c for c in ranked if building_stage(_leading_clause(c)) in (None, stage)]
            years = asked_years(question)
            if years and ranked and _dated_otherwise(years, ranked[0]):
                # "湘潭市2022年…有多少人通过": the sentence that best answers it counts 今年's; any other
                # number of the passages answers another question
                ranked = []
            if language == "zh" and count_parts(question) == 1:
                ranked = _labelled_as_asked(question, ranked, self.threshold(language))
            if language == "en" and not view.unit and count_parts(question) == 1:
                ranked = self._counted_here(question, ranked)
            if language == "en" and count_parts(question) == 1 and not counted_phrase(question):
                ranked = self._labelled_here(question, ranked)  # "how much do senior social workers get"
        return ranked

    def reading(self, question: str, passages: Sequence[Passage], spans: int) -> list[tuple[Window, list[SpanChoice], float]]:
        """Each window of the passages as read with the question: its ``spans`` best spans and
        its "no answer" score."""
        tok = self._model.tokenizer
        q = tok.encode(question)
        windows = []
        for i, p in enumerate(passages):
            windows += build_windows(tok, q, p.chunk.text, max_len=self._model.max_len, stride=self._model.stride, passage_index=i)
        logits = self._model.logits(windows)
        return [(w, best_spans(w, s, e, top=spans), float(s[0] + e[0])) for w, (s, e) in zip(windows, logits)]

    def _counted_here(self, question: str, ranked: list[Candidate]) -> list[Candidate]:
        """An English "how many <things>" is answered with the number whose clause names those
        things, when one passes the threshold: a Chinese number stands next to the noun it counts
        ("已建成乡镇（街道）社工站3.9万个" for "How many social work stations …", not "社会工作服务机构
        1.9万家" before it in the same sentence). Only the glossary's renderings choose (curated: a
        dictionary gloss of "digits" is too loose to pick a clause by); a span that runs over a
        clause is not in one, and a share is no count. Nothing is refused for it: when no such
        number passes the threshold, the order stays."""
        phrase = counted_phrase(question)
        if not phrase or not ranked or self._context is None:
            return ranked
        groups, _ = self._context(question)
        forms = {f for g in groups if g.source == "glossary" and g.english in phrase for f in g.chinese}
        if not forms:
            return ranked

        def names_it(c: Candidate) -> bool:
            if CLAUSE_OR_SENTENCE.search(c.text.strip(EDGE)) or counts_only(c.text, _SHARE_UNITS):
                return False  # over a clause, or a share ("43.3%的家庭") where a count is asked
            text = c.passage.chunk.text
            lo = after_last(CLAUSE_OR_SENTENCE, text, c.start)
            hi = CLAUSE_OR_SENTENCE.search(text, c.end)
            return any(f in text[lo : hi.start() if hi else len(text)] for f in forms)

        if names_it(ranked[0]):
            return ranked
        best = next((c for c in ranked if names_it(c) and c.confidence >= self.threshold("en")), None)
        return ranked if best is None else [best] + [c for c in ranked if c is not best]

    def _labelled_here(self, question: str, ranked: list[Candidate]) -> list[Candidate]:
        """An English question asking the value of one thing of a list ("how much do senior social
        workers get") is answered with the value the passage writes right after that thing's name
        ("高级社会工作师400元"), when one passes the threshold. The glossary's renderings of the
        question's words choose, as in :meth:`_counted_here`; nothing is refused for it."""
        if not ranked or self._context is None:
            return ranked
        groups, _ = self._context(question)
        forms = {f for g in groups if g.source == "glossary" for f in g.chinese if letters(f) >= 3}
        if not forms:
            return ranked

        def labelled(c: Candidate) -> bool:  # "、高级社会工作师400元": a value of a list, named as asked
            values = [m for m in extract_numbers(c.text) if not m.is_year]
            if len(values) != 1 or values[0].start > 1:
                return False
            text = c.passage.chunk.text
            label = next((f for f in forms if text[: c.start].endswith(f)), None)
            if label is None:
                return False
            return text[c.start - len(label) - 1 : c.start - len(label)] in _LIST_MARKS or text[c.end : c.end + 1] in _LIST_MARKS

        if labelled(ranked[0]):
            return ranked
        best = next((c for c in ranked if c.confidence >= self.threshold("en") and labelled(c)), None)
        return ranked if best is None else [best] + [c for c in ranked if c is not best]

    def _counted_nouns(self, question: str, language: str) -> tuple[str, ...]:
        """What a "how many" question counts, in Chinese: as written around its 多少 / 几, or the
        shipped glossary's renderings of an English question's counted words ("social work rooms"
        -> 社工室 …; curated, as in :meth:`_counted_here`)."""
        if language != "en":
            noun = asked_counted(question)
            return (noun,) if noun else ()
        phrase = counted_noun_phrase(question)
        if not phrase or self._context is None:
            return ()
        groups, _ = self._context(question)
        # the last term of the words counted is the thing ("village and community social work rooms")
        named = [(phrase.rfind(g.english), g) for g in groups if g.source == "glossary" and g.english in phrase]
        return max(named, key=lambda t: t[0])[1].chinese if named else ()

    def _bridged_parts(self, question: str, passages: Sequence[Passage] = ()) -> list[str]:
        """An English question's parts (:func:`_english_parts`), each bridged (:meth:`_bridged`);
        a part of two also reads the places, people and organisations the whole question names
        ("…, and which university co-founded it?" is about the institute the first part names), not
        the other part's terms (the labels of "…assistant social worker…, and how much do senior
        social workers get" would blur each other)."""
        pieces = _english_parts(question)
        if len(pieces) == 1:
            return [self._bridged(question, passages)]
        if self._context is None or not self.bridge_terms:
            return pieces
        groups, vocabulary = self._context(question)
        named = [f for concept in parse_question(question, "en", groups, vocabulary).entities
                 for f in concept.forms[:2] if re.search(f"[{HAN}]", f)]
        written = self.names.written_forms(question, passage_texts(passages)) if passages else []
        return [self._bridged(piece, extra=[*named, *written]) for piece in pieces]

    def _bridged(self, question: str, passages: Sequence[Passage] = (), extra: Sequence[str] = ()) -> str:
        """An English question with the Chinese forms of its terms appended (the retrieval bridge:
        glossary, pinyin, CC-CEDICT), so the reader can match them in the Chinese passage, and
        the forms in which ``passages`` write its proper names (Sun Yat-sen University: 中山大学);
        ``extra``: further Chinese forms to append."""
        if self._context is None or not self.bridge_terms:
            return question
        groups, _ = self._context(question)
        chinese = dict.fromkeys(f for g in groups if g.source != "literal" for f in g.chinese[:2])
        chinese.update(dict.fromkeys(extra))
        if passages:
            chinese.update(dict.fromkeys(self.names.written_forms(question, passage_texts(passages))))
        return f"{question} {' '.join(chinese)}" if chinese else question

    def _naming_passages(self, question: str, language: str, passages: Sequence[Passage]) -> list[Passage]:
        """The passages (title and section included) that name every place, person, organisation
        and year the question names; none when some named thing is in no passage. A question
        about Hebei is not answered from a passage about Inner Mongolia, nor one about Tibet."""
        if self._context is None:
            return list(passages)
        from ..extractive import _has

        groups, vocabulary = self._context(question)
        tagged = parse_question(question, language, groups, vocabulary).entities
        entities = self.names.named(tagged)  # without the ordinary nouns jieba tags as names (城市)
        if not entities:
            return list(passages)
        contexts = [f"{p.chunk.title}\n{p.chunk.section}\n{p.chunk.text}" for p in passages]
        if any(not any(_has(e, ctx) for ctx in contexts) for e in entities):
            return []
        # a passage names what the retrieved passages of its article name: a question that sets the
        # scene ("陈存根在首都师范大学座谈时提到…") may name it in one chunk, its answer in the next
        articles: dict[str, str] = {}
        for p, ctx in zip(passages, contexts):
            articles[p.chunk.article_id] = articles.get(p.chunk.article_id, "") + "\n" + ctx
        contexts = [articles[p.chunk.article_id] for p in passages]
        naming = [p for p, ctx in zip(passages, contexts) if all(_has(e, ctx) for e in entities)]
        # the ordinary nouns still choose among those, when some passage names them too
        closer = [p for p, ctx in zip(passages, contexts) if p in naming and all(_has(e, ctx) for e in tagged)]
        return (closer or naming) if self.require_all_entities else list(passages)

    # ------------------------------------------------------------------ answering
    def prepare(self, question: str, passages: Sequence[Passage], language: str) -> tuple[list[str], list[Passage], Answer | None]:
        """What is read: the question's parts (English ones with their bridged Chinese terms) and
        the passages naming what the question names, or the refusal given before any reading
        (``eval.calibrate --as-read`` fits the confidence on exactly this)."""
        from ..extractive import _sub_questions

        if not passages:
            return [], [], refusal(question, language, self.mode)
        off_corpus = off_corpus_refusal(self.names, question, language, self.mode, passages)
        if off_corpus is not None:
            return [], [], off_corpus  # "Paris": a name of the question that no retrieved passage mentions
        # the passages naming what the question names, among all retrieved (Dingxi's may be fourth)
        passages = self._naming_passages(question, language, passages)
        titles = asked_titles(question) | asked_deputy_titles(question)
        if titles and question_kind(question, language) in ("who", "which"):
            passages = _titles_first(passages, titles)  # "执行院长是哪位": the passages naming a 执行院长
        retrieved = passages
        passages = passages[: self.calibration.reranking(language).read(self.read_k)]
        if not passages:
            return [], [], refusal(question, language, self.mode, confidence=0.0)
        asked_nth, asked_edition = nth(question, language), edition(question, language)
        if asked_nth is not None or asked_edition is not None:
            articles = {p.chunk.article_id for p in passages}
            read_articles = [p for p in retrieved if p.chunk.article_id in articles]
            read = self._bridged(question, passages) if language == "en" else question
            # "第二家…社工站设在哪" over articles telling of the first (首家) and never of a second;
            # "When was the first … campaign held?" over an article on its second edition only: what
            # they name is another one's
            if ((asked_nth is not None and _tells_of_another_nth(asked_nth, read_articles, read))
                    or (asked_edition is not None and _tells_of_another_edition(asked_edition, read_articles, read))):
                return [], [], refusal(question, language, self.mode, confidence=0.0)
        parts = _sub_questions(question)
        if language == "en":
            parts = [bridged for p in parts for bridged in self._bridged_parts(p, passages)]
        return parts, passages, None

    def _answer(self, question, passages, *, language, history):
        order = asked_order(question, language)
        if order is not None and passages:  # "which came first: Kunshan or Taicang?": as the articles tell
            ordered = self._ordered(question, language, order, passages)  # each thing may have its own passage
            if ordered is not None:
                return ordered
        from ..extractive import _sub_questions

        single = len(_sub_questions(without_each_request(question, language))) == 1  # "哪个更多？分别有多少？" is one
        alternatives = asked_alternatives(question, language) if single else None
        if alternatives is not None and passages:  # "硕士点和博士点，哪个更多": both numbers, the larger named
            off_corpus = off_corpus_refusal(self.names, question, language, self.mode, passages)
            if off_corpus is not None:
                return off_corpus
            # each number from the passages naming what its own question names (the pipeline
            # retrieves those too): "昆明市和大理州，哪个…更多" has no passage naming both
            weighed = self._weigh(question, language, alternatives, passages)
            if weighed is not None:
                return weighed
        parts, passages, refused = self.prepare(question, passages, language)
        if refused is not None:
            return refused
        per_part = [self.candidates(part, passages, language) for part in parts]
        if any(not cands for cands in per_part):
            return refusal(question, language, self.mode, confidence=0.0)
        if len(parts) == 1 and asks_yes_no(question, language):
            best = per_part[0][0]
            return self._yes_no(question, parts[0], language, per_part[0], best.confidence >= self.threshold(language))
        if len(parts) == 1:
            best = per_part[0][0]
            item = _list_item(parts[0], best, language)  # "高级社会工作师400元" of the list holding the best
            extra = [] if item is not None else self._more_values(parts[0], best, per_part[0])
            if item is not None:
                best = item
            elif not extra and not best.sentence:  # "建于1988年" rather than "1988年" (extent.ClauseRule)
                best = self._in_clause(best, extent_kind(parts[0], language))
            found = sorted([(c, c.confidence) for c in [best, *extra]], key=lambda f: f[0].start)
            part_confidence = [best.confidence]
        else:
            # each part asks for a different value: the spans, one per part and none shared, with
            # the highest total confidence (each part's best when no such choice exists)
            chosen = _distinct_choice(per_part) or {i: cands[0] for i, cands in enumerate(per_part)}
            chosen = {i: _list_item(parts[i], c, language) or c for i, c in chosen.items()}
            found = [(chosen[i], chosen[i].confidence) for i in range(len(parts))]
            part_confidence = [c.confidence for c, _ in found]
        confidence = min(part_confidence)  # extra values ride on the best one's confidence
        if confidence < self.threshold(language):
            return refusal(question, language, self.mode, confidence=confidence)
        return self._compose(question, language, found, confidence)

    def _in_clause(self, c: Candidate, kind: str) -> Candidate:
        """The candidate widened to its clause when the calibration's clause rule says so for a
        question of ``kind``."""
        text = c.passage.chunk.text
        start, end = self.calibration.clause.extent(text, c.start, c.end, kind)
        return c if (start, end) == (c.start, c.end) else replace(c, start=start, end=end, text=text[start:end])

    def _more_values(self, question: str, best: Candidate, cands: list[Candidate]) -> list[Candidate]:
        """Further values a question asks for ("报名人数和通过人数分别是多少", "... and ... respectively"):
        the next best spans of the same passage that do not overlap the ones taken."""
        wanted = count_parts(question) - 1
        taken = [best]
        for c in cands:
            if len(taken) > wanted:
                break
            same = c.passage.chunk.chunk_id == best.passage.chunk.chunk_id
            if same and all(c.end <= t.start or c.start >= t.end for t in taken):
                taken.append(c)
        return taken[1:]

    def _yes_no(self, question: str, read: str, language: str, cands: list[Candidate], confident: bool = True) -> Answer:
        """A yes / no question: a verdict, and the sentence it rests on. The evidence is the sentence
        of the passages holding the best spans that shares most of the question's predicate
        (``yes_no_predicate``; ties go to the rest of the question ``read`` as read, English with its
        bridged Chinese terms, and then to the better span); of its clauses, the one sharing most of
        the predicate is the one that answers. The verdict is "no" when that clause is negated (不,
        并非, 没有 …) and the question is not, or the other way round; else "yes". A question
        claiming one way only ("是只在线下开的吗") against a clause joining two ("线上线下相结合") is "no".

        ``confident``: whether the best span clears the refusal threshold. No span answers yes or
        no, so a Chinese question is answered when the evidence sentence holds a letter pair of its
        predicate's end (线下 of "是只在线下开的", 免费 of "考前培训是免费的"), whatever the spans'
        confidence, and refused when it does not ("社工站今年是否涨工资了": 工资); an English one below the
        threshold is answered only when the evidence sentence renders nearly all its concepts
        (:meth:`_renders_question`)."""
        best = cands[0]
        whole = QuestionView.of(read, language)
        view = QuestionView.of(yes_no_predicate(read) if language == "zh" else read, language)
        options, seen = [], set()
        for rank, c in enumerate(cands[:SENTENCE_SOURCES]):
            chunk = c.passage.chunk
            if chunk.chunk_id in seen:
                continue
            seen.add(chunk.chunk_id)
            for a0, b0 in split_sentences(chunk.text):
                s0, s1 = clean_span(chunk.text, a0, b0)
                if s1 > s0:
                    sentence = chunk.text[s0:s1]
                    rest = bigram_share(whole, sentence) + float(s0 <= c.start < s1)
                    options.append(((bigram_share(view, sentence), rest, -rank), c, s0, s1))
        asked_number = asked_comparison(question)
        top = max(o[0][0] for o in options)

        def states_it(option: tuple) -> bool:
            """"…cover over 90% of its townships?": a sentence sharing at least half as much of the
            question as the best one and stating a number of the unit compared comes first."""
            (share, *_), c, s0, s1 = option
            return asked_number is not None and share >= top / 2 and _states_unit(asked_number.unit, c.passage.chunk.text[s0:s1])

        _, source, s0, s1 = max(options, key=lambda o: (states_it(o), *o[0]))
        text = source.passage.chunk.text
        cuts = [s0, *(m.end() for m in _CLAUSE_END.finditer(text, s0, s1)), s1]
        clauses = [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
        holding = next(((a, b) for a, b in clauses if a <= source.start < b), clauses[0])
        if asked_number is None:
            a, b = max(clauses, key=lambda ab: (bigram_share(view, text[ab[0] : ab[1]]), ab == holding))
        else:  # a number compared: of the clauses stating one of its unit, the one sharing most of the
            # whole question ("持证社工总数1.21万余人", not "社会工作人才总数近3万人", for "持证社工有没有超过2万人")
            a, b = max(clauses, key=lambda ab: (_states_unit(asked_number.unit, text[ab[0] : ab[1]]),
                                                bigram_share(whole, text[ab[0] : ab[1]]), ab == holding))
        clause = text[a:b]
        passage_language = "zh" if any(is_cjk(ch) for ch in clause) else "en"
        no = negated(clause, passage_language) != negated(question, language)
        compared = _compared(question, clause, text[s0:s1], whole)
        asked_rank = standing(question, language)
        stated_ranks = standings_in(text[s0:s1]) if asked_rank is not None else frozenset()
        if compared is None and stated_ranks:  # "是不是全省排第一" against "…居全省第二": the standings decide
            compared = (asked_rank in stated_ranks) != negated(question, language)
        years = {int(m.value) for m in extract_numbers(question) if m.is_year}
        stated = {int(m.value) for m in extract_numbers(text[s0:s1]) if m.is_year}
        if years and stated and not years & stated:  # "…在1888年访问过…吗" against a sentence of 1864
            return refusal(question, language, self.mode, confidence=best.confidence)
        if compared is None:
            tail = predicate_tail(yes_no_predicate(read)) if language == "zh" else []
            says_it = any(re.search(pair, text[s0:s1]) for pair in tail)
            if language == "en" and not confident:  # below the threshold: the evidence names nearly all it asks
                says_it = self._renders_question(question, text[s0:s1])
            if not says_it and (language == "zh" or not confident):
                # the evidence must say what is asked ("下雨了吗": no sentence tells of rain), whatever
                # the spans' confidence; an English question above the threshold is answered (its
                # bridged terms are too loose to single out its predicate). A number compared is
                # judged by the numbers.
                return refusal(question, language, self.mode, confidence=best.confidence)
        if compared is not None:  # "是否超过800个" against "已建成850个": the numbers decide
            no = not compared
        elif claims_all(question, language):  # "是不是已经全部覆盖了" against "覆盖率达到63.7%"
            no = self._all_or_share(question, language, _asked_places(read), [text[a:b] for a, b in clauses], no)
        elif claims_only(question, language) and combined(clause):  # "只在线下开的吗" against "线上线下相结合"
            no = not negated(question, language)
        verdict = ("否" if no else "是") if language == "zh" else ("No" if no else "Yes")
        evidence = replace(source, start=s0, end=s1, text=text[s0:s1], sentence=True)
        return self._compose(question, language, [(evidence, best.confidence)], best.confidence, lead=verdict)

    def _renders_question(self, question: str, sentence: str) -> bool:
        """Whether ``sentence`` writes a Chinese rendering of nearly every concept of an English
        ``question``: at least :data:`YES_NO_RENDERED` of them and :data:`YES_NO_RENDERED_MIN`, the
        last one (where a yes / no question puts what it asks of its subject) and any ordinal
        ("Was Xiangtan first in …") among them. Concepts
        are the question's bridged terms (glossary, pinyin, CC-CEDICT) and its other content words,
        which no rendering reaches. "Is the Ruyuan social work village the first village in China
        themed on social work?" against "如愿社工村…是全国首家以“社会工作”为主题的村" is answered; "Did the
        library open with a concert?" is not (no rendering of "concert"), nor "Was Chen Cungen's
        Jiangsu study tour a five-day event?" against a sentence naming 陈存根 and 江苏 only."""
        if self._context is None:
            return False
        groups, _ = self._context(question)
        low = question.lower()
        concepts: dict[str, tuple[int, bool]] = {}
        for g in groups:
            if g.source != "literal":
                _, before = concepts.get(g.english, (0, False))
                concepts[g.english] = (low.rfind(g.english), before or any(f in sentence for f in g.chinese))
        bridged = {w for english in concepts for w in english.split()}
        for w in english_words(question):
            if w.text.isalpha() and len(w.text) > 1 and w.text not in ENGLISH_FUNCTION_WORDS and w.text not in bridged:
                concepts.setdefault(w.text, (w.start, False))
        if not concepts:
            return False
        if any(not r and any(english_ordinal(w) for w in e.split()) for e, (_, r) in concepts.items()):
            return False  # "Was Xiangtan first in …": the ordinal is what is asked
        rendered = sum(r for _, r in concepts.values())
        last = max(concepts.values())[1]
        return last and rendered >= YES_NO_RENDERED_MIN and rendered >= YES_NO_RENDERED * len(concepts)

    @staticmethod
    def _all_or_share(question: str, language: str, asked: frozenset[str], clauses: list[str], no: bool) -> bool:
        """The verdict on a claim of all ("…是不是已经全部覆盖了") from the evidence's clauses: a clause
        naming the place asked tells of it, by its share ("覆盖率达到63.7%") or by its own claim of all
        ("其中廊坊、邢台实现全覆盖" for "邢台…全覆盖了吗"); else the sentence's first share, when it states
        one (Hebei's 63.7% for "河北全省…"); else the verdict ``no`` as the clauses' words gave it."""
        denied = negated(question, language)
        for clause in (c for c in clauses if _names_asked_place(asked, c)):
            shares = [m.value for m in extract_numbers(clause) if m.unit == "%"]
            if shares:
                return (shares[0] < 100) != denied
            written = "zh" if any(is_cjk(ch) for ch in clause) else "en"
            if claims_all(clause, written):
                return negated(clause, written) != denied
        shares = [m.value for c in clauses for m in extract_numbers(c) if m.unit == "%"]
        return (shares[0] < 100) != denied if shares else no

    def _compose(self, question: str, language: str, found: list[tuple[Candidate, float]], confidence: float,
                 lead: str = "", labels: Sequence[str] = (), short_answer: str | None = None) -> Answer:
        from ..extractive import _trim

        citations: list[Citation] = []
        numbers: dict[str, int] = {}
        pieces, quotes, shorts = [], [], []
        for cand, _ in found:
            chunk = cand.passage.chunk
            n = numbers.get(chunk.chunk_id)
            if n is None:
                n = numbers[chunk.chunk_id] = len(numbers) + 1
                citations.append(citation(cand.passage, n, (cand.start, cand.end)))
            short = re.sub(r"\s+", " ", cand.text).strip()
            shorts.append(short)
            label = labels[len(pieces)] if len(pieces) < len(labels) else ""
            pieces.append(f"{label}{'：' if language == 'zh' else ': '}{short} [{n}]" if label else f"{short} [{n}]")
            s0, s1 = _sentence_around(chunk.text, cand.start, cand.end)
            quote = _trim(chunk.text[s0:s1], cand.start - s0, cand.end - s0)
            if _key(quote) != _key(short) and quote not in quotes:
                quotes.append(quote)
        if lead:  # a yes / no verdict before its evidence
            shorts = [f"{lead}{'，' if language == 'zh' else ' — '}{shorts[0]}", *shorts[1:]]
            pieces = [f"{lead}{'，' if language == 'zh' else ' — '}{pieces[0]}", *pieces[1:]]
        if language == "en":
            text = "; ".join(pieces) + (" — source: " + " / ".join(f"“{q}”" for q in quotes) if quotes else "")
        else:
            text = "；".join(pieces) + ("。原文：" + "／".join(f"“{q}”" for q in quotes) if quotes else "")
        return Answer(
            question=question,
            answer=text[:400],
            refused=False,
            language=language,
            mode=self.mode,
            citations=tuple(citations),
            short_answer=short_answer if short_answer is not None else "；".join(shorts),
            confidence=round(confidence, 4),
        )

    def _of_subject(self, alternatives: Alternatives, language: str, per_part: list[list[Candidate]]) -> list[list[Candidate]]:
        """Each subject's candidates, those whose sentence names it and not the other subject first
        (in the reader's order within each group): "which country has more social workers, China
        or France" reads China's number from "中国目前已有专业社会工作者160多万人", not from "法国共有
        超过130万社会工作者", however alike the two questions' words (both name the China–France
        seminar)."""
        forms = [[f for tier in self._forms(thing, language) for f in tier] for thing in (alternatives.first, alternatives.second)]
        if not all(forms):
            return per_part

        def names(c: Candidate, own: list[str], other: list[str]) -> bool:
            sentence = _sentence_of(c)
            return any(f in sentence for f in own) and not any(f in sentence for f in other)

        out = []
        for cands, own, other in ((per_part[0], forms[0], forms[1]), (per_part[1], forms[1], forms[0])):
            out.append(sorted(cands, key=lambda c: not names(c, own, other)))
        return out

    def _forms(self, thing: str, language: str) -> list[list[str]]:
        """The Chinese words a passage would name ``thing`` by, in tiers tried in turn: for an
        English one, names spelled in pinyin of its head ("Lin'an" of "Hangzhou's Lin'an district",
        "Zhuji" of "Zhuji in Shaoxing"), then of the whole, then dictionary words, then the
        glossary's common nouns; for a Chinese one, itself, then its words."""
        if language == "zh":
            return [[thing], [w for w in _posseg().tokenizer.lcut(thing) if len(w) >= 2]]
        if self._context is None:
            return []
        head = re.sub(r"\s+(?:in|of|at|near)\s+.*$", "", re.sub(r"^.*?['’]s\s+", "", thing))
        groups = {text: self._context(text)[0] for text in dict.fromkeys((head, thing))}
        tiers = []
        for source in ("pinyin", "dictionary", "glossary"):
            for text in groups:
                tiers.append([f for g in groups[text] if g.source == source for f in g.chinese if len(f) >= 2])
        return [t for t in tiers if t]

    def _ordered(self, question: str, language: str, order: Order, passages: Sequence[Passage]) -> Answer | None:
        """Which of two stops, visits or events came first (or last): the one the passages
        introduce with the lower ordinal ("首站昆山市", "第二站太仓市"), else the one named first in a
        sentence that names both ("先后考察了杭州市临安区、绍兴市诸暨市"), else the one an article that names
        both tells of first. None when none of these tells (the question is then read as a whole).
        Its confidence is set by this rule (0.9 by ordinals, 0.6 by a sentence, 0.4 by the telling),
        not by the reader."""
        tiers = [self._forms(t, language) for t in (order.first, order.second)]
        shared = {f for tier in tiers[0] for f in tier} & {f for tier in tiers[1] for f in tier}
        # each thing by the first tier of its forms that some passage holds: every place they stand
        mentions: list[list[Candidate]] = [[], []]
        for i, thing_tiers in enumerate(tiers):
            for tier in thing_tiers:
                mentions[i] = [Candidate(p, m.start(), m.end(), f, 1.0, 0.0) for f in tier if f not in shared
                               for p in passages for m in re.finditer(re.escape(f), p.chunk.text)]
                if mentions[i]:
                    break
        if not all(mentions):
            return None
        numbered = [[(n, c) for c in ms if (n := _stop_number(c.passage.chunk.text, c.start)) is not None] for ms in mentions]
        pair, confidence = None, 0.9
        if all(numbered):
            (na, ca), (nb, cb) = min(numbered[0], key=lambda t: t[0]), min(numbered[1], key=lambda t: t[0])
            if na != nb:
                pair = (ca, cb, na < nb)
        if pair is None:
            confidence = 0.6
            for ca in mentions[0]:
                s0, s1 = _sentence_around(ca.passage.chunk.text, ca.start, ca.end)
                cb = next((c for c in mentions[1] if c.passage is ca.passage and s0 <= c.start < s1), None)
                if cb is not None:
                    pair = (ca, cb, ca.start < cb.start)
                    break
        if pair is None:  # the order the article tells them in, when one article names both
            confidence = 0.4
            firsts = [{}, {}]
            for i, ms in enumerate(mentions):
                for c in ms:
                    key, pos = c.passage.chunk.article_id, c.passage.chunk.start + c.start
                    if key not in firsts[i] or pos < firsts[i][key][0]:
                        firsts[i][key] = (pos, c)
            common = [k for k in firsts[0] if k in firsts[1]]
            if common:
                (pa, ca), (pb, cb) = firsts[0][common[0]], firsts[1][common[0]]
                pair = (ca, cb, pa < pb)
        if pair is None:
            return None
        cand_a, cand_b, a_first = pair
        pick = 0 if a_first == order.earlier else 1
        names, found = (order.first, order.second), [cand_a, cand_b]
        winner = f"{names[pick]} ({found[pick].text})" if language == "en" else names[pick]
        word = ("先" if order.earlier else "后") if language == "zh" else ("First" if order.earlier else "Last")
        lead = f"{word}：{winner}" if language == "zh" else f"{word}: {winner}"
        return self._compose(question, language, [(found[pick], confidence), (found[1 - pick], confidence)], confidence,
                             lead=lead, labels=(names[pick], names[1 - pick]), short_answer=winner)

    def _weigh(self, question: str, language: str, alternatives: Alternatives, passages: Sequence[Passage]) -> Answer | None:
        """A "which is more" answer: each thing's number read by its own question ("硕士点有多少",
        "how many doctoral programmes …"), two different spans, the larger (or smaller) named first
        with both numbers cited. None when either number is not found (the question is then read
        as a whole)."""
        asks = (alternatives.first_question, alternatives.second_question)
        if asks_national(question, language):  # "全国现在的社会工作服务机构和乡镇社工站，哪个…": both the nation's
            marker = " nationwide" if language == "en" else "全国"
            asks = tuple(a if asks_national(a, language) else (a + marker if language == "en" else marker + a) for a in asks)
        if language == "en":
            asks = tuple(self._bridged(a, passages) for a in asks)
        per_part = [[c for c in self.candidates(a, _closest(a, b, language, self._naming_passages(a, language, passages)), language)
                     if _one_number(c.text)] for a, b in (asks, asks[::-1])]
        if not all(per_part):
            return None
        if alternatives.subjects:  # "China or France": China's number from a sentence naming China, not France
            per_part = self._of_subject(alternatives, language, per_part)
        # each thing's best number as its rules ordered them ("how many stations": the one whose clause
        # names stations), unless the two are one span; then the best pair that is not
        firsts = (per_part[0][0], per_part[1][0])
        chosen = dict(enumerate(firsts)) if not _overlaps(*firsts) else _distinct_choice(per_part)
        if chosen is not None and _same_measure(alternatives) and not _commensurable(chosen[0], chosen[1]):
            # "服务3500余人次" weighs against "培训…4000余人次", not against "36期" of the same sentence
            choices = [_distinct_choice([[c for c in cs if _unit(c) in (u, "")] for cs in per_part])
                       for u in dict.fromkeys(_unit(c) for cs in per_part for c in cs) if u]
            chosen = max((c for c in choices if c is not None), default=None,
                         key=lambda c: min(c[0].confidence, c[1].confidence))
        if chosen is None:
            return None
        first, second = chosen[0], chosen[1]
        confidence = min(first.confidence, second.confidence)
        if confidence < self.threshold(language):
            return refusal(question, language, self.mode, confidence=confidence)
        values = tuple(next(m.value for m in extract_numbers(c.text) if not m.is_year) for c in (first, second))
        names = (alternatives.first, alternatives.second)
        if values[0] == values[1]:
            winner = "两者一样" + ("多" if alternatives.more else "少") if language == "zh" else "The same"
        else:
            pick = int(values[1] > values[0]) if alternatives.more else int(values[1] < values[0])
            word = ("更多" if alternatives.more else "更少") if language == "zh" else ("More" if alternatives.more else "Fewer")
            if language == "zh":
                winner = f"{names[pick]}{word}"  # "博士点更多", "中国更多"
            else:  # "More master's programmes"; of two subjects, the one: "China"
                winner = names[pick] if alternatives.subjects else f"{word} {names[pick]}"
        found = [(first, first.confidence), (second, second.confidence)]
        return self._compose(question, language, found, confidence, lead=winner, labels=names,
                             short_answer=winner)


def _closest(question: str, other: str, language: str, passages: Sequence[Passage]) -> list[Passage]:
    """The passages for one of two things weighed, among those retrieved for both, ranked anew by
    the sentence stating a number that shares most of what tells ``question`` from the ``other``
    one (its words after those both start with: "中国的社会工作者有多少" reads "中国目前已有专业社会工作者
    160多万人" first, not "法国共有超过130万社会工作者"); retrieval's order among equals."""
    own = question[len(os.path.commonprefix([question, other])) :] or question
    view = QuestionView.of(own, language)
    shares = {id(p): max((bigram_share(view, p.chunk.text[a:b]) for a, b in split_sentences(p.chunk.text)
                          if any(not m.is_year for m in extract_numbers(p.chunk.text[a:b]))), default=-1.0)  # one giving a number
              for p in passages}
    ordered = sorted(passages, key=lambda p: -shares[id(p)])
    return [replace(p, rank=i) for i, p in enumerate(ordered, 1)]


# a question word among a part's first three words ("Roughly how many …", "In which year …")
_WH_START = re.compile(r"\s*(?:[\w'-]+\s+){0,2}?(?:how|which|who|whom|what|when|where)\b", re.I)
# a clause each (not "how many X and how many Y does …"): ", and how many …", ", and which university …"
_AND_HOW = re.compile(r",\s*and\s+(?=(?:how\s+(?:many|much|long)|which|who|whom|what|when|where)\b)", re.I)


def passage_scores(read: list[tuple[Window, list[SpanChoice], float]], n: int) -> tuple[list[float], list[float]]:
    """Per passage of a reading (``ReaderAnswerer.reading``): its best span score (``-inf`` when
    none) and its best "no answer" score."""
    best = [float("-inf")] * n
    null = [float("-inf")] * n
    for w, choices, no_answer in read:
        i = w.passage_index
        best[i] = max([best[i], *(c.score for c in choices)])
        null[i] = max(null[i], no_answer)
    return best, [x if x > float("-inf") else 0.0 for x in null]


def _past_echo(question: str, ranked: list[Candidate], threshold: float) -> list[Candidate]:
    """An English question's answer is rarely a thing the question names itself: when the best
    candidate only repeats one of the question's bridged Chinese terms (the Chinese words
    appended to it), the best one that does not and passes the threshold comes first. Nothing is
    refused for it."""
    terms = [w for w in HAN_RUN.findall(question) if len(w) >= 2]

    def echoes(c: Candidate) -> bool:
        t = c.text.strip(EDGE)
        return bool(t) and any(t in w for w in terms)

    if not terms or not echoes(ranked[0]):
        return ranked
    best = next((c for c in ranked[1:8] if not echoes(c) and c.confidence >= threshold), None)
    return ranked if best is None else [best] + [c for c in ranked if c is not best]


def _of_another_edition(asked: int, c: Candidate) -> bool:
    """Whether the candidate's sentence tells of another edition of a gathering than the one asked,
    and not of that one: "首届…在哪个城市举办" is not answered by "第三届…在云南昆明召开", nor "第33届超级碗
    冠军" by "击败了第49届超级碗卫冕冠军新英格兰爱国者队". A sentence naming no edition tells of the one
    its paragraph last named before it ("2023年第三届全国禁毒社会工作发展交流会在云南昆明召开。来自……的近200名…"
    is the third's attendance, not the second's), and, its paragraph naming none, may tell of the one
    asked (超级碗50: a paragraph before it names the 49th)."""
    return _sentence_names_another(asked, c, editions_in, look_back=True)


def _tells_of_another_nth(asked: int, passages: Sequence[Passage], question: str) -> bool:
    """Whether the passages say which of its kind the thing asked is (首家, 第三个 …: the ordinal
    with a letter pair of the question within ten letters before or after it, English ones by
    their bridged terms; with the question's counter, when it writes one) and never the one asked,
    by any counter:
    "嘉定区第二家精神健康社工站设在哪个街镇" against an article on 嘉定首家精神健康社工站; not "第一个变种"
    against "Kublai's second invasion", nor "第一个统治全中国的" against "谁是第四个统治元朝的人" over an
    article writing "元朝第四位皇帝"."""
    pairs = {question[i : i + 2] for i in range(len(question) - 1) if is_cjk(question[i]) and is_cjk(question[i + 1])}
    counter = nth_counter(question)
    named, said = set(), False
    for p in passages:
        text = p.chunk.text
        for value, kind, start, end in nth_mentions(text):
            around = text[max(0, start - 10) : start] + "\n" + text[end : end + 10]
            if not any(around[i : i + 2] in pairs for i in range(len(around) - 1)):
                continue
            said = said or value == asked
            if counter is None or kind == counter:
                named.add(value)
    return bool(named) and not said


def _tells_of_another_edition(asked: int, passages: Sequence[Passage], question: str) -> bool:
    """Whether the passages tell of another edition of the gathering asked (第二届 with a letter pair
    of the question within ten letters before or after it, English questions by their bridged terms),
    of that one other edition only: "When was the first … campaign held?" over an article announcing
    its second (将于今年10月正式启动第二届“寻找最美医务社工”活动)."""
    pairs = {question[i : i + 2] for i in range(len(question) - 1) if is_cjk(question[i]) and is_cjk(question[i + 1])}
    named = set()
    for p in passages:
        text = p.chunk.text
        for value, start, end in edition_mentions(text):
            around = text[max(0, start - 10) : start] + "\n" + text[end : end + 10]
            if any(around[i : i + 2] in pairs for i in range(len(around) - 1)):
                named.add(value)
    # one other edition only: an article on the 50th Super Bowl that recalls the 49th and the 33rd
    # may name its own in another way ("超级碗 50")
    return len(named) == 1 and asked not in named


def _of_another_standing(asked: int, c: Candidate) -> bool:
    """Whether the candidate's sentence ranks something at another standing than the one asked,
    and at no standing asked: "在湖南排第一的是哪个市" is not answered by "湘潭市…通过人数占全市人口总数比例
    居全省第二". A sentence ranking nothing may still tell of the first."""
    return _sentence_names_another(asked, c, standings_in)


def _sentence_names_another(asked: int, c: Candidate, named_in: Callable[[str], frozenset[int]],
                            look_back: bool = False) -> bool:
    """Whether the candidate's sentence names some ordinal of the kind ``named_in`` reads and not
    the one asked; ``look_back``: a sentence naming none, the sentence of its paragraph that last
    named one before it."""
    text = c.passage.chunk.text
    start, end = _sentence_around(text, c.start, c.end)
    named = named_in(text[start:end])
    if look_back:
        paragraph = text.rfind("\n", 0, start) + 1
        earlier = [text[a:b] for a, b in split_sentences(text) if paragraph <= a and b <= start]
        while not named and earlier:
            named = named_in(earlier.pop())
    return bool(named) and asked not in named


def _english_parts(question: str) -> list[str]:
    """An English question asking two things in one sentence ("How many person-times …, and how
    many social work staff has it taken on …?", "When was … set up, and which university …?") as
    two questions, each read on its own: the two values may stand in different passages."""
    pieces = [p.strip(" ,?") for p in _AND_HOW.split(question)]
    if len(pieces) < 2 or not all(pieces) or not _WH_START.match(pieces[0]):
        return [question]
    return [p[0].upper() + p[1:] + "?" for p in pieces]


SENTENCE_SOURCES = 5  # the best spans whose sentences are offered for why / how questions
# An English yes / no question below the refusal threshold is still answered when its evidence
# sentence renders this share of its concepts (bridged terms: glossary, pinyin, CC-CEDICT), and at
# least this many: the Chinese questions' letter pairs of the predicate (``predicate_tail``) have
# no English counterpart, since an English predicate's words reach the passage only as renderings.
YES_NO_RENDERED = 0.75
YES_NO_RENDERED_MIN = 3


def _sentences(pooled: dict[str, Candidate]) -> list[Candidate]:
    """The sentences around the ``SENTENCE_SOURCES`` most probable spans, as candidates of their
    own (probability pooled over the spans they hold), leaving out those that already are a span."""
    out: dict[str, Candidate] = {}
    for c in sorted(pooled.values(), key=lambda c: -c.probability)[:SENTENCE_SOURCES]:
        text = c.passage.chunk.text
        a, b = clean_span(text, *_sentence_around(text, c.start, c.end))
        key = _key(text[a:b])
        if b <= a or not key or key in pooled:
            continue
        prev = out.get(key)
        if prev is None:
            out[key] = Candidate(c.passage, a, b, text[a:b], c.probability, c.margin, sentence=True)
        else:
            out[key] = replace(prev, probability=prev.probability + c.probability, margin=max(prev.margin, c.margin))
    return list(out.values())


def _distinct_choice(per_part: list[list[Candidate]], top: int = 8) -> dict[int, Candidate] | None:
    """One candidate per part, no two of them overlapping: each part's first when none of those
    overlap (its order may put a candidate that names what the part asks before a more confident
    one: :meth:`ReaderAnswerer._labelled_here`), else those maximising the summed confidence
    (over each part's ``top`` candidates; up to four parts)."""
    from itertools import combinations, product

    firsts = tuple(cands[0] for cands in per_part if cands)
    if len(firsts) == len(per_part) and not any(_overlaps(a, b) for a, b in combinations(firsts, 2)):
        return dict(enumerate(firsts))
    if len(per_part) > 4:
        return None
    best: tuple[float, tuple[Candidate, ...]] | None = None
    for combo in product(*(cands[:top] for cands in per_part)):
        if any(_overlaps(a, b) for a, b in combinations(combo, 2)):
            continue
        total = sum(c.confidence for c in combo)
        if best is None or total > best[0]:
            best = (total, combo)
    return dict(enumerate(best[1])) if best else None


# what a count's label says beyond the count itself: "报名" of "报名人数为", "通过" of "通过人数为"
_COUNT_WORDS = re.compile(r"(?:人数|人次|数量|总数|总量|规模|数|量)?[是为有的在了达到至共约近中里都已超过计]*$")


def _label_core(text: str, start: int) -> str:
    """The two letters that name what the number at ``text[start:]`` counts, its count words and
    function letters aside ("报名" of "…考试报名人数为1705人"); "" when it has no such label."""
    core = _COUNT_WORDS.sub("", counted_before(text, start))
    return core[-2:] if len(core) >= 2 else ""


def _labelled_as_asked(question: str, ranked: list[Candidate], threshold: float) -> list[Candidate]:
    """A Chinese question asking one of several counts a sentence labels ("…报名人数为1705人，通过人数为
    426人" for "有多少人通过") is answered with the count whose label it writes, when the reader's
    first choice has a label the question does not write and that count passes the threshold;
    nothing is refused for it."""
    if not ranked:
        return ranked
    best = ranked[0]
    text = best.passage.chunk.text
    core = _own_label(best)
    if not core or core in question:
        return ranked
    s0, s1 = _sentence_around(text, best.start, best.end)
    for c in ranked[1:]:
        if (c.passage is best.passage and s0 <= c.start < s1 and c.confidence >= threshold
                and (label := _own_label(c)) and label in question):
            return [c] + [x for x in ranked if x is not c]
    return ranked


def _own_label(c: Candidate) -> str:
    """The label of the candidate's own number (its first that is not a year), "" when it holds none."""
    number = next((m for m in extract_numbers(c.text) if not m.is_year), None)
    return _label_core(c.passage.chunk.text, c.start + number.start) if number is not None else ""


def _dated_otherwise(years: frozenset[str], c: Candidate) -> bool:
    """Whether the sentence dates the number relative to its own year (今年, 去年 …, before the number)
    and names none of the years asked: "今年湘潭市社会工作者职业水平考试报名人数达1705人" is no answer to
    "湘潭市2022年…多少人" (the passages do not say which year their 今年 is), nor to "湘潭去年…"."""
    text = c.passage.chunk.text
    s0, s1 = _sentence_around(text, c.start, c.end)
    here = relative_years(text[s0 : c.end])
    return bool(here) and not (here & years) and not any(y in text[s0:s1] for y in years if y.isdigit())


def _leading_clause(c: Candidate) -> str:
    """The clause that leads to the candidate, the candidate included."""
    text = c.passage.chunk.text
    return text[after_last(CLAUSE_OR_SENTENCE, text, c.start) : c.end]


def _counts_a_sibling(nouns: Sequence[str], c: Candidate) -> bool:
    """Whether the noun written right before the candidate's number (any of them, for a cut over
    several: "150个，派驻社工300余名") is another kind of the thing asked (社工站 for 社工室, 派驻社工 for
    持证社工) and not the thing itself."""
    text = c.passage.chunk.text
    starts = [c.start] + [c.start + m.start for m in extract_numbers(c.text)[1:] if not m.is_year]
    for start in starts:
        counted = counted_before(text, start)
        if not counted or any(counted_head(n) == counted_head(counted) for n in nouns):
            continue
        if any(sibling_nouns(n, counted) or modified_otherwise(n, counted) for n in nouns):
            return True
    return False


def _counts_another_body(bodies: Sequence[str], c: Candidate) -> bool:
    """Whether a number of the candidate counts another kind of place or body than those asked,
    written after it ("5个小组" for 社工站: no letter of 社工站 in 小组)."""
    text = c.passage.chunk.text
    for m in extract_numbers(_measured(c)):
        if m.is_year or len(m.unit) != 1:
            continue
        noun = counted_after(text, c.start + m.end)
        if noun and counts_bodies(noun) and not any(set(noun) & set(counted_head(b)) for b in bodies):
            return True
    return False


def _asked_places(question: str) -> frozenset[str]:
    """The places a question asks about: those it names, less a province written right before
    a city of it ("河北省保定市": Baoding's count, not Hebei's), and less those of a wider tier than
    the narrowest it writes with a suffix ("How many … has Baoding built in Hebei?", its bridged
    terms 保定市 and 河北省: a place is named with the one holding it, not beside a smaller one)."""
    inner, outer = place_nesting(question)
    asked = (places_in(question) - outer) | inner
    tiers = place_tiers(question)
    narrowest = max(tiers.values(), default=0)
    return asked - {p for p, t in tiers.items() if t < narrowest} if len(asked) > 1 else asked


def _names_asked_place(asked: frozenset[str], text: str) -> bool:
    """Whether ``text`` names one of the places a question asks about (or a place holding the
    name: 邢台 of 邢台市)."""
    return any(h in a or a in h for h in places_in(text) for a in asked)


def _counted_elsewhere(asked: frozenset[str], c: Candidate) -> bool:
    """Whether the clause that leads to the number (the number included) names another place than
    the question's, and none of the question's: "目前河北省建成社工站1435家" counts Hebei's, not
    Langfang's. A clause naming no place counts in the place its sentence last named before it:
    "定西市民政系统……，在建社工站47个" is Dingxi's count, not Gansu's. A whole (全市, 全区 …) in a
    sentence naming no place is the whole of a place the article's title names: "目前全市已建立150余支
    志愿者服务队" under "黑龙江绥芬河：…" is Suifenhe's, not Mudanjiang's."""
    here = _named_for(c, lambda t: places_in(t, administrative=True))
    if not here:
        text = c.passage.chunk.text
        s0, _ = _sentence_around(text, c.start, c.end)
        before = text[s0 : c.end]
        if regional_whole(before) and not any(a in before for a in asked):
            here = places_in(c.passage.chunk.title)
    return bool(here) and not any(h in a or a in h for h in here for a in asked)


def _named_for(c: Candidate, named_in: Callable[[str], frozenset[str]]) -> frozenset[str]:
    """What ``named_in`` finds in the clause that leads to the candidate, the candidate included; in
    a clause naming none, the one its sentence named last before it (廊坊 of 廊坊市, as places_in
    gives it without its suffix)."""
    text = c.passage.chunk.text
    clause = after_last(CLAUSE_OR_SENTENCE, text, c.start)
    here = named_in(text[clause : c.end])
    if not here:
        before = text[after_last(_SENTENCE_END, text, clause) : clause]
        named = named_in(before)
        if named:
            here = frozenset({max(named, key=before.rfind)})
    return here


def _counted_below_the_nation(c: Candidate) -> bool:
    """Whether the clause that leads to the number counts a whole below the nation ("全区已建成社工站
    850个") or names a province, region or city (its sentence's last one before it, when it names
    none) and not the nation: "目前河北省建成…1435家" is no national count."""
    clause = _leading_clause(c)
    if re.search("全国|我国|中国", clause):
        return False
    if regional_whole(clause):
        return True
    return bool(_named_for(c, lambda t: places_in(t, administrative=True) - {"中国"}))


def _counted_in_another_country(asked: frozenset[str], c: Candidate) -> bool:
    """Whether the clause that leads to the number names another country than the question's and
    none of them, or, naming none, its sentence last named another before it: "中国目前已有专业社会工作者
    160多万人，…，398所高等院校开设社会工作专业" counts China's universities, not France's. Countries
    only: a country holds its provinces, which the place check above weighs."""
    here = _named_for(c, countries_in)
    return bool(here) and not (here & asked)


_NAME_LIKE = re.compile(rf"[{HAN}·•]{{2,8}}")


def _role(c: Candidate, terms: frozenset[str]) -> frozenset[str]:
    """The question's words in the titles written right before the candidate ("北京大学教授" of
    "北京大学教授刘志民"): what the passage says the person is."""
    run = title_run(c.passage.chunk.text, c.start)
    return frozenset(t for t in terms if t in run)


def _by_role(question: str, ranked: list[Candidate], threshold: float) -> list[Candidate]:
    """"Which Peking University professor spoke …", "who spoke for the Sunflower centre": among
    the names the reader proposes, the one whose own titles hold more of the question's words
    ("北京大学教授刘志民") comes before a likelier name whose titles hold fewer ("中国社会工作联合会
    会长陈存根"), when it passes the threshold itself."""
    terms = frozenset(w for w in _posseg().tokenizer.lcut(question) if len(w) >= 2 and _NAME_LIKE.fullmatch(w))
    if not terms:
        return ranked
    top = len(_role(ranked[0], terms))
    for i, c in enumerate(ranked[1:8], start=1):
        if c.confidence >= threshold and _NAME_LIKE.fullmatch(c.text) and len(_role(c, terms)) >= max(2, top + 1):
            return [c] + ranked[:i] + ranked[i + 1 :]
    return ranked


def _stop_number(text: str, start: int) -> int | None:
    """The ordinal of the stop a mention is introduced as, in its own line before it ("首站昆山市"
    -> 1, "第三站：江苏省人民医院、如愿社工村" -> 3)."""
    head = text[max(0, start - 24) : start]
    stops = ordinals_in(head[after_last(_SENTENCE_END, head, len(head)) :], "站")
    return stops[-1] if stops else None


def _counts_things(question: str, unit: str) -> bool:
    """Whether a Chinese "how many" question counts things other than people, by its measure word
    ("多少家…机构", "几所学校") and the noun it counts (not "几个孩子", "几个人"): a head count does not
    answer it."""
    if not unit or unit in PERSON_MEASURE_WORDS or unit in DURATION_MEASURE_WORDS or unit in _SHARE_UNITS or unit == "元":
        return False
    noun = asked_counted(question)
    return bool(noun) and not names_people(noun) and not re.search(r"(?:多少|几)[个位名]?人", question)


def _counts_people(c: Candidate) -> bool:
    """Whether the candidate's number counts people: by its measure word ("近200名", "160多万人"), or,
    having none, by the nouns written right after it ("超过130万社会工作者")."""
    measured = _measured(c)
    if counts_only(measured, PERSON_MEASURE_WORDS):
        return True
    numbers = [m for m in extract_numbers(measured) if not m.is_year]
    if not numbers or numbers[-1].unit:
        return False
    text = c.passage.chunk.text
    after = c.start + numbers[-1].end  # the nouns after the last number, in the cut or after it
    nouns = []
    for p in _posseg().cut(text[after : after + 12]):
        if not (p.flag.startswith("n") or p.flag == "vn"):  # 职业(n) 教育(vn) 从业者(n)
            break
        nouns.append(p.word)
    return bool(nouns) and names_people("".join(nouns))


def _list_item(question: str, c: Candidate, language: str) -> Candidate | None:
    """The value of the list of labelled values holding ``c`` that the question's label picks, when
    that is not ``c`` itself: "三等奖的奖金是多少" read as "一等奖5000元、二等奖3000元" of "一等奖5000元、
    二等奖3000元、三等奖1000元" is answered "1000元". The list is the clause holding the candidate, its
    items parted by 、, each with one number, all of one unit; the label of each is the run of letters before its
    number, and the longest end of a label the question writes (at least 3 letters, the question's
    bridged Chinese included) must belong to one item alone. None for other questions and cuts."""
    if c.sentence or count_parts(question) != 1 or question_kind(question, language) != "number":
        return None
    text = c.passage.chunk.text
    lo = after_last(CLAUSE_OR_SENTENCE, text, c.start)
    hi = CLAUSE_OR_SENTENCE.search(text, c.end)
    clause = text[lo : hi.start() if hi else len(text)]
    items, units, at = [], set(), lo
    for piece in clause.split("、"):
        values = [m for m in extract_numbers(piece) if not m.is_year]
        run = re.search(f"[{HAN}]{{3,16}}$", piece[: values[0].start]) if len(values) == 1 else None
        if run is None:
            return None
        items.append((_label_asked(run.group(0), question), at + values[0].start, at + values[0].end))
        units.add(values[0].unit)
        at += len(piece) + 1
    if len(items) < 2 or len(units) > 1:  # values of one kind ("100元、…400元"), not "2%…、…1150余万元"
        return None
    best = max(n for n, _, _ in items)
    if best < 3 or [n for n, _, _ in items].count(best) > 1:
        return None
    _, a, b = next(t for t in items if t[0] == best)
    if (a, b) == (c.start, c.end):
        return None
    return replace(c, start=a, end=b, text=text[a:b])


def _label_asked(label: str, question: str) -> int:
    """How many letters of the end of ``label`` the question writes (0 when fewer than 3):
    "按照高级社会工作师" -> 7 for a question naming 高级社会工作师, 5 for one naming only 社会工作师."""
    return max((len(label) - i for i in range(len(label) - 2) if label[i:] in question), default=0)


def _labelled_value(text: str, start: int, end: int, question: str) -> tuple[int, int]:
    """The one value of a list of labelled values that the question's label picks: of "助理社会工作师
    100元、社会工作师200元、高级社会工作师400元", asked of "高级社会工作师", the "400元" (each value's label is
    the run of letters right before it; the longest end of a label that the question writes, at
    least 3 letters, must belong to one value alone). Any other cut is kept as it is."""
    values = [m for m in extract_numbers(text[start:end]) if not m.is_year]
    if len(values) < 2:
        return start, end
    named = []
    for m in values:
        at = start + m.start
        run = re.search(f"[{HAN}]{{2,16}}$", text[max(0, at - 16) : at])
        if run is None:
            return start, end
        named.append(_label_asked(run.group(0), question))
    best = max(named)
    if best < 3 or named.count(best) > 1:
        return start, end
    m = values[named.index(best)]
    return start + m.start, start + m.end


def _measured(c: Candidate) -> str:
    """The candidate with the measure word or unit that follows it in the passage ("…23" of
    "…23个县"): what its last number counts is read from the passage, not from the cut."""
    text = c.passage.chunk.text
    return text[c.start : c.end] + (text[c.end : c.end + 4] if c.end < len(text) and text[c.end - 1].isdigit() else "")


def _overlaps(a: Candidate, b: Candidate) -> bool:
    """Whether two candidates are the same stretch of the same passage (or share one)."""
    return a.passage.chunk.chunk_id == b.passage.chunk.chunk_id and a.start < b.end and b.start < a.end


def _percent_only(text: str) -> bool:
    """Whether every number ``text`` states (years aside) is a percentage ("83%", "百分之九十")."""
    return counts_only(text, _SHARE_UNITS)


def _share_only(text: str) -> bool:
    """Whether ``text`` states a share ("83%", "百分之九十", "九成", "三分之一") and no count beside it."""
    if _percent_only(text):
        return True
    return states_share(text) and not any(m.unit and not m.is_year for m in extract_numbers(text))


def _share_beside(best: list[Candidate]) -> list[Candidate]:
    """The share stated in the sentence of the best candidate, nearest to it, as a candidate of the
    same confidence: for "what share of townships are covered", the reader may cut only the count
    of "目前河北省建成乡镇（街道）社工站1435家，覆盖率达到63.7%". Empty when the sentence states none."""
    if not best or best[0].sentence:
        return []
    c = best[0]
    text = c.passage.chunk.text
    start, end = _sentence_around(text, c.start, c.end)
    shares = [(start + m.start, start + m.end) for m in extract_numbers(text[start:end]) if states_share(m.text)]
    if not shares:
        return []
    a, b = min(shares, key=lambda ab: min(abs(ab[0] - c.end), abs(c.start - ab[1])))  # the nearest
    return [replace(c, start=a, end=b, text=text[a:b], features=())]


def _sentence_of(c: Candidate) -> str:
    """The sentence (or sentences) holding the candidate."""
    text = c.passage.chunk.text
    return text[slice(*_sentence_around(text, c.start, c.end))]


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or sentences) holding ``text[start:end]``."""
    spans = split_sentences(text)
    first = next((s for s, e in spans if s <= start < e), start)
    last = next((e for s, e in spans if s < end <= e), end)
    return first, max(last, end)


def _unit(c: Candidate) -> str:
    """The unit or measure word of the number a candidate states ("人次" of "3500余人次"; "" for none)."""
    return next((m.unit for m in extract_numbers(c.text) if not m.is_year), "")


def _commensurable(a: Candidate, b: Candidate) -> bool:
    """Whether two numbers can be weighed against each other: the same unit, or one without any."""
    return not _unit(a) or not _unit(b) or _unit(a) == _unit(b)


def _same_measure(alternatives: Alternatives) -> bool:
    """Whether the two things are measured alike, by the words they end with ("服务的人次" and
    "培训的人次", "硕士点" and "博士点"); "团队和个人" are counted each in its own measure word."""
    a, b = alternatives.first, alternatives.second
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return len(a[len(a) - n :].lstrip("的 ")) >= 2


_NAME_AFTER_TITLE = re.compile(rf"(?:{OFFICE_TITLES.pattern})(?P<name>[{HAN}]{{1,2}})$")


def _name_start(text: str, start: int, end: int) -> int:
    """Where the name holding ``text[start:end]`` begins, when the span is the end of a name of at
    most three characters written right after a title ("康" and "建康" of "副市长顾建康"); else ``start``."""
    m = _NAME_AFTER_TITLE.search(text, max(0, start - 16), start)
    if m and len(m.group("name")) + (end - start) <= 3 and all(is_cjk(ch) for ch in text[start:end]):
        return start - len(m.group("name"))
    return start


def _given_numbers(question: str, language: str) -> set[float]:
    """The numbers a question states as figures: not years, not ordinals ("在第四节中…还剩多少时间" is
    answered "4分51秒"), not the "一" of "一个委员会" (an article as much as a number: "一个委员会通常对应
    几个部？" is answered "一个"), and of an English question only its own words, not the Chinese
    terms bridged into it ("三级")."""
    return {n.value for n in extract_numbers(question)
            if not n.is_year and n.value != 1 and not is_ordinal(question, n) and not (language == "en" and HAN_RUN.search(n.text))}


def _titles_first(passages: list[Passage], titles: set[str]) -> list[Passage]:
    """The passages naming one of ``titles`` (not as a deputy's) before the others, each group in
    its retrieval order: "北京青少年社会工作研究院的执行院长是哪位？" is read from the fifth passage,
    the one that names a 执行院长, rather than refused over the first three, which name its 院长 and
    its 主任委员 (the holder of an office asked is named with it: see :func:`names_title`)."""
    def names(p: Passage) -> bool:
        text = p.chunk.text
        return any(not any(text[: m.start()].endswith(d) for d in DEPUTY_MARKERS) or title[:1] == "副"
                   for title in titles for m in re.finditer(re.escape(title), text))

    return sorted(passages, key=lambda p: not names(p))


def _restates(text: str, given: set[float]) -> bool:
    """Whether ``text`` states (years aside) a number the question itself states: no question asks
    for what it says ("264个，带动社会资金2.7亿元" for "264个试点项目中，宁波市占了多少个"; none of the 44
    "how many" questions of XQuAD-dev, CMRC 2018 trial and SQuAD-zh that state a number has it in
    its answer)."""
    return any(m.value in given for m in extract_numbers(text) if not m.is_year)


def _one_number(text: str) -> bool:
    """Whether ``text`` states exactly one number (years aside): "1020余万人次", not "40余万人次,受益人数1020余万人次"."""
    return len([m for m in extract_numbers(text) if not m.is_year]) == 1


def _holds_title(text: str, passages: Sequence[Passage], titles: set[str]) -> bool:
    """Whether some sentence of the read passages that mentions ``text`` names one of ``titles``
    (equal spans pool, so the candidate's own position may be a later "雷兴山表示…")."""
    return any(
        names_title(p.chunk.text, m.start(), m.end(), titles)
        for p in passages
        for m in re.finditer(re.escape(text), p.chunk.text)
    )


def _states_unit(unit: str, text: str) -> bool:
    """Whether ``text`` states a number (not a year) in ``unit`` (any number when ``unit`` is "")."""
    return any(not m.is_year and (m.unit == unit or not unit) for m in extract_numbers(text))


def _compared(question: str, clause: str, sentence: str, view: QuestionView | None = None) -> bool | None:
    """Whether the number the evidence states bears the relation the question asks ("是否超过800个"
    and "已建成850个" -> True); None when the question compares nothing or the evidence states no
    number of its unit (the clause first, then the whole sentence; a year never counts). Of a list
    ("县级社工指导中心2个、乡镇（街道）社工站75个、…"), the item sharing most of the question (``view``:
    "more than 60 township social work stations" with its bridged terms) holds the number."""
    asked = asked_comparison(question)
    if asked is None:
        return None
    for text in (clause, sentence):
        items = [item for item in text.split("、") if _states_unit(asked.unit, item)]
        if view is not None and len(items) > 1:
            items.sort(key=lambda item: -bigram_share(view, item))
        for item in items:
            stated = [m for m in extract_numbers(item) if not m.is_year]
            same = [m for m in stated if m.unit == asked.unit] or (stated if not asked.unit else [])
            if same:
                return asked.holds(same[0].value)
    return None
    for text in (clause, sentence):
        stated = [m for m in extract_numbers(text) if not m.is_year]
        same = [m for m in stated if m.unit == asked.unit] or (stated if not asked.unit else [])
        if same:
            return asked.holds(same[0].value)
    return None
