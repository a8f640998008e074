"""Evaluators in the sentence-transformers style: ``evaluator(system) -> dict`` of metrics.

A *system* is anything with ``retrieve(question, k) -> list[Passage]`` and
``ask(question) -> Answer`` (a :class:`rag.pipeline.Pipeline`, the naive baseline, a stub in a
test). Metric keys: ``"hit@1"`` overall, ``"zh/hit@1"`` per language, ``"number/hit@1"`` per
question type. Each evaluator names its ``primary_metric``; ``evaluate`` also returns the
per-question records the report shows.
"""

from __future__ import annotations

import re
import time
import unicodedata
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Callable, Iterable, Protocol, Sequence

from rag.errors import InputError
from rag.models import Answer, Chunk, Passage

from .datasets import LANGS, TYPES, QAItem
from .scoring import Judgement, SpanJudgement, judge, judge_span

Metrics = dict[str, float]
ProgressFactory = Callable[[int, str], Any]  # (total, description) -> tqdm-like bar

# ranx metric name -> name shown in reports
RETRIEVAL_METRICS: dict[str, str] = {
    "hit_rate@1": "hit@1",
    "hit_rate@5": "hit@5",
    "recall@5": "recall@5",
    "recall@10": "recall@10",
    "mrr@10": "mrr@10",
    "ndcg@10": "ndcg@10",
}
RETRIEVAL_DEPTH = 10
_SPACE = re.compile(r"\s+")
_MISSING = "<evidence not in any indexed passage>"
_NOTHING = "<nothing retrieved>"
SCORINGS = ("answer", "span")  # headline rule: the dev-set answer rule, or the span-benchmark rule


class System(Protocol):
    """What an evaluator needs from the thing it measures."""

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]: ...

    def ask(self, question: str) -> Answer: ...


# ----------------------------------------------------------------------------- helpers
def squash(text: str) -> str:
    """Text for evidence matching: width-folded (NFKC), whitespace removed."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def is_relevant(chunk: Chunk, item: QAItem) -> bool:
    """A passage is relevant when it comes from the gold file and contains the whole evidence."""
    if not item.answerable or not item.doc or PurePath(chunk.source).name != PurePath(item.doc).name:
        return False
    evidence = squash(item.evidence)
    return not evidence or evidence in squash(chunk.text)


def indexed_chunks(system: Any) -> list[Chunk] | None:
    """Every chunk the system can retrieve from, when it can tell (for recall and nDCG)."""
    if hasattr(system, "store") and callable(system.store):
        store = system.store()
        return store.chunks(list(store.rows()))
    if hasattr(system, "build") and callable(system.build):
        return list(system.build().chunks)
    return None


def percentile(values: Sequence[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else float("nan")


def _groups(item: QAItem) -> tuple[str, str]:
    return item.lang, item.type


def _group_names() -> tuple[str, ...]:
    return (*LANGS, *TYPES)


def _mean(values: Iterable[float | bool | None]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def _bar(progress: ProgressFactory | None, total: int, desc: str):
    return progress(total, desc) if progress else None


def _tick(bar) -> None:
    if bar is not None:
        bar.update(1)


def _close(bar) -> None:
    if bar is not None and hasattr(bar, "close"):
        bar.close()


# ----------------------------------------------------------------------------- base
@dataclass(frozen=True)
class EvalResult:
    """Metrics plus the per-question records behind them."""

    metrics: Metrics
    records: tuple[Any, ...] = ()


class Evaluator(ABC):
    """``evaluator(system)`` returns a dict of metrics; ``primary_metric`` names the headline one."""

    name: str = ""
    primary_metric: str = ""

    def __call__(self, system: System) -> Metrics:
        return self.evaluate(system).metrics

    @abstractmethod
    def evaluate(self, system: System) -> EvalResult:
        """Run the questions through ``system`` and score them."""


# ----------------------------------------------------------------------------- retrieval
@dataclass(frozen=True)
class RetrievalRecord:
    """The passages retrieved for one question and where the first relevant one ranked."""

    item: QAItem
    passages: tuple[Passage, ...]
    gold_rank: int | None  # 1-based rank of the first relevant passage, None if not retrieved
    latency_ms: float
    evidence_indexed: bool  # some indexed passage holds the evidence


class RetrievalEvaluator(Evaluator):
    """hit@1/@5, recall@5/@10, MRR@10 and nDCG@10 of the gold passage, computed by ``ranx``.

    Only answerable questions count. When no indexed passage holds the evidence (it straddles
    a chunk boundary, or cleaning changed it) the question scores 0, and
    ``evidence_not_indexed`` counts such questions.
    """

    name = "retrieval"
    primary_metric = "mrr@10"

    def __init__(
        self, items: Sequence[QAItem], *, depth: int = RETRIEVAL_DEPTH, progress: ProgressFactory | None = None
    ) -> None:
        self.items = [i for i in items if i.answerable]
        self.depth = depth
        self.progress = progress

    def evaluate(self, system: System) -> EvalResult:
        chunks = indexed_chunks(system)
        bar = _bar(self.progress, len(self.items), f"{self.name}")
        runs: dict[str, list[Passage]] = {}
        latencies: dict[str, float] = {}
        for item in self.items:
            started = time.perf_counter()
            runs[item.id] = list(system.retrieve(item.question, self.depth))
            latencies[item.id] = (time.perf_counter() - started) * 1000
            _tick(bar)
        _close(bar)
        qrels: dict[str, dict[str, int]] = {}
        for item in self.items:
            pool = chunks if chunks is not None else [p.chunk for p in runs[item.id]]
            qrels[item.id] = {c.chunk_id: 1 for c in pool if is_relevant(c, item)}
        per_query = ranx_scores(qrels, {qid: [p.chunk.chunk_id for p in ps] for qid, ps in runs.items()})
        records = []
        for item in self.items:
            rank = next((p.rank for p in runs[item.id] if p.chunk.chunk_id in qrels[item.id]), None)
            records.append(
                RetrievalRecord(item, tuple(runs[item.id]), rank, latencies[item.id], bool(qrels[item.id]))
            )
        return EvalResult(self._metrics(records, per_query), tuple(records))

    def _metrics(self, records: list[RetrievalRecord], per_query: dict[str, dict[str, float]]) -> Metrics:
        out: Metrics = {}
        for group in (None, *_group_names()):
            subset = [r for r in records if group is None or group in _groups(r.item)]
            if not subset:
                continue
            prefix = f"{group}/" if group else ""
            out[f"{prefix}n_retrieval"] = float(len(subset))
            for shown in RETRIEVAL_METRICS.values():
                out[prefix + shown] = _mean(per_query[shown][r.item.id] for r in subset) or 0.0
        if records:
            out["evidence_not_indexed"] = float(sum(not r.evidence_indexed for r in records))
        return out


def ranx_scores(qrels: dict[str, dict[str, int]], ranking: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """Per-query ranx scores ``{shown metric: {query id: score}}`` of ranked id lists.

    A query with no relevant document gets a placeholder one nothing can retrieve (it scores 0);
    an empty ranking gets a placeholder non-relevant entry.
    """
    from ranx import Qrels, Run, evaluate

    qrels = {q: dict(rel) or {_MISSING: 1} for q, rel in qrels.items()}
    run = {}
    for qid in qrels:
        ids = list(dict.fromkeys(ranking.get(qid, [])))
        run[qid] = {doc: float(len(ids) - i) for i, doc in enumerate(ids)} or {_NOTHING: 0.0}
    if not qrels:
        return {shown: {} for shown in RETRIEVAL_METRICS.values()}
    ranx_run = Run(run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety chatter
        evaluate(Qrels(qrels), ranx_run, list(RETRIEVAL_METRICS), return_mean=False, make_comparable=True)
    return {
        shown: {qid: float(score) for qid, score in ranx_run.scores[metric].items()}
        for metric, shown in RETRIEVAL_METRICS.items()
    }


# ----------------------------------------------------------------------------- answers
@dataclass(frozen=True)
class AnswerRecord:
    """One answer, its verdict and how long it took."""

    item: QAItem
    answer: dict[str, Any]
    judgement: Judgement
    latency_ms: float
    timings_ms: dict[str, float] = field(default_factory=dict)
    span: SpanJudgement | None = None  # short-answer EM/F1 (items with gold spellings)
    scoring: str = "answer"  # "span": the headline verdict is the span-benchmark rule

    @property
    def correct(self) -> bool:
        """The headline verdict: the span rule on span benchmarks, the answer rule elsewhere."""
        if self.scoring == "span" and self.span is not None:
            return self.span.correct
        return self.judgement.correct

    @property
    def confidence(self) -> float:
        try:
            return float(self.answer.get("confidence") or 0.0)
        except (TypeError, ValueError):
            return 0.0

    @property
    def kind(self) -> str:
        """What the question asks for (number, who, when, where, which, list, what...)."""
        from rag.answering.question import question_kind

        return question_kind(self.item.question, self.item.lang)

    @property
    def refused(self) -> bool:
        return bool(self.answer.get("refused"))

    @property
    def retrieval_ms(self) -> float | None:
        """The retrieval part of this answer's time (question analysis + search), if reported."""
        parts = [self.timings_ms[k] for k in ("analyze", "retrieve") if k in self.timings_ms]
        return sum(parts) if parts else None


class AnswerEvaluator(Evaluator):
    """Accuracy by the shared rules, refusal and false-refusal rates, citation hit and precision,
    latency p50/p95 of the whole answer, of its retrieval part and (streamed answers) of the first
    token (from the answer's timings).

    ``refusal_rate`` is over unanswerable questions (higher is better), ``false_refusal_rate``
    over answerable ones (lower is better); ``citation_hit``/``citation_precision`` over
    answerable ones (a refusal cites nothing: hit 0, precision not counted).
    """

    name = "answers"
    primary_metric = "accuracy"

    def __init__(
        self, items: Sequence[QAItem], *, progress: ProgressFactory | None = None, scoring: str = "answer"
    ) -> None:
        if scoring not in SCORINGS:
            raise InputError(f"Unknown scoring {scoring!r}: use one of {', '.join(SCORINGS)}.")
        self.items = list(items)
        self.progress = progress
        self.scoring = scoring

    def evaluate(self, system: System) -> EvalResult:
        bar = _bar(self.progress, len(self.items), self.name)
        records = []
        for item in self.items:
            started = time.perf_counter()
            answer = system.ask(item.question)
            latency = (time.perf_counter() - started) * 1000
            data = answer.to_dict() if hasattr(answer, "to_dict") else dict(answer)
            records.append(
                AnswerRecord(
                    item, data, judge(item, data), latency, dict(data.get("timings_ms") or {}),
                    span=judge_span(item, data), scoring=self.scoring,
                )
            )
            _tick(bar)
        _close(bar)
        return EvalResult(self.metrics(records), tuple(records))

    @staticmethod
    def metrics(records: Sequence[AnswerRecord]) -> Metrics:
        """Answer metrics of ``records`` overall and per language and question type."""
        out: Metrics = {}
        kinds = sorted({f"kind:{r.kind}" for r in records if r.item.answerable})
        for group in (None, *_group_names(), *kinds):
            subset = [
                r for r in records
                if group is None or group in _groups(r.item) or (r.item.answerable and group == f"kind:{r.kind}")
            ]
            if not subset:
                continue
            prefix = f"{group}/" if group else ""
            answerable = [r for r in subset if r.item.answerable]
            unanswerable = [r for r in subset if not r.item.answerable]
            values: dict[str, float | None] = {
                "n": float(len(subset)),
                "accuracy": _mean(r.correct for r in subset),
                "answerable_accuracy": _mean(r.correct for r in answerable),
                "lenient_accuracy": _mean(r.span.lenient for r in answerable if r.span) if any(r.span for r in answerable) else None,
                "em": _mean(r.span.em for r in answerable if r.span) if any(r.span for r in answerable) else None,
                "f1": _mean(r.span.f1 for r in answerable if r.span) if any(r.span for r in answerable) else None,
                "refusal_rate": _mean(r.refused for r in unanswerable),
                "false_refusal_rate": _mean(r.refused for r in answerable),
                "citation_hit": _mean(bool(r.judgement.citation_hit) for r in answerable),
                "citation_precision": _mean(r.judgement.citation_precision for r in answerable),
            }
            out.update({prefix + k: v for k, v in values.items() if v is not None})
        if records:
            latencies = [r.latency_ms for r in records]
            out["answer_ms_p50"] = percentile(latencies, 50)
            out["answer_ms_p95"] = percentile(latencies, 95)
            first = [r.timings_ms["first_token"] for r in records if "first_token" in r.timings_ms]
            if first:  # streamed (llm) answers: the wait before the first words appear
                out["first_token_ms_p50"] = percentile(first, 50)
                out["first_token_ms_p95"] = percentile(first, 95)
            retrieval = [r.retrieval_ms for r in records if r.retrieval_ms is not None]
            if retrieval:
                out["retrieval_ms_p50"] = percentile(retrieval, 50)
                out["retrieval_ms_p95"] = percentile(retrieval, 95)
        return out


# ----------------------------------------------------------------------------- combined
class SequentialEvaluator(Evaluator):
    """Runs several evaluators and merges their metrics; the primary metric is the first one's."""

    name = "all"

    def __init__(self, evaluators: Sequence[Evaluator]) -> None:
        if not evaluators:
            raise ValueError("SequentialEvaluator needs at least one evaluator")
        self.evaluators = list(evaluators)
        self.primary_metric = self.evaluators[0].primary_metric

    def evaluate(self, system: System) -> EvalResult:
        return self.evaluate_each(system)[1]

    def evaluate_each(self, system: System) -> tuple[dict[str, EvalResult], EvalResult]:
        """(results by evaluator name, merged result)."""
        results = {e.name: e.evaluate(system) for e in self.evaluators}
        merged: Metrics = {}
        records: list[Any] = []
        for result in results.values():
            merged.update(result.metrics)
            records.extend(result.records)
        return results, EvalResult(merged, tuple(records))


def coverage_curve(records: Sequence[AnswerRecord], thresholds: Sequence[float] | None = None) -> list[dict[str, float]]:
    """Accuracy of the answers kept at each confidence threshold, and the share kept (coverage).

    Over answerable questions: an answer is kept when it was given (not refused) with confidence
    >= the threshold. With ``min_confidence=0`` (the ``no-threshold`` eval configuration) every
    answer is given, so the curve shows what each threshold would trade."""
    answerable = [r for r in records if r.item.answerable]
    if not answerable:
        return []
    points = []
    for t in thresholds or [i / 20 for i in range(20)]:
        kept = [r for r in answerable if not r.refused and r.confidence >= t]
        points.append(
            {
                "threshold": t,
                "coverage": len(kept) / len(answerable),
                "accuracy": (sum(r.correct for r in kept) / len(kept)) if kept else float("nan"),
            }
        )
    return points


def calibration_table(records: Sequence[AnswerRecord], bins: int = 5) -> list[dict[str, float]]:
    """Share right among given answers per confidence bin (calibrated: about the bin's confidence)."""
    given = [r for r in records if r.item.answerable and not r.refused]
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [r for r in given if lo <= r.confidence < hi or (b == bins - 1 and r.confidence == 1.0)]
        if inside:
            out.append({"low": lo, "high": hi, "n": len(inside), "mean_confidence": sum(r.confidence for r in inside) / len(inside), "accuracy": sum(r.correct for r in inside) / len(inside)})
    return out


def qa_evaluator(
    items: Sequence[QAItem], *, progress: ProgressFactory | None = None, scoring: str = "answer"
) -> SequentialEvaluator:
    """Answer then retrieval metrics on one QA set (what ``rag eval`` runs per configuration).

    Answers go first so their latency includes embedding each question (unless the embedding
    cache already holds it from an earlier run).
    """
    return SequentialEvaluator(
        [AnswerEvaluator(items, progress=progress, scoring=scoring), RetrievalEvaluator(items, progress=progress)]
    )
