"""Fit the reader's ranker, confidence calibration and refusal thresholds on validation questions.

    python -m eval.calibrate --home /tmp/rag-cal \\
        --answerable ../shared/benchmarks/xquad-dev/qa.jsonl --min-article 32 \\
        --unanswerable ../shared/benchmarks/xquad-dev/qa.jsonl@bundled \\
        --as-read --per-language --base rag/answering/reader/weights/calibration-plain.json \\
        --reason-set ../shared/benchmarks/cmrc2018-trial/qa.jsonl@even

Answerable questions are asked over their own corpus (the ``corpus/`` beside the file), through
the real retrieval, and judged by the span-benchmark rule; unanswerable ones are public questions
asked over a corpus that cannot hold their answer (``FILE@bundled``: over the bundled news pages),
which must be refused. The candidates are those of the question as asked over the retrieved
passages; ``--as-read`` takes them as the product reads them (the off-corpus name check, only
passages naming what the question names, English questions with their bridged Chinese terms).
Each question's language is the pipeline's (``detect_language``).

The fit, per question language:
  * a language in ``--ranker`` (default: zh) gets a learned ranker: a listwise fit (softmax over
    each question's top candidates) of weights on every feature of
    :mod:`rag.answering.reader.ranking`, then a Platt fit of the top answers' scores;
  * the others get the plain model: logistic regression of "right" over every candidate on (logit
    of the pooled span probability, margin over "no answer", 1/retrieval rank, and with
    ``--language-bias`` an English indicator), which ranks and calibrates at once;
  * the weight of whole-sentence answers to why / how questions (``reason_sentence``) is fitted
    last, with the ranker's other weights fixed, on the why / how questions of the answerable sets
    and of each ``--reason-set FILE[@even|@odd]`` (read for nothing else: XQuAD has few such
    questions, CMRC 2018 trial has 130 in 1000, so its even half is read and its odd half kept unseen);
  * ``--base FILE`` keeps FILE's plain model and its thresholds for the languages without a ranker
    (how the shipped file keeps the earlier release's scorer for English questions).
The threshold maximises accuracy on a mix of 80% answerable and 20% unanswerable questions
(``--per-language``: one threshold per question language, each on its own language's mix); each
set of unanswerable questions weighs the same in that 20%. ``--near-miss FILE[@DIR]`` adds a set
read only for the threshold: unanswerable questions written to look answerable from a paragraph
of their own corpus (SQuAD 2.0's, written by ``python -m eval.squad_zh --near-misses``), the kind a
user asks of an archive that almost holds the answer; questions over pages of another topic are
refused far more easily and alone would set the threshold too low.
``--cv`` reports the chosen scheme beside the plain single-threshold model, leaving one XQuAD
article out at a time. Only XQuAD's even-numbered articles at or above ``--min-article`` (never
used in training) are read; the held-out test sets are never touched. ``--features FILE`` keeps
the read candidates, so a refit (``--refit``) does not read again.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from rag.answering.reader.calibration import CALIBRATION, Calibration, Scorer
from rag.errors import InputError
from rag.settings import load_settings

from .datasets import QAItem, load_dataset
from .scoring import span_correct


def xquad_article(item: QAItem) -> int:
    """The XQuAD article a benchmark question is about (its doc ``xqNN_…``); -1 for other sets."""
    m = re.match(r"xq(\d+)_", item.doc or "")
    return int(m.group(1)) if m else -1


TOP = 20  # candidates per question the ranker learns to rank
SPANS = 8  # spans each reader window proposes (20 measured no better on CMRC trial and slower: README)
UNANSWERABLE_SHARE = 0.2  # the threshold maximises accuracy on a mix with this share unanswerable
LANGUAGES = ("zh", "en")
# languages whose questions get the learned ranker by default: on English questions read against
# Chinese passages it measured no better than the reader's own score (README, "The reader")
RANKED = ("zh",)


def _features(pipeline, answerer, items: list[QAItem], progress_label: str, answerable: bool, as_read: bool = False, top: int = TOP, spans=None) -> list[dict]:
    """Per question: its language, article and top candidates as {"f": ranker features, "right": bool};
    ``as_read``: read as the product reads them (``ReaderAnswerer.prepare``), none when it refuses
    before reading."""
    from tqdm import tqdm

    from rag.language import detect_language

    answerer.all_features = True  # every language's rows carry every feature (a ranker may be fitted for any)
    questions = []
    for item in tqdm(items, desc=progress_label, file=sys.stderr):
        language = detect_language(item.question)
        if spans is not None:
            answerer.spans = spans(language)  # the candidate pool this language's scorer ranks
        passages = pipeline.retrieve(item.question)
        if as_read:
            parts, read, refused = answerer.prepare(item.question, passages, language)
        else:
            parts, read, refused = [item.question], passages, None
        golds = [s for g in item.expect for s in g]
        rows = []
        if refused is None and parts:
            cands = answerer.candidates(parts[0], read, language)
            # the top ones, and every sentence offered for a why / how question (so the fit sees them)
            for c in cands[:top] + [c for c in cands[top:] if c.sentence]:
                right = answerable and bool(golds) and span_correct(c.text, golds)
                rows.append({"f": dict(c.features), "right": bool(right)})
        questions.append({"id": item.id, "lang": language, "article": xquad_article(item), "answerable": answerable, "rows": rows,
                          "set": progress_label})
    return questions


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


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


def fit_ranker(questions: list[dict], names: tuple[str, ...], *, l2: float = 1e-2, iterations: int = 1500, lr: float = 0.2) -> dict[str, float]:
    """Listwise ranker: weights maximising, over the answerable questions with a right candidate,
    the softmax probability of the right candidates among each question's candidates (gradient
    descent on standardised features, L2) -> weights on the raw features."""
    lists = [q["rows"] for q in questions if q["answerable"] and any(r["right"] for r in q["rows"])]
    if not lists:
        raise ValueError("no answerable question has a right candidate: nothing to learn the ranking from")
    Xs = [np.array([[r["f"].get(k, 0.0) for k in names] for r in rows], dtype=float) for rows in lists]
    Ys = [np.array([float(r["right"]) for r in rows]) for rows in lists]
    stacked = np.vstack(Xs)
    mu, sd = stacked.mean(0), stacked.std(0) + 1e-9
    Zs = [(X - mu) / sd for X in Xs]
    w = np.zeros(len(names))
    for _ in range(iterations):
        g = np.zeros_like(w)
        for Z, y in zip(Zs, Ys):
            s = Z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            target = p * y
            target /= target.sum()
            g += Z.T @ (p - target)
        w -= lr * (g / len(Zs) + l2 * w)
    return {k: round(float(v), 5) for k, v in zip(names, w / sd) if abs(v) > 1e-9}


def _plain_scorer(questions: list[dict], *, language_bias: bool) -> tuple[Scorer, dict]:
    """The logistic model over (logit p, margin, 1/rank) of every candidate; it ranks and calibrates."""
    en = lambda q: [float(q["lang"] == "en")] if language_bias else []  # noqa: E731
    rows = [(r["f"]["lp"], r["f"]["margin"], r["f"]["inv_rank"], *en(q), r["right"]) for q in questions for r in q["rows"]]
    w = fit_logistic(rows)
    a, b, d = (round(float(x), 5) for x in w[:3])
    bias = {"en": round(float(w[3]), 5)} if language_bias else {}
    return Scorer(a, b, round(float(w[-1]), 5), d), bias


def fit_reason_weight(questions: list[dict], ranker: dict[str, float], *, l2: float = 1e-2) -> float:
    """The weight of ``reason_sentence`` (a whole sentence offered for a why / how question) with
    the ranker's other weights fixed: the value on a grid that maximises the listwise
    log-likelihood of the right candidates of the why / how questions among ``questions``."""
    lists = [q["rows"] for q in questions if q["answerable"] and any(r["right"] for r in q["rows"])
             and any(r["f"].get("reason_sentence") for r in q["rows"])]
    if not lists:
        return 0.0
    base = [np.array([sum(v * r["f"].get(k, 0.0) for k, v in ranker.items()) for r in rows]) for rows in lists]
    flag = [np.array([r["f"].get("reason_sentence", 0.0) for r in rows]) for rows in lists]
    right = [np.array([float(r["right"]) for r in rows]) for rows in lists]
    best = (-np.inf, 0.0)
    for w in np.arange(-2.0, 8.0001, 0.25):
        ll = -l2 * w * w * len(lists)
        for s0, f, y in zip(base, flag, right):
            s = s0 + w * f
            p = np.exp(s - s.max())
            ll += float(np.log((p * y).sum() / p.sum() + 1e-12))
        if ll > best[0] + 1e-12:
            best = (ll, float(w))
    return round(best[1], 5)


def _ranked_scorer(questions: list[dict], reason: Sequence[dict] = ()) -> Scorer:
    """A listwise ranker over every feature of :mod:`rag.answering.reader.ranking` and a Platt fit
    of the top answers' scores (answerable questions); the weight of whole-sentence answers to
    why / how questions is fitted last, on ``questions`` and ``reason`` (sets read only for it)."""
    from rag.answering.reader.ranking import FEATURES, REASON_FEATURES

    weights = fit_ranker(questions, tuple(f for f in FEATURES if f not in REASON_FEATURES))
    reason_weight = fit_reason_weight([*questions, *reason], weights)
    if reason_weight:
        weights["reason_sentence"] = reason_weight
    unplatted = Scorer(ranker=weights)
    tops = []
    for q in [*questions, *reason]:
        if q["answerable"] and q["rows"]:
            best = max(q["rows"], key=lambda r: unplatted.score(r["f"]))
            tops.append((unplatted.score(best["f"]), best["f"].get("reason_sentence", 0.0), best["right"]))
    sentences = sum(flag for _, flag, _ in tops)
    if sentences:  # Platt on (score, is a sentence): a sentence answer gets its own offset
        w = fit_logistic(tops)
        return Scorer(round(float(w[0]), 5), 0.0, round(float(w[-1]), 5), 0.0, ranker=unplatted.ranker,
                      sentence_offset=round(float(w[1]), 5))
    w = fit_logistic([(s, right) for s, _, right in tops])
    return Scorer(round(float(w[0]), 5), 0.0, round(float(w[-1]), 5), 0.0, ranker=unplatted.ranker)


def fit_calibration(questions: list[dict], *, language_bias: bool, ranker: Sequence[str] = RANKED,
                    reason: Sequence[dict] = ()) -> Calibration:
    """The scorers over the candidates of ``questions`` (no thresholds yet): the plain logistic
    model for every language, and for each language in ``ranker`` its own learned ranker, fitted
    on that language's questions only (``reason``: questions read only for the weight of sentence
    answers to why / how questions)."""
    plain, bias = _plain_scorer(questions, language_bias=language_bias)
    languages = {}
    for lang in ranker:
        mine = [q for q in questions if q["lang"] == lang]
        if any(q["answerable"] and any(r["right"] for r in q["rows"]) for q in mine):
            languages[lang] = _ranked_scorer(mine, [q for q in reason if q["lang"] == lang])
    return Calibration(plain.a, plain.b, plain.c, plain.d, language_bias=bias, languages=languages)


def _best(cal: Calibration, q: dict) -> tuple[float, bool]:
    """The top candidate of question ``q`` under ``cal``: (confidence, right)."""
    if not q["rows"]:
        return -1.0, False  # refused before reading (a name in no passage): refused at any threshold
    best = max(q["rows"], key=lambda r: cal.score(r["f"], q["lang"]))
    return cal.confidence(best["f"], q["lang"]), bool(best["right"])


def _unanswerable_sets(cal: Calibration, questions: list[dict], lang: str | None = None) -> dict[str, list[float]]:
    """The top answers' confidences of the unanswerable questions (of ``lang``, or all), by the set they were read from."""
    sets: dict[str, list[float]] = {}
    for q in questions:
        if not q["answerable"] and lang in (None, q["lang"]):
            sets.setdefault(q.get("set", "unanswerable"), []).append(_best(cal, q)[0])
    return sets


def choose_threshold(cal: Calibration, questions: list[dict]) -> float:
    """The threshold maximising accuracy on an 80/20 answerable/unanswerable mix of ``questions``
    (each set of unanswerable questions weighing the same: near-misses as much as other topics)."""
    conf_ans = [_best(cal, q) for q in questions if q["answerable"]]
    conf_un = list(_unanswerable_sets(cal, questions).values())
    best = (-1.0, 0.0)
    for t in np.linspace(0.0, 0.9, 91):
        acc = sum(ok for cf, ok in conf_ans if cf >= t) / max(1, len(conf_ans))
        ref = float(np.mean([sum(cf < t for cf in un) / len(un) for un in conf_un])) if conf_un else 0.0
        # questions users ask are mostly answerable: weigh the two as a mix with 20% unanswerable
        score = (1 - UNANSWERABLE_SHARE) * acc + UNANSWERABLE_SHARE * ref if conf_un else acc
        if score > best[0] + 1e-9:
            best = (score, float(t))
    return round(best[1], 2)


def fit(questions: list[dict], *, language_bias: bool, per_language: bool, source: str = "", ranker: Sequence[str] = RANKED,
        reason: Sequence[dict] = ()) -> Calibration:
    from dataclasses import replace

    cal = fit_calibration([q for q in questions if q.get("role") != "near-miss"], language_bias=language_bias,
                          ranker=ranker, reason=reason)
    threshold = choose_threshold(cal, questions)
    thresholds = {}
    if per_language:
        for lang in LANGUAGES:
            mine = [q for q in questions if q["lang"] == lang]
            if any(q["answerable"] for q in mine) and any(not q["answerable"] for q in mine):
                thresholds[lang] = choose_threshold(cal, mine)
    return replace(cal, threshold=threshold, thresholds=thresholds, source=source)


def on_base(fitted: Calibration, base: Calibration, questions: list[dict], source: str) -> Calibration:
    """``fitted``'s rankers on ``base``'s plain scorer: languages without a ranker keep ``base``'s
    scorer and threshold, each ranked language gets the threshold chosen on its own questions."""
    from dataclasses import replace

    cal = replace(base, languages=dict(fitted.languages), thresholds={}, source=source)
    thresholds = {lang: base.threshold_for(lang) for lang in LANGUAGES if lang not in cal.languages}
    for lang in cal.languages:
        mine = [q for q in questions if q["lang"] == lang]
        thresholds[lang] = choose_threshold(cal, mine) if mine else base.threshold_for(lang)
    return replace(cal, thresholds=thresholds)


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
            "refused_by_set": {name: round(sum(cf < t for cf in cfs) / len(cfs), 4)
                               for name, cfs in _unanswerable_sets(cal, questions, lang).items()},
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


def cross_validate(questions: list[dict], *, language_bias: bool, per_language: bool, ranker: Sequence[str] = RANKED,
                   reason: Sequence[dict] = ()) -> dict:
    """Leave one article out: fit on the others, judge the held-out article's questions (answerable
    ones, and the same questions over the bundled pages); the chosen scheme beside the plain
    model (reader probability, margin and rank only, one threshold, no language terms)."""
    articles = sorted({q["article"] for q in questions})
    held = {"chosen": [], "plain": []}
    for art in articles:
        train = [q for q in questions if q["article"] != art]
        test = [q for q in questions if q["article"] == art]
        for name, cal in (("chosen", fit(train, language_bias=language_bias, per_language=per_language, ranker=ranker, reason=reason)),
                          ("plain", fit(train, language_bias=False, per_language=False, ranker=()))):
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
    from dataclasses import replace

    from rag.answering.question import asks_reason
    from rag.answering.reader.answerer import ReaderAnswerer
    from rag.language import detect_language
    from rag.pipeline import bundled_corpus_dir

    from .cli import prepare_product

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--answerable", type=Path, action="append", default=[])
    ap.add_argument("--unanswerable", action="append", default=[], help="FILE@bundled: its questions over the bundled corpus")
    ap.add_argument("--near-miss", action="append", default=[], metavar="FILE[@DIR]",
                    help="unanswerable questions of FILE over their own corpus (DIR, default the corpus/ beside FILE), "
                         "read only to choose the threshold (python -m eval.squad_zh --near-misses writes SQuAD 2.0's)")
    ap.add_argument("--min-article", type=int, default=32, help="XQuAD articles below this index were trained on")
    ap.add_argument("--reason-set", action="append", default=[], metavar="FILE[@even|@odd]",
                    help="answerable questions read only to fit the weight of whole-sentence answers to why / how "
                         "questions (@even / @odd: only the even- or odd-numbered questions, the other half kept unseen)")
    ap.add_argument("--out", type=Path, default=CALIBRATION)
    ap.add_argument("--features", type=Path, help="keep the read candidates here (JSON)")
    ap.add_argument("--refit", action="store_true", help="fit on --features without reading again")
    ap.add_argument("--language-bias", action="store_true", help="an English term in the logistic fit")
    ap.add_argument("--per-language", action="store_true", help="one threshold per question language (zh, en)")
    ap.add_argument("--as-read", action="store_true", help="candidates as the product reads them (name check, naming passages, bridged English)")
    ap.add_argument("--cv", action="store_true", help="leave-one-article-out check of the scheme")
    ap.add_argument("--spans", type=int, default=SPANS, help=f"spans each reader window proposes while reading (default {SPANS})")
    ap.add_argument("--top", type=int, default=TOP, help=f"candidates per question to learn from (default {TOP})")
    ap.add_argument("--base", type=Path, metavar="FILE",
                    help="keep FILE's plain scorer (and its threshold for languages without a ranker); fit only the rankers")
    ap.add_argument("--ranker", default=",".join(RANKED), metavar="LANGS",
                    help="question languages that get a learned ranker (comma-separated; 'none': the plain model for all)")
    args = ap.parse_args(argv)
    if not 1 <= args.spans <= 100:
        ap.error(f"--spans {args.spans}: give 1..100 spans per window")
    if not 1 <= args.top <= 100:
        ap.error(f"--top {args.top}: give 1..100 candidates per question")
    if args.base and not args.base.is_file():
        ap.error(f"--base {args.base}: no such file (give a calibration JSON, e.g. rag/answering/reader/weights/calibration-plain.json)")
    for flag, specs in (("--answerable", [str(p) for p in args.answerable]), ("--reason-set", args.reason_set),
                        ("--unanswerable", [u.partition("@")[0] for u in args.unanswerable]),
                        ("--near-miss", [u.partition("@")[0] for u in args.near_miss])):
        for spec in specs:
            file, _, half = spec.partition("@") if flag == "--reason-set" else (spec, "", "")
            if half not in ("", "even", "odd"):
                ap.error(f"--reason-set {spec!r}: give FILE, FILE@even or FILE@odd")
            if not Path(file).is_file():
                ap.error(f"{flag} {spec}: no such file (give a QA JSON-lines file, e.g. ../shared/benchmarks/cmrc2018-trial/qa.jsonl)")
    near_misses = {}  # read before anything else, so a bad file is named at once
    for spec in args.near_miss:
        file, _, where = spec.partition("@")
        corpus = Path(where) if where else Path(file).parent / "corpus"
        if not corpus.is_dir():
            ap.error(f"--near-miss {spec}: no corpus folder {corpus.name!r} (give FILE@DIR with the pages its questions were written over)")
        try:
            items = [i for i in load_dataset(Path(file), skip_invalid=True, warn=_warn) if not i.answerable]
        except InputError as err:
            ap.error(f"--near-miss {spec}: {err}")
        if not items:
            ap.error(f"--near-miss {spec}: no unanswerable question in {Path(file).name} (write them with eval.squad_zh --near-misses)")
        near_misses[spec] = (Path(file), corpus, items)
    ranked = tuple(x for x in args.ranker.split(",") if x and x != "none")
    if any(x not in LANGUAGES for x in ranked):
        ap.error(f"--ranker {args.ranker!r}: give languages among {', '.join(LANGUAGES)} (comma-separated) or 'none'")

    if args.refit:
        if not args.features or not args.features.is_file():
            ap.error("--refit needs --features FILE written by an earlier run")
        doc = json.loads(args.features.read_text(encoding="utf-8"))
        questions, names = doc["questions"], doc["answerable_sets"]
        args.as_read = bool(doc.get("as_read"))
        args.spans = int(doc.get("spans", 8))
        args.reason_set = list(doc.get("reason_sets", []))
    else:
        if not args.answerable:
            ap.error("give --answerable FILE (or --refit --features FILE)")
        base = load_settings({"home": args.home})
        kept = Calibration.load(args.base) if args.base else None
        spans_for = lambda lang: kept.spans if kept is not None and lang not in ranked else args.spans  # noqa: E731
        questions = []
        for path in args.answerable:
            items = [i for i in load_dataset(path, skip_invalid=True, warn=_warn) if i.answerable and (xquad_article(i) < 0 or xquad_article(i) >= args.min_article)]
            pipeline = prepare_product(base.replace(home=args.home / path.parent.name), [path.parent / "corpus"], None, set())
            answerer = ReaderAnswerer(context=pipeline.question_context, read_k=base.read_k)
            questions += _features(pipeline, answerer, items, path.parent.name, True, args.as_read, args.top, spans_for)
        for spec in args.reason_set:
            file, _, half = spec.partition("@")
            path = Path(file)
            items = [i for i in load_dataset(path, skip_invalid=True, warn=_warn) if i.answerable and (xquad_article(i) < 0 or xquad_article(i) >= args.min_article)]
            items = items[half == "odd" :: 2] if half else items
            pipeline = prepare_product(base.replace(home=args.home / path.parent.name), [path.parent / "corpus"], None, set())
            answerer = ReaderAnswerer(context=pipeline.question_context, read_k=base.read_k)
            read = _features(pipeline, answerer, [i for i in items if asks_reason(i.question, detect_language(i.question))],
                             f"{path.parent.name} (why / how)", True, args.as_read, args.top, spans_for)
            questions += [{**q, "role": "reason"} for q in read]
        for spec in args.unanswerable:
            file, _, where = spec.partition("@")
            corpus = bundled_corpus_dir() if where in ("", "bundled") else Path(where)
            items = [i for i in load_dataset(Path(file)) if xquad_article(i) < 0 or xquad_article(i) >= args.min_article]
            pipeline = prepare_product(base.replace(home=args.home / f"unans-{corpus.name}"), [corpus], None, set())
            answerer = ReaderAnswerer(context=pipeline.question_context, read_k=base.read_k)
            questions += _features(pipeline, answerer, items, f"unanswerable over {corpus.name}", False, args.as_read, args.top, spans_for)
        for spec, (file, corpus, items) in near_misses.items():
            pipeline = prepare_product(base.replace(home=args.home / f"near-miss-{corpus.name}"), [corpus], None, set())
            answerer = ReaderAnswerer(context=pipeline.question_context, read_k=base.read_k)
            read = _features(pipeline, answerer, items, f"near-misses over {file.parent.name}", False, args.as_read, args.top, spans_for)
            questions += [{**q, "role": "near-miss"} for q in read]
        names = [p.parent.name for p in args.answerable]
        if args.features:
            args.features.write_text(json.dumps({"answerable_sets": names, "reason_sets": args.reason_set, "as_read": args.as_read,
                                                 "spans": args.spans, "questions": questions}, ensure_ascii=False), encoding="utf-8")

    reason = [q for q in questions if q.get("role") == "reason"]
    questions = [q for q in questions if q.get("role") != "reason"]
    n_ans = sum(q["answerable"] for q in questions)
    n_near = sum(q.get("role") == "near-miss" for q in questions)
    source = (
        (f"Listwise ranker over the candidates' features for {'/'.join(ranked)} questions and " if ranked else "")
        + f"Platt fit on {n_ans} answerable ({', '.join(names)}, XQuAD articles >= {args.min_article}) and "
        f"{len(questions) - n_ans - n_near} unanswerable questions"
        + (f"; threshold also weighs {n_near} near-miss unanswerable questions "
           f"({', '.join(sorted({q['set'] for q in questions if q.get('role') == 'near-miss'}))}), each set equally" if n_near else "")
        + ("; candidates as read by the product" if args.as_read else "")
        + ("; English term in the fit" if args.language_bias else "")
        + ("; threshold per question language (80/20 mix of each)" if args.per_language else "")
        + (f"; weight of sentence answers to why / how questions also fitted on {len(reason)} of "
           + ", ".join(Path(spec).parent.name + ("@" + spec.partition("@")[2] if "@" in spec else "") for spec in args.reason_set)
           if reason else "")
    )
    cal = fit(questions, language_bias=args.language_bias, per_language=args.per_language, source=source, ranker=ranked,
              reason=reason)
    cal = replace(cal, spans=args.spans, languages={lang: replace(s, spans=args.spans) for lang, s in cal.languages.items()})
    if args.base:
        cal = on_base(cal, Calibration.load(args.base), questions, source + f"; plain scorer kept from {args.base.name}")
    if args.out.is_file():  # the clause rule and the reranking are fitted by eval.clause_fit / rerank_fit: kept
        previous = Calibration.load(args.out)
        cal = replace(cal, clause=previous.clause, rerank=previous.rerank)
    cal.save(args.out)
    report = {**cal.to_dict(), "fitted_data": summary(cal, questions), "reliability": reliability(cal, questions)}
    if args.cv:
        report["leave_one_article_out"] = cross_validate([q for q in questions if q.get("role") != "near-miss"], language_bias=args.language_bias, per_language=args.per_language,
                                                         ranker=ranked, reason=reason)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
