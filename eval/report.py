"""Turning evaluation results into a comparison table, metrics.json and report.md."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from rag.errors import InputError

from .datasets import LANGS, TYPES, QAItem
from .evaluators import AnswerRecord, Metrics, RetrievalRecord, calibration_table, coverage_curve

# (column title, metric key, kind) of the comparison table; kind: "pct" or "ms" or "num"
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("accuracy", "accuracy", "pct"),
    ("zh", "zh/accuracy", "pct"),
    ("en", "en/accuracy", "pct"),
    ("EM", "em", "pct"),
    ("F1", "f1", "pct"),
    ("zh F1", "zh/f1", "pct"),
    ("en F1", "en/f1", "pct"),
    ("lenient", "lenient_accuracy", "pct"),
    ("unans. refused", "refusal_rate", "pct"),
    ("false refusals", "false_refusal_rate", "pct"),
    ("cit. hit", "citation_hit", "pct"),
    ("cit. prec.", "citation_precision", "pct"),
    ("hit@1", "hit@1", "pct"),
    ("hit@5", "hit@5", "pct"),
    ("MRR@10", "mrr@10", "num"),
    ("nDCG@10", "ndcg@10", "num"),
    ("p50 ms", "answer_ms_p50", "ms"),
    ("p95 ms", "answer_ms_p95", "ms"),
    ("1st token p50", "first_token_ms_p50", "ms"),
    ("1st token p95", "first_token_ms_p95", "ms"),
)
GROUP_METRICS: tuple[str, ...] = (
    "n", "accuracy", "refusal_rate", "false_refusal_rate", "citation_hit", "citation_precision",
    "hit@1", "hit@5", "recall@5", "recall@10", "mrr@10", "ndcg@10",
)  # fmt: skip
PASSAGES_SHOWN = 3


@dataclass(frozen=True)
class ConfigResult:
    """Everything one configuration produced (or why it was skipped)."""

    name: str
    description: str
    metrics: Metrics
    answers: tuple[AnswerRecord, ...] = ()
    retrieval: tuple[RetrievalRecord, ...] = ()
    skipped: str | None = None
    setup_s: float = 0.0  # index build / load time
    eval_s: float = 0.0


# ----------------------------------------------------------------------------- formatting
def fmt(value: float | None, kind: str = "num") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "ms":
        return f"{value:.0f}"
    if kind == "int":
        return f"{value:.0f}"
    return f"{value:.3f}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-style table, columns padded so it also reads well as plain text."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(header)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def comparison_table(results: Sequence[ConfigResult]) -> str:
    """One row per configuration (skipped ones say why); first-token columns only when some
    configuration streamed its answers."""
    optional = ("first_token", "em", "f1", "zh/f1", "en/f1", "lenient")
    columns = [
        c for c in COLUMNS if not c[1].startswith(optional) or any(c[1] in r.metrics for r in results)
    ]
    header = ["config", *(title for title, _, _ in columns)]
    rows = []
    for r in results:
        if r.skipped:
            rows.append([r.name, "skipped", *([""] * (len(columns) - 1))])  # the reason is listed below it
        else:
            rows.append([r.name, *(fmt(r.metrics.get(key), kind) for _, key, kind in columns)])
    return markdown_table(header, rows)


def headline(result: ConfigResult) -> str:
    """The figures a user looks at first, in one block."""
    m = result.metrics
    return (
        f"{result.name}: accuracy {fmt(m.get('accuracy'), 'pct')} (zh {fmt(m.get('zh/accuracy'), 'pct')}, "
        f"en {fmt(m.get('en/accuracy'), 'pct')})"
        + (
            f"; short answer EM {fmt(m.get('em'), 'pct')} F1 {fmt(m.get('f1'), 'pct')} "
            f"(zh {fmt(m.get('zh/f1'), 'pct')}, en {fmt(m.get('en/f1'), 'pct')}), lenient {fmt(m.get('lenient_accuracy'), 'pct')}"
            if "f1" in m
            else ""
        )
        + f"; unanswerable refused {fmt(m.get('refusal_rate'), 'pct')}, "
        f"false refusals {fmt(m.get('false_refusal_rate'), 'pct')}; citation hit {fmt(m.get('citation_hit'), 'pct')}; "
        f"hit@1 {fmt(m.get('hit@1'), 'pct')}, hit@5 {fmt(m.get('hit@5'), 'pct')}; "
        f"latency p50 {fmt(m.get('answer_ms_p50'), 'ms')} ms, p95 {fmt(m.get('answer_ms_p95'), 'ms')} ms "
        f"(retrieval p50 {fmt(m.get('retrieval_ms_p50'), 'ms')} ms, p95 {fmt(m.get('retrieval_ms_p95'), 'ms')} ms)"
        + (
            f"; first token p50 {fmt(m.get('first_token_ms_p50'), 'ms')} ms, p95 {fmt(m.get('first_token_ms_p95'), 'ms')} ms"
            if "first_token_ms_p50" in m
            else ""
        )
        + _modes(result)
    )


def _modes(result: ConfigResult) -> str:
    """"; answers by mode: llm 27, extractive 3" when some answers came from a fallback."""
    from collections import Counter

    modes = Counter(str(a.answer.get("mode")) for a in result.answers if not a.refused)
    if len(modes) < 2:
        return ""
    return "; answers by mode: " + ", ".join(f"{mode} {n}" for mode, n in modes.most_common())


def expected_text(item: QAItem) -> str:
    if not item.answerable:
        return "(a refusal)"
    if item.type == "number":
        return ", ".join(f"{v:g}" for v in item.values)
    return " + ".join(" / ".join(group) for group in item.expect)


# ----------------------------------------------------------------------------- metrics.json
def split_metrics(metrics: Metrics) -> dict[str, Any]:
    """Flat ``"zh/accuracy"`` keys -> ``{"overall": ..., "by_lang": {"zh": ...}, "by_type": ...}``."""
    out: dict[str, Any] = {"overall": {}, "by_lang": {}, "by_type": {}, "by_kind": {}}
    for key, value in metrics.items():
        value = None if isinstance(value, float) and math.isnan(value) else value
        group, _, name = key.rpartition("/")
        if not group:
            out["overall"][name] = value
        elif group in LANGS:
            out["by_lang"].setdefault(group, {})[name] = value
        elif group in TYPES:
            out["by_type"].setdefault(group, {})[name] = value
        elif group.startswith("kind:"):
            out["by_kind"].setdefault(group[5:], {})[name] = value
    return out


def metrics_document(results: Sequence[ConfigResult], *, dataset: str, corpus: Sequence[str], n: int) -> dict:
    """What ``metrics.json`` holds: every number per configuration, language and type."""
    configs: dict[str, Any] = {}
    for r in results:
        if r.skipped:
            configs[r.name] = {"description": r.description, "skipped": r.skipped}
            continue
        configs[r.name] = {
            "description": r.description,
            **split_metrics(r.metrics),
            "seconds": {"setup": round(r.setup_s, 2), "eval": round(r.eval_s, 2)},
            "coverage_curve": coverage_curve(r.answers),
            "calibration": calibration_table(r.answers),
            "questions": [
                {
                    "id": a.item.id,
                    "correct": a.correct,
                    "reason": a.judgement.reason,
                    "short_answer": a.answer.get("short_answer"),
                    "confidence": a.answer.get("confidence"),
                    **({"em": a.span.em, "f1": round(a.span.f1, 4)} if a.span else {}),
                    "refused": a.refused,
                    "citation_hit": a.judgement.citation_hit,
                    "gold_rank": ranks.get(a.item.id),
                    "latency_ms": round(a.latency_ms, 2),
                    "answer": a.answer.get("answer"),
                    # the passage the short answer was cut from, and where (eval.clause_fit reads it)
                    "answer_span": next(
                        ({"text": c.get("text"), "span": c.get("span")} for c in a.answer.get("citations") or () if c.get("span")),
                        None,
                    ),
                    "mode": a.answer.get("mode"),
                    "grounded": a.answer.get("grounded"),
                    "warnings": list(a.answer.get("warnings") or ()),
                    **({"first_token_ms": round(a.timings_ms["first_token"], 2)} if "first_token" in a.timings_ms else {}),
                }
                for ranks in [{rr.item.id: rr.gold_rank for rr in r.retrieval}]
                for a in r.answers
            ],
        }
    return {"dataset": dataset, "corpus": list(corpus), "questions": n, "configs": configs}


def write_metrics_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")


def read_answers(path: Path, items: Sequence[QAItem]) -> dict[str, dict]:
    """Each question's record in the ``metrics.json`` of a ``rag eval`` run, by id (the fitting
    scripts read them); an ``InputError`` naming the file and the fix when it is no such run or
    misses some of ``items``."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        answers = {q["id"]: q for config in document["configs"].values() for q in config.get("questions", ())}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            f"{Path(path).name} is not the metrics.json of a `rag eval` run ({type(exc).__name__}: {exc}); "
            "give the metrics.json that `rag eval --out DIR` writes"
        ) from None
    missing = [i.id for i in items if i.id not in answers]
    if missing:
        raise InputError(f"{Path(path).name}: no answer to {len(missing)} of its questions (first {missing[0]}); run `rag eval` on them")
    return answers


# ----------------------------------------------------------------------------- report.md
SPAN_GROUP_METRICS: tuple[str, ...] = ("n", "accuracy", "em", "f1", "lenient_accuracy", "false_refusal_rate")


def _group_table(result: ConfigResult, groups: Sequence[str], metrics: Sequence[str] = GROUP_METRICS) -> str:
    m = result.metrics
    present = [g for g in groups if f"{g}/n" in m]
    kinds = {"n": "int", "mrr@10": "num", "ndcg@10": "num"}
    rows = [[g, *(fmt(m.get(f"{g}/{k}"), kinds.get(k, "pct")) for k in metrics)] for g in present]
    return markdown_table(["", *metrics], rows)


def _passage_lines(record: RetrievalRecord | None) -> list[str]:
    if record is None:
        return ["  - (no retrieval record: unanswerable questions are not scored for retrieval)"]
    from .evaluators import is_relevant

    lines = []
    for p in record.passages[:PASSAGES_SHOWN]:
        text = " ".join(p.chunk.text.split())
        text = text if len(text) <= 220 else text[:220] + "…"
        mark = " ✔ gold" if is_relevant(p.chunk, record.item) else ""
        title = f" {p.chunk.title}" if p.chunk.title else ""
        lines.append(f"  - #{p.rank} `{p.chunk.source}`{title}{mark}: {text}")
    if record.gold_rank is None:
        lines.append("  - gold passage not in the top 10" + ("" if record.evidence_indexed else " (evidence not in any indexed passage)"))
    elif record.gold_rank > PASSAGES_SHOWN:
        lines.append(f"  - gold passage at rank {record.gold_rank}")
    return lines


def _retrieved_for_unanswerable(record: AnswerRecord) -> list[str]:
    cites = record.answer.get("citations") or []
    return [f"  - [{c.get('n')}] `{c.get('source')}`: {' '.join(str(c.get('text', '')).split())[:220]}" for c in cites[:PASSAGES_SHOWN]]


def render_markdown(results: Sequence[ConfigResult], *, dataset: str, corpus: Sequence[str], n: int, plots: Sequence[str]) -> str:
    """The human-readable report: comparison, per-group tables, the wrong answers with passages."""
    parts = [
        "# Evaluation report",
        "",
        f"Dataset: `{dataset}` ({n} questions). Corpus: {', '.join(f'`{c}`' for c in corpus)}.",
        "",
        "Accuracy follows the shared scoring rules (shared/eval/README.md). Refusal rate is over unanswerable",
        "questions, false refusals over answerable ones; retrieval metrics (ranx) count a passage as relevant",
        "when it comes from the gold file and contains the evidence (whitespace ignored). Latency is per",
        "question with the embedding cache as it stands (questions asked in an earlier run are cached);",
        "`rag bench` measures latency on questions the cache has never seen.",
        "",
        "## Comparison",
        "",
        comparison_table(results),
        "",
    ]
    for r in results:
        parts += [f"- **{r.name}**: {r.description}" + (f" — {r.skipped}" if r.skipped else f" (setup {r.setup_s:.1f} s, eval {r.eval_s:.1f} s)")]
    parts.append("")
    for plot in plots:
        parts += [f"![{Path(plot).stem}]({plot})", ""]
    for r in results:
        if r.skipped:
            continue
        parts += [f"## {r.name}", "", headline(r), "", "### By language", "", _group_table(r, LANGS), ""]
        parts += ["### By question type", "", _group_table(r, TYPES), ""]
        kinds = sorted({k.split("/")[0] for k in r.metrics if k.startswith("kind:")})
        if kinds:
            parts += ["### By question kind (what is asked)", "", _group_table(r, kinds, SPAN_GROUP_METRICS), ""]
        table = calibration_table(r.answers)
        if table and any(a.confidence for a in r.answers):
            parts += ["### Calibration (answered questions per confidence bin)", ""]
            parts += [markdown_table(["confidence", "n", "mean confidence", "right"], [[f"{b['low']:.1f}–{b['high']:.1f}", str(b["n"]), f"{b['mean_confidence']:.2f}", fmt(b["accuracy"], "pct")] for b in table]), ""]
        wrong = [a for a in r.answers if not a.correct]
        parts += [f"### Wrong answers ({len(wrong)} of {len(r.answers)})", ""]
        by_id = {rr.item.id: rr for rr in r.retrieval}
        for a in wrong:
            got = " ".join(str(a.answer.get("answer", "")).split())
            parts += [
                f"- **{a.item.id}** ({a.item.lang}, {a.item.type}) {a.item.question}",
                f"  - expected: {expected_text(a.item)}" + (f" — in `{a.item.doc}`" if a.item.doc else ""),
                f"  - got: {got}" + (" (refused)" if a.refused else "")
                + (f" — short answer: {a.answer.get('short_answer')!r}, confidence {a.confidence:.2f}" if not a.refused else ""),
                f"  - why wrong: {a.judgement.reason}",
            ]
            parts += _passage_lines(by_id.get(a.item.id)) if a.item.answerable else _retrieved_for_unanswerable(a)
        parts.append("")
    return "\n".join(parts)
