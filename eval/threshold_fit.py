"""Fit a question language's refusal threshold on questions over the archive itself.

    for s in a b c d e f; do
        RAG_MIN_CONFIDENCE=0 rag eval --home /tmp/rag-fresh --config default \\
            --dataset eval/data/bundled-fresh-$s.jsonl --out /tmp/ev-thr-$s
    done
    python -m eval.threshold_fit --language en \\
        --fit eval/data/bundled-fresh-a.jsonl /tmp/ev-thr-a/metrics.json … \\
        --out rag/answering/reader/weights/calibration.json

``eval.calibrate`` fits each language's threshold on XQuAD's validation articles mixed with
unanswerable questions. XQuAD's questions are short and its paragraphs Wikipedia's; questions a
user asks over the news archive, in English over Chinese text, are read with less confidence, and
a threshold fitted there refuses many of them that are answered right. This script fits the
threshold where the product is used: on question sets over the bundled pages with answerable and
unanswerable questions (the fresh sets of ``eval/data``, each written by a separate session).

Each ``METRICS`` is the ``metrics.json`` of ``rag eval`` run with ``RAG_MIN_CONFIDENCE=0`` (nothing
refused for low confidence, so every answer and its confidence is recorded). At a threshold ``t`` an
answerable question is right when it was answered right with confidence ≥ ``t``; an unanswerable one
when it was refused (by a rule, or for a confidence below ``t``). The threshold kept maximises the
accuracy of the ``--language`` questions of all ``--fit`` sets together (ties: the highest, which
refuses more). Each set is also left out in turn, the threshold fitted on the others and judged on
it: that figure, not the fitted one, estimates what an unseen set gets. ``--out`` writes the
threshold of that language into the calibration file (the rest kept).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from rag.answering.reader.calibration import Calibration
from rag.errors import InputError

from .datasets import load_dataset
from .report import read_answers

GRID = tuple(round(0.01 * i, 2) for i in range(0, 61))


def records(qa: Path, metrics: Path, language: str) -> list[tuple[bool, float, bool, bool]]:
    """``(unanswerable, confidence, correct, refused)`` of each ``language`` question of one run."""
    items = load_dataset(qa, skip_invalid=True)
    answers = read_answers(metrics, items)
    out = []
    for item in items:
        if item.lang != language:
            continue
        a = answers[item.id]
        out.append((item.type == "unanswerable", float(a.get("confidence") or 0.0), bool(a.get("correct")), bool(a.get("refused"))))
    return out


def right(rows: list[tuple[bool, float, bool, bool]], threshold: float) -> int:
    """How many of ``rows`` are judged right when answers below ``threshold`` are refused."""
    return sum((refused or confidence < threshold) if unanswerable else (correct and not refused and confidence >= threshold)
               for unanswerable, confidence, correct, refused in rows)


def best(rows: list[tuple[bool, float, bool, bool]]) -> float:
    """The threshold of ``GRID`` with the most right answers (ties: the highest)."""
    return max(GRID, key=lambda t: (right(rows, t), t))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.threshold_fit", description=__doc__.split("\n\n")[0])
    ap.add_argument("--fit", nargs=2, action="append", required=True, metavar=("QA.jsonl", "METRICS.json"),
                    help="a question set and its `rag eval` run with RAG_MIN_CONFIDENCE=0 (repeat)")
    ap.add_argument("--language", required=True, choices=("zh", "en"), help="the question language whose threshold is fitted")
    ap.add_argument("--out", type=Path, help="calibration JSON to write the threshold into")
    args = ap.parse_args(argv)
    try:
        sets = {qa: records(Path(qa), Path(m), args.language) for qa, m in args.fit}
        calibration = Calibration.load(args.out) if args.out else Calibration.load()
    except (InputError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if len(sets) < len(args.fit):
        print("error: a question set is given twice in --fit; give each once", file=sys.stderr)
        return 2
    every = [r for rows in sets.values() for r in rows]
    current = calibration.threshold_for(args.language)
    if all(u for u, *_ in every) or not any(u for u, *_ in every):
        print(f"error: the --fit sets need answerable and unanswerable {args.language} questions", file=sys.stderr)
        return 2
    fitted = best(every)
    held = sum(right(rows, best([r for k, other in sets.items() if k != name for r in other])) for name, rows in sets.items())
    print(f"{args.language} threshold: {current:.2f} -> {fitted:.2f} over {len(every)} questions of {len(sets)} sets")
    print(f"  accuracy at {current:.2f}: {right(every, current) / len(every):.3f}; at {fitted:.2f}: {right(every, fitted) / len(every):.3f}; "
          f"each set left out in turn (fitted on the others): {held / len(every):.3f}")
    for name, rows in sets.items():
        una = [r for r in rows if r[0]]
        ans = [r for r in rows if not r[0]]
        for t in (current, fitted):
            print(f"  {Path(name).name:28} t={t:.2f}  accuracy {right(rows, t) / len(rows):.3f}  "
                  f"unanswerables refused {right(una, t)}/{len(una)}  "
                  f"false refusals {sum(ref or c < t for _, c, _, ref in ans)}/{len(ans)}")
    if args.out:
        note = f"{args.language} threshold fitted on {', '.join(sets)} (eval.threshold_fit)"
        source = re.sub(rf"; {args.language} threshold fitted on [^;]*\(eval\.threshold_fit\)", "", calibration.source)
        Calibration.amend(args.out, thresholds={**calibration.thresholds, args.language: fitted}, source=f"{source}; {note}")
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
