"""Fit the reader's confidence calibration and refusal threshold on validation questions.

    python -m eval.calibrate --home /tmp/rag-cal \\
        --answerable ../shared/benchmarks/xquad-dev/qa.jsonl --min-article 32 \\
        --unanswerable ../shared/benchmarks/xquad-dev/qa.jsonl@bundled

Answerable questions are asked over their own corpus (the ``corpus/`` beside the file), through
the real retrieval, and judged by the span-benchmark rule; unanswerable ones are public questions
asked over a corpus that cannot hold their answer (``FILE@bundled``: over the bundled news pages),
which must be refused. The fit: logistic regression of "right" over each question's top
candidates on (logit of the pooled span probability, margin over "no answer", 1/retrieval rank):
it ranks the candidates and calibrates the winner (Platt scaling); the threshold maximises
accuracy on a mix of 80% answerable and 20% unanswerable questions. Only XQuAD's even-numbered articles at or above
``--min-article`` (never used in training) are read; the held-out test sets are never touched.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import numpy as np

from rag.answering.reader.calibration import CALIBRATION, Calibration
from rag.settings import load_settings

from .datasets import QAItem, load_dataset
from .scoring import span_correct


def _article(item: QAItem) -> int:
    m = re.match(r"xq(\d+)_", item.doc or "")
    return int(m.group(1)) if m else -1


TOP = 10  # candidates per question the scorer learns to rank
UNANSWERABLE_SHARE = 0.2  # the threshold maximises accuracy on a mix with this share unanswerable


def _features(pipeline, answerer, items: list[QAItem], progress_label: str, answerable: bool):
    """Per question, its top candidates as (logit p, margin, 1/rank, right)."""
    from tqdm import tqdm

    questions = []
    for item in tqdm(items, desc=progress_label, file=sys.stderr):
        passages = pipeline.retrieve(item.question)
        golds = [s for g in item.expect for s in g]
        rows = []
        for c in answerer.candidates(item.question, passages)[:TOP]:
            p = min(max(c.probability, 1e-6), 1 - 1e-6)
            right = answerable and bool(golds) and span_correct(c.text, golds)
            rows.append((math.log(p / (1 - p)), c.margin, 1.0 / max(1, c.passage.rank), right))
        questions.append(rows)
    return questions


def fit_logistic(rows, iterations: int = 4000, lr: float = 0.1, l2: float = 1e-3) -> np.ndarray:
    """Logistic regression by gradient descent on standardised inputs -> weights on raw inputs
    (features..., bias)."""
    X = np.array([r[:-1] for r in rows], dtype=float)
    y = np.array([float(r[-1]) for r in rows])
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = (X - mu) / sd
    w = np.zeros(X.shape[1])
    c = 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(Z @ w + c)))
        g = p - y
        w -= lr * (Z.T @ g / len(y) + l2 * w)
        c -= lr * g.mean()
    raw = w / sd
    return np.append(raw, c - (w * mu / sd).sum())


def _best(cal: Calibration, rows) -> tuple[float, bool]:
    """The top candidate under ``cal``: (confidence, right)."""
    if not rows:
        return 0.0, False
    scored = [(1 / (1 + math.exp(-(cal.a * lp + cal.b * m + cal.d * inv + cal.c))), ok) for lp, m, inv, ok in rows]
    return max(scored, key=lambda t: t[0])


def main(argv: list[str] | None = None) -> int:
    from rag.answering.reader.answerer import ReaderAnswerer
    from rag.pipeline import bundled_corpus_dir

    from .cli import prepare_product

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--answerable", type=Path, action="append", required=True)
    ap.add_argument("--unanswerable", action="append", default=[], help="FILE@bundled: its questions over the bundled corpus")
    ap.add_argument("--min-article", type=int, default=32, help="XQuAD articles below this index were trained on")
    ap.add_argument("--out", type=Path, default=CALIBRATION)
    args = ap.parse_args(argv)

    base = load_settings({"home": args.home})
    answerable_rows, unanswerable_rows = [], []
    built: set[str] = set()
    for path in args.answerable:
        items = [i for i in load_dataset(path) if i.answerable and (_article(i) < 0 or _article(i) >= args.min_article)]
        pipeline = prepare_product(base.replace(home=args.home / path.parent.name), [path.parent / "corpus"], None, built)
        answerer = ReaderAnswerer(context=pipeline.question_context, read_k=base.read_k)
        answerable_rows += _features(pipeline, answerer, items, path.parent.name, True)
    for spec in args.unanswerable:
        file, _, where = spec.partition("@")
        corpus = bundled_corpus_dir() if where in ("", "bundled") else Path(where)
        items = [i for i in load_dataset(Path(file)) if _article(i) < 0 or _article(i) >= args.min_article]
        pipeline = prepare_product(base.replace(home=args.home / f"unans-{corpus.name}"), [corpus], None, set())
        answerer = ReaderAnswerer(context=pipeline.question_context, read_k=base.read_k)
        unanswerable_rows += _features(pipeline, answerer, items, f"unanswerable over {corpus.name}", False)

    a, b, d, c = fit_logistic([r for q in answerable_rows + unanswerable_rows for r in q])
    cal = Calibration(a, b, c, d)
    conf_ans = [_best(cal, q) for q in answerable_rows]
    conf_un = [_best(cal, q)[0] for q in unanswerable_rows]
    # before: the reader's own ranking (pooled probability), for the record
    first_right = sum(bool(q) and q[0][3] for q in answerable_rows) / max(1, len(answerable_rows))
    best = (-1.0, 0.0)
    for t in np.linspace(0.0, 0.9, 91):
        acc = sum(ok for cf, ok in conf_ans if cf >= t) / max(1, len(conf_ans))
        ref = sum(cf < t for cf in conf_un) / max(1, len(conf_un)) if conf_un else 0.0
        # questions users ask are mostly answerable: weigh the two as a mix with 20% unanswerable
        score = (1 - UNANSWERABLE_SHARE) * acc + UNANSWERABLE_SHARE * ref if conf_un else acc
        if score > best[0] + 1e-9:
            best = (score, float(t))
    threshold = round(best[1], 2)
    source = (
        f"Platt fit on {len(answerable_rows)} answerable ({', '.join(p.parent.name for p in args.answerable)}, "
        f"XQuAD articles >= {args.min_article}) and {len(unanswerable_rows)} unanswerable questions"
    )
    cal = Calibration(round(float(a), 5), round(float(b), 5), round(float(c), 5), round(float(d), 5), threshold, source)
    cal.save(args.out)
    acc0 = sum(ok for _, ok in conf_ans) / max(1, len(conf_ans))
    acc_t = sum(ok for cf, ok in conf_ans if cf >= threshold) / max(1, len(conf_ans))
    ref_t = sum(cf < threshold for cf in conf_un) / max(1, len(conf_un)) if conf_un else math.nan
    print(json.dumps({**cal.__dict__, "top_by_probability_right": first_right, "answerable_accuracy_no_threshold": acc0, "answerable_accuracy": acc_t,
                      "unanswerable_refused": ref_t}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
