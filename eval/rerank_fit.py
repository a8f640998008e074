"""Fit how the reader reorders the passages it reads (``rag.answering.reader.rerank.Rerank``).

    python -m eval.rerank_fit --home /tmp/rag-rerank \\
        --dataset ../shared/benchmarks/xquad-dev/qa.jsonl --min-article 32 \\
        --out rag/answering/reader/weights/calibration.json

Each answerable question is retrieved and read as the product reads it (the passages naming what
it names, English with its bridged terms), up to ``--read`` passages; for each passage the reader's
best span score and "no answer" score are kept with whether it holds the gold answer
(``--features FILE`` keeps them; ``--refit`` fits again from that file without reading). For each
question language, the rule kept is the one of the grid (passages read 3–8, margin weight 0–2, rank
weight 1) under which the gold passage comes first most often plus the most often among the
``read_k`` answered from (ties: fewer passages read). Only XQuAD articles at or above
``--min-article`` are fitted on (the reader was trained on the ones below, where its margins are
surer than on text it never saw); the others are reported as a check. ``--out`` writes the rules
into that calibration file, the rest of it kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from rag.answering.reader.calibration import Calibration
from rag.answering.reader.rerank import Rerank
from rag.errors import InputError

from .calibrate import xquad_article
from .datasets import load_dataset

PASSAGES = (3, 4, 5, 6, 8)
MARGINS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0)


def collect(home: Path, dataset: Path, read: int) -> list[dict]:
    """Per answerable question: language, article and, per passage read, (rank, best, null, relevant)."""
    from tqdm import tqdm

    from rag.answering.reader.answerer import passage_scores
    from rag.language import detect_language
    from rag.settings import load_settings

    from .cli import prepare_product
    from .evaluators import is_relevant

    pipeline = prepare_product(load_settings({"home": home}), [dataset.parent / "corpus"], None, set())
    answerer = pipeline.answerer("extractive")
    wide = Rerank(passages=read)
    answerer.calibration = replace(answerer.calibration, rerank={"zh": wide, "en": wide})  # read them all
    out = []
    for item in tqdm([i for i in load_dataset(dataset, skip_invalid=True) if i.answerable], desc="reading", file=sys.stderr):
        language = detect_language(item.question)
        parts, passages, refused = answerer.prepare(item.question, pipeline.retrieve(item.question), language)
        if refused is not None or not parts:
            continue
        spans = answerer.calibration.scorer(language).spans
        best, null = passage_scores(answerer.reading(parts[0], passages, spans), len(passages))
        out.append({"id": item.id, "lang": language, "article": xquad_article(item),
                    "passages": [[p.rank, b, n, bool(is_relevant(p.chunk, item))] for p, b, n in zip(passages, best, null)]})
    return out


def _features(path: Path) -> list[dict]:
    """The scores an earlier run kept with ``--features``, checked for their shape."""
    try:
        questions = json.loads(path.read_text(encoding="utf-8"))
        ok = isinstance(questions, list) and all(
            isinstance(q, dict) and isinstance(q.get("lang"), str) and isinstance(q.get("article"), int)
            and all(isinstance(p, list) and len(p) == 4 for p in q["passages"])
            for q in questions
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"--features {path.name} cannot be read ({type(exc).__name__}: {exc}); "
                         "give a file an earlier `eval.rerank_fit --features FILE` run wrote") from None
    if not ok:
        raise InputError(f"--features {path.name} is not what `eval.rerank_fit --features FILE` writes "
                         "(a list of questions with lang, article and passages); collect it again without --refit")
    return questions


def hits(rule: Rerank, questions: list[dict], read_k: int) -> tuple[float, float]:
    """How often the gold passage comes first, and among the first ``read_k``, under ``rule``."""
    first = among = 0
    for q in questions:
        ps = q["passages"][: rule.read(read_k)]
        order = rule.order([p[0] for p in ps], [p[1] for p in ps], [p[2] for p in ps])
        first += bool(order) and ps[order[0]][3]
        among += any(ps[i][3] for i in order[:read_k])
    n = max(1, len(questions))
    return first / n, among / n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.rerank_fit", description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, help="where the benchmark's index is built (needed unless --refit)")
    ap.add_argument("--dataset", type=Path, default=Path("../shared/benchmarks/xquad-dev/qa.jsonl"))
    ap.add_argument("--min-article", type=int, default=32, help="fit on XQuAD articles from this one (the reader trained below it)")
    ap.add_argument("--read", type=int, default=max(PASSAGES), help="passages read per question while collecting")
    ap.add_argument("--read-k", type=int, default=3, help="passages the reader answers from (RAG_READ_K)")
    ap.add_argument("--features", type=Path, help="keep the collected scores here (JSON)")
    ap.add_argument("--refit", action="store_true", help="fit on --features without reading again")
    ap.add_argument("--out", type=Path, help="calibration JSON to write the rules into")
    args = ap.parse_args(argv)
    try:
        if args.refit:
            if not args.features or not args.features.is_file():
                raise InputError("--refit needs --features FILE written by an earlier run")
            questions = _features(args.features)
        else:
            if args.home is None:
                raise InputError("give --home DIR (where the benchmark's index is built), or --refit --features FILE")
            questions = collect(args.home, args.dataset, args.read)
            if args.features:
                args.features.write_text(json.dumps(questions), encoding="utf-8")
    except (InputError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rules = {}
    for lang in sorted({q["lang"] for q in questions}):
        fit = [q for q in questions if q["lang"] == lang and q["article"] >= args.min_article]
        check = [q for q in questions if q["lang"] == lang and q["article"] < args.min_article]
        grid = [Rerank(k, 1.0, m) for k in PASSAGES for m in MARGINS]
        rule = max(grid, key=lambda r: (sum(hits(r, fit, args.read_k)), -r.passages, -r.margin))
        rules[lang] = rule
        print(f"{lang}: read {rule.passages}, margin weight {rule.margin}")
        for label, group in (("fit", fit), ("check", check)):
            (f0, a0), (f1, a1) = hits(Rerank(), group, args.read_k), hits(rule, group, args.read_k)
            print(f"  {label:5} {len(group):4} q  gold passage first {f0:.3f} -> {f1:.3f}, among the {args.read_k} read {a0:.3f} -> {a1:.3f}")
    if args.out:
        Calibration.amend(args.out, rerank=rules)
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
