"""Fit when the reader gives the clause around its span instead of the span (``extent.ClauseRule``).

    python -m eval.clause_fit \\
        --fit ../shared/benchmarks/cmrc2018-trial/qa.jsonl@even /tmp/ev-cmrc/metrics.json \\
        --fit ../shared/benchmarks/xquad-dev/qa.jsonl /tmp/ev-xquad/metrics.json \\
        --check ../shared/benchmarks/cmrc2018-trial/qa.jsonl@odd /tmp/ev-cmrc/metrics.json \\
        --out rag/answering/reader/weights/calibration.json

Each ``METRICS`` is the ``metrics.json`` of ``rag eval --dataset QA.jsonl`` run with a calibration
file whose clause rule is off (no ``"clause"``: point ``RAG_CALIBRATION`` at such a copy): it
records, for every answered question, the passage its short answer was cut from and where. For
each rule of the grid (``chars`` 0–16 letters, ``ratio`` 1.0–3.0) every answer is widened exactly
as the product widens it and judged again: accuracy by the span rule, and character F1. The rule
kept is the one with the best mean change of the two over the ``--fit`` groups (each dataset's
questions of one language; ``@even`` / ``@odd``: only the even- or odd-placed questions of the file,
as ``eval.calibrate --reason-set`` splits them) among those that cost no group more than
``--max-loss`` points of either. Then each kind of question (``rag.answering.question.extent_kind``:
"list", "why", "what" …) asked at least ``--min-kind`` times in the ``--fit`` groups gets a rule of
its own when one of the grid raises that mean change further under the same bound (most asked
kinds first, the others' rules fixed): its clause rule, then whether the whole sentence is given
when it adds little (``sentence_chars`` 0–40, ``sentence_ratio`` 0–6). ``--check`` groups are only
reported. ``--out`` writes the rule into that calibration file (the rest of it kept).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from rag.answering.question import extent_kind
from rag.answering.reader.calibration import Calibration
from rag.answering.reader.extent import ClauseRule
from rag.errors import InputError

from .datasets import load_dataset
from .report import read_answers
from .scoring import f1_score, span_correct

CHARS = tuple(range(0, 17, 2))
RATIOS = (0.0, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2.0, 2.5, 3.0)
SENTENCE_CHARS = (0, 10, 15, 20, 25, 30, 40)
SENTENCE_RATIOS = (0.0, 1.5, 2.0, 3.0, 4.0, 6.0)


def groups(spec: str, metrics: Path) -> dict[str, list[tuple[tuple[str, ...], dict, str]]]:
    """``{"NAME[@half]/lang": [(gold spellings, question record, question kind), ...]}`` of one
    dataset's run."""
    path, _, half = spec.partition("@")
    if half not in ("", "even", "odd"):
        raise SystemExit(f"{spec!r}: give QA.jsonl, QA.jsonl@even or QA.jsonl@odd")
    items = load_dataset(path, skip_invalid=True)
    if half:
        items = items[half == "odd" :: 2]
    records = read_answers(metrics, items)
    name = Path(path).parent.name + (f"@{half}" if half else "")
    out: dict[str, list] = {}
    for item in items:
        golds = tuple(s for group in item.expect for s in group)
        if golds:
            out.setdefault(f"{name}/{item.lang}", []).append((golds, records[item.id], extent_kind(item.question, item.lang)))
    return out


def widened(rule: ClauseRule, record: dict, kind: str | None = None) -> str | None:
    """The record's short answer to a question of ``kind`` as ``rule`` would have cut it (None
    when refused)."""
    if record.get("refused") or not record.get("short_answer"):
        return None
    where = record.get("answer_span")
    short = record["short_answer"]
    if where and where.get("span") and "；" not in short:  # one value, cut from this passage
        text, (start, end) = where["text"], where["span"]
        a, b = rule.extent(text, start, end, kind)
        short = text[a:b] if (a, b) != (start, end) else short
    return short


def scores(rule: ClauseRule, group: list) -> tuple[float, float]:
    """Accuracy (the span rule) and mean character F1 of ``group``'s answers under ``rule``, in points."""
    right = f1 = 0.0
    for golds, record, kind in group:
        short = widened(rule, record, kind)
        if short:
            right += span_correct(short, golds)
            f1 += max(f1_score(short, g) for g in golds)
    n = max(1, len(group))
    return 100.0 * right / n, 100.0 * f1 / n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.clause_fit", description=__doc__.split("\n\n")[0])
    ap.add_argument("--fit", nargs=2, action="append", default=[], metavar=("QA.jsonl[@even|@odd]", "METRICS.json"), required=True)
    ap.add_argument("--check", nargs=2, action="append", default=[], metavar=("QA.jsonl[@even|@odd]", "METRICS.json"))
    ap.add_argument("--max-loss", type=float, default=1.0, help="points of accuracy or F1 any --fit group may lose (default 1.0)")
    ap.add_argument("--min-kind", type=int, default=30,
                    help="questions of a kind the --fit groups need before it gets a rule of its own (default 30)")
    ap.add_argument("--out", type=Path, help="calibration JSON to write the rule into")
    args = ap.parse_args(argv)
    if args.min_kind < 1:
        print(f"error: --min-kind {args.min_kind} must be at least 1 (questions of a kind needed for a rule of its own; "
              "the default 30 keeps rules off kinds too rare to fit)", file=sys.stderr)
        return 2
    try:
        fit = {k: v for spec, m in args.fit for k, v in groups(spec, Path(m)).items()}
        check = {k: v for spec, m in args.check for k, v in groups(spec, Path(m)).items()}
    except (InputError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    base = {k: scores(ClauseRule(), v) for k, v in {**fit, **check}.items()}

    def judged(rule: ClauseRule) -> float | None:
        """The mean gain of ``rule`` over the --fit groups; None when it costs a group too much."""
        changes = [(a - base[k][0], f - base[k][1]) for k, v in fit.items() for a, f in [scores(rule, v)]]
        if min(min(c) for c in changes) < -args.max_loss:
            return None
        return sum(a + f for a, f in changes) / (2 * len(changes))

    best, best_gain = ClauseRule(), 0.0
    for chars in CHARS:
        for ratio in RATIOS:
            gain = judged(ClauseRule(chars, ratio))
            if gain is not None and gain > best_gain + 1e-9:
                best, best_gain = ClauseRule(chars, ratio), gain
    print(f"clause rule: chars={best.chars} ratio={best.ratio} (mean gain {best_gain:+.2f} points of accuracy and F1 over {len(fit)} groups)")
    asked = Counter(kind for v in fit.values() for _, _, kind in v)
    for kind, n in asked.most_common():
        if n < args.min_kind:
            break
        own = dict(best.kinds)
        for chars in CHARS:
            for ratio in RATIOS:
                rule = replace(best, kinds=tuple(sorted({**own, kind: ClauseRule(chars, ratio)}.items())))
                gain = judged(rule)
                if gain is not None and gain > best_gain + 1e-9:
                    best, best_gain = rule, gain
        mine, own = best.for_kind(kind), dict(best.kinds)
        for chars in SENTENCE_CHARS:  # then the whole sentence, for this kind
            for ratio in SENTENCE_RATIOS:
                rule = replace(best, kinds=tuple(sorted({**own, kind: replace(mine, sentence_chars=chars, sentence_ratio=ratio)}.items())))
                gain = judged(rule)
                if gain is not None and gain > best_gain + 1e-9:
                    best, best_gain = rule, gain
        mine = best.for_kind(kind)
        print(f"  {kind:10} {n:5} q  clause chars={mine.chars} ratio={mine.ratio}, sentence chars={mine.sentence_chars} "
              f"ratio={mine.sentence_ratio}  (mean gain now {best_gain:+.2f})")
    for label, sets in (("fit", fit), ("check", check)):
        for k, v in sets.items():
            (a0, f0), (a1, f1) = base[k], scores(best, v)
            print(f"  {label:5} {k:32} {len(v):5} q  accuracy {a0:5.1f} -> {a1:5.1f}   F1 {f0:5.1f} -> {f1:5.1f}")
    if args.out:
        Calibration.amend(args.out, clause=best)
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
