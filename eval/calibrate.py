"""Fit the reader's confidence calibration and refusal thresholds on validation questions.

    python -m eval.calibrate --home /tmp/rag-cal \\
        --answerable ../shared/benchmarks/xquad-dev/qa.jsonl --min-article 32 \\
        --unanswerable ../shared/benchmarks/xquad-dev/qa.jsonl@bundled

Answerable questions are asked over their own corpus (the ``corpus/`` beside the file), through
the real retrieval, and judged by the span-benchmark rule; unanswerable ones are public questions
asked over a corpus that cannot hold their answer (``FILE@bundled``: over the bundled news pages),
which must be refused. The candidates are those of the question as asked over the retrieved
passages (how the shipped ``calibration.json`` was fitted); ``--as-read`` takes them as the
product reads them instead (the off-corpus name check, only passages naming what the question
names, English questions with their bridged Chinese terms). Each question's language is the
pipeline's (``detect_language``). The fit: logistic regression of "right" over each question's
top candidates on (logit of the pooled span probability, margin over "no answer", 1/retrieval
rank, and with ``--language-bias`` an English indicator): it ranks the candidates and calibrates
the winner (Platt scaling); the threshold maximises accuracy on a mix of 80% answerable and 20%
unanswerable questions (``--per-language``: one threshold per question language, each on its own
language's mix). ``--cv`` reports the chosen scheme beside the plain single-threshold fit,
leaving one XQuAD article out at a time. Measured and not shipped: ``--per-language`` and
``--as-read`` (README, "The reader"). Only XQuAD's even-numbered articles at or above
``--min-article`` (never used in training) are read; the held-out test sets are never touched.
``--features FILE`` keeps the read candidates, so a refit (``--refit``) does not read again.
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
LANGUAGES = ("zh", "en")


def _features(pipeline, answerer, items: list[QAItem], progress_label: str, answerable: bool, as_read: bool = False) -> list[dict]:
    """Per question: its language, article and top candidates as (logit p, margin, 1/rank, right);
    ``as_read``: read as the product reads them (``ReaderAnswerer.prepare``), none when it refuses
    before reading."""
    from tqdm import tqdm

    from rag.language import detect_language

    questions = []
    for item in tqdm(items, desc=progress_label, file=sys.stderr):
        language = detect_language(item.question)
        passages = pipeline.retrieve(item.question)
        if as_read:
            parts, read, refused = answerer.prepare(item.question, passages, language)
        else:
            parts, read, refused = [item.question], passages, None
        golds = [s for g in item.expect for s in g]
        rows = []
        if refused is None and parts:
            for c in answerer.candidates(parts[0], read, language)[:TOP]:
                p = min(max(c.probability, 1e-6), 1 - 1e-6)
                right = answerable and bool(golds) and span_correct(c.text, golds)
                rows.append((math.log(p / (1 - p)), c.margin, 1.0 / max(1, c.passage.rank), right))
        questions.append({"id": item.id, "lang": language, "article": _article(item), "answerable": answerable, "rows": rows})
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


def fit_calibration(questions: list[dict], *, language_bias: bool) -> Calibration:
    """The logistic scorer over every candidate of ``questions`` (no thresholds yet)."""
    rows = [(*r[:3], float(q["lang"] == "en"), r[3]) if language_bias else tuple(r) for q in questions for r in q["rows"]]
    w = fit_logistic(rows)
    a, b, d = (round(float(x), 5) for x in w[:3])
    bias = {"en": round(float(w[3]), 5)} if language_bias else {}
    return Calibration(a, b, round(float(w[-1]), 5), d, language_bias=bias)


def _best(cal: Calibration, q: dict) -> tuple[float, bool]:
    """The top candidate of question ``q`` under ``cal``: (confidence, right)."""
    if not q["rows"]:
        return -1.0, False  # refused before reading (a name in no passage): refused at any threshold
    return max(((cal(1 / (1 + math.exp(-lp)), m, round(1 / inv), q["lang"]), bool(ok)) for lp, m, inv, ok in q["rows"]), key=lambda t: t[0])


def choose_threshold(cal: Calibration, questions: list[dict]) -> float:
    """The threshold maximising accuracy on an 80/20 answerable/unanswerable mix of ``questions``."""
    conf_ans = [_best(cal, q) for q in questions if q["answerable"]]
    conf_un = [_best(cal, q)[0] for q in questions if not q["answerable"]]
    best = (-1.0, 0.0)
    for t in np.linspace(0.0, 0.9, 91):
        acc = sum(ok for cf, ok in conf_ans if cf >= t) / max(1, len(conf_ans))
        ref = sum(cf < t for cf in conf_un) / max(1, len(conf_un)) if conf_un else 0.0
        # questions users ask are mostly answerable: weigh the two as a mix with 20% unanswerable
        score = (1 - UNANSWERABLE_SHARE) * acc + UNANSWERABLE_SHARE * ref if conf_un else acc
        if score > best[0] + 1e-9:
            best = (score, float(t))
    return round(best[1], 2)


def fit(questions: list[dict], *, language_bias: bool, per_language: bool, source: str = "") -> Calibration:
    from dataclasses import replace

    cal = fit_calibration(questions, language_bias=language_bias)
    threshold = choose_threshold(cal, questions)
    thresholds = {}
    if per_language:
        for lang in LANGUAGES:
            mine = [q for q in questions if q["lang"] == lang]
            if any(q["answerable"] for q in mine) and any(not q["answerable"] for q in mine):
                thresholds[lang] = choose_threshold(cal, mine)
    return replace(cal, threshold=threshold, thresholds=thresholds, source=source)


def summary(cal: Calibration, questions: list[dict]) -> dict:
    """Per language: answerable accuracy, false refusals (right answer withheld), unanswerable refused."""
    out = {}
    for lang in LANGUAGES:
        t = cal.threshold_for(lang)
        ans = [_best(cal, q) for q in questions if q["lang"] == lang and q["answerable"]]
        un = [_best(cal, q)[0] for q in questions if q["lang"] == lang and not q["answerable"]]
        out[lang] = {
            "threshold": t,
            "answerable": len(ans),
            "accuracy": round(sum(ok for cf, ok in ans if cf >= t) / max(1, len(ans)), 4),
            "right_but_refused": round(sum(ok for cf, ok in ans if cf < t) / max(1, len(ans)), 4),
            "refused_answerable": round(sum(cf < t for cf, _ in ans) / max(1, len(ans)), 4),
            "unanswerable": len(un),
            "unanswerable_refused": round(sum(cf < t for cf in un) / max(1, len(un)), 4) if un else None,
        }
    return out


def reliability(cal: Calibration, questions: list[dict], edges=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.01)) -> dict:
    """Per language, top answers of answerable questions by confidence bin: n, mean confidence, share right."""
    out = {}
    for lang in LANGUAGES:
        best = [_best(cal, q) for q in questions if q["lang"] == lang and q["answerable"]]
        rows = []
        for lo, hi in zip(edges, edges[1:]):
            inside = [(cf, ok) for cf, ok in best if lo <= cf < hi]
            if inside:
                rows.append({"bin": f"{lo:.1f}-{min(hi, 1.0):.1f}", "n": len(inside),
                             "mean_confidence": round(sum(cf for cf, _ in inside) / len(inside), 3),
                             "right": round(sum(ok for _, ok in inside) / len(inside), 3)})
        out[lang] = rows
    return out


def cross_validate(questions: list[dict], *, language_bias: bool, per_language: bool) -> dict:
    """Leave one article out: fit on the others, judge the held-out article's questions (answerable
    ones, and the same questions over the bundled pages); the chosen scheme beside the single
    threshold without language terms."""
    articles = sorted({q["article"] for q in questions})
    held = {"chosen": [], "single": []}
    for art in articles:
        train = [q for q in questions if q["article"] != art]
        test = [q for q in questions if q["article"] == art]
        for name, cal in (("chosen", fit(train, language_bias=language_bias, per_language=per_language)),
                          ("single", fit(train, language_bias=False, per_language=False))):
            held[name] += [(q, cal) for q in test]
    out = {}
    for name, pairs in held.items():
        per = {}
        for lang in LANGUAGES:
            ans = [(_best(c, q), c.threshold_for(lang)) for q, c in pairs if q["lang"] == lang and q["answerable"]]
            un = [(_best(c, q)[0], c.threshold_for(lang)) for q, c in pairs if q["lang"] == lang and not q["answerable"]]
            per[lang] = {
                "accuracy": round(sum(ok and cf >= t for (cf, ok), t in ans) / max(1, len(ans)), 4),
                "right_but_refused": round(sum(ok and cf < t for (cf, ok), t in ans) / max(1, len(ans)), 4),
                "refused_answerable": round(sum(cf < t for (cf, _), t in ans) / max(1, len(ans)), 4),
                "unanswerable_refused": round(sum(cf < t for cf, t in un) / max(1, len(un)), 4) if un else None,
            }
        out[name] = per
    return out


def main(argv: list[str] | None = None) -> int:
    from rag.answering.reader.answerer import ReaderAnswerer
    from rag.pipeline import bundled_corpus_dir

    from .cli import prepare_product

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--answerable", type=Path, action="append", default=[])
    ap.add_argument("--unanswerable", action="append", default=[], help="FILE@bundled: its questions over the bundled corpus")
    ap.add_argument("--min-article", type=int, default=32, help="XQuAD articles below this index were trained on")
    ap.add_argument("--out", type=Path, default=CALIBRATION)
    ap.add_argument("--features", type=Path, help="keep the read candidates here (JSON)")
    ap.add_argument("--refit", action="store_true", help="fit on --features without reading again")
    ap.add_argument("--language-bias", action="store_true", help="an English term in the logistic fit")
    ap.add_argument("--per-language", action="store_true", help="one threshold per question language (zh, en)")
    ap.add_argument("--as-read", action="store_true", help="candidates as the product reads them (name check, naming passages, bridged English)")
    ap.add_argument("--cv", action="store_true", help="leave-one-article-out check of the scheme")
    args = ap.parse_args(argv)

    if args.refit:
        if not args.features or not args.features.is_file():
            ap.error("--refit needs --features FILE written by an earlier run")
        doc = json.loads(args.features.read_text(encoding="utf-8"))
        questions, names = doc["questions"], doc["answerable_sets"]
        args.as_read = bool(doc.get("as_read"))
    else:
        if not args.answerable:
            ap.error("give --answerable FILE (or --refit --features FILE)")
        base = load_settings({"home": args.home})
        questions = []
        built: set[str] = set()
        for path in args.answerable:
            items = [i for i in load_dataset(path) if i.answerable and (_article(i) < 0 or _article(i) >= args.min_article)]
            pipeline = prepare_product(base.replace(home=args.home / path.parent.name), [path.parent / "corpus"], None, built)
            answerer = ReaderAnswerer(context=pipeline.question_context, read_k=base.read_k)
            questions += _features(pipeline, answerer, items, path.parent.name, True, args.as_read)
        for spec in args.unanswerable:
            file, _, where = spec.partition("@")
            corpus = bundled_corpus_dir() if where in ("", "bundled") else Path(where)
            items = [i for i in load_dataset(Path(file)) if _article(i) < 0 or _article(i) >= args.min_article]
            pipeline = prepare_product(base.replace(home=args.home / f"unans-{corpus.name}"), [corpus], None, set())
            answerer = ReaderAnswerer(context=pipeline.question_context, read_k=base.read_k)
            questions += _features(pipeline, answerer, items, f"unanswerable over {corpus.name}", False, args.as_read)
        names = [p.parent.name for p in args.answerable]
        if args.features:
            args.features.write_text(json.dumps({"answerable_sets": names, "as_read": args.as_read, "questions": questions}, ensure_ascii=False), encoding="utf-8")

    n_ans = sum(q["answerable"] for q in questions)
    source = (
        f"Platt fit on {n_ans} answerable ({', '.join(names)}, XQuAD articles >= {args.min_article}) and "
        f"{len(questions) - n_ans} unanswerable questions"
        + ("; candidates as read by the product" if args.as_read else "")
        + ("; English term in the fit" if args.language_bias else "")
        + ("; threshold per question language (80/20 mix of each)" if args.per_language else "")
    )
    cal = fit(questions, language_bias=args.language_bias, per_language=args.per_language, source=source)
    cal.save(args.out)
    report = {**cal.to_dict(), "fitted_data": summary(cal, questions), "reliability": reliability(cal, questions)}
    if args.cv:
        report["leave_one_article_out"] = cross_validate(questions, language_bias=args.language_bias, per_language=args.per_language)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
