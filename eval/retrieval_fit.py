"""Fit how much BM25 weighs for an English question, by how much of it the glossary renders.

    python -m eval.retrieval_fit --home /tmp/rag-retfit \\
        --dataset ../shared/benchmarks/xquad-dev/qa.jsonl \\
        --dataset eval/data/bundled-fresh-a.jsonl … --dataset eval/data/bundled-fresh-n.jsonl

An English question is searched by the cross-lingual encoder and by BM25 over the Chinese words the
bridge renders for it (``rag.crosslingual.bridge_query``). Those words are a sure clue when the
curated glossary renders most of the question ("How many social work stations has Dingxi built?")
and a loose one when only dictionary and pinyin guesses stand in (most XQuAD questions), so BM25
weighs ``en_glossed_lexical_weight`` in the rank fusion when the glossary covers at least
``en_glossed_share`` of the question's words, else ``en_lexical_weight``. For each answerable English
question of each dataset (a benchmark folder with its ``corpus/``, else the bundled pages) the
gold passage's rank is measured under each rule of the grid; the rule kept maximises the mean, over
the corpora (the datasets over one corpus pooled, so that fourteen sets over the bundled pages
weigh as much as one benchmark), of the share of gold passages among the first 4 (the passages an
English question is read from), then among the first 1 (ties: the smaller weight and share). It prints the table and
the rule; set the two values in ``rag.retrieval.RetrievalConfig`` and ``rag.settings.Settings``
(``RAG_EN_GLOSSED_SHARE`` and ``RAG_EN_GLOSSED_LEXICAL_WEIGHT`` override them).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from rag.errors import InputError

from .datasets import load_dataset

WEIGHTS = (0.1, 0.3, 0.5, 1.0)
SHARES = (0.0, 0.2, 0.3, 0.4, 0.5, 1.01)  # 0.0: always the glossed weight; 1.01: never
DEPTH = 8


def corpus_of(dataset: Path) -> Path:
    """The corpus a dataset is asked over: its benchmark folder's ``corpus/``, else the bundled pages."""
    from rag.pipeline import bundled_corpus_dir

    beside = dataset.parent / "corpus"
    return beside if beside.is_dir() else bundled_corpus_dir()


def ranks(home: Path, dataset: Path) -> list[dict[tuple[float, float], int]]:
    """Per answerable English question of ``dataset``: the gold passage's rank (DEPTH + 1 when not
    among the first DEPTH) under each (share, weight) rule."""
    from tqdm import tqdm

    from rag.settings import load_settings

    from .cli import prepare_product
    from .evaluators import is_relevant

    corpus = corpus_of(dataset)
    pipeline = prepare_product(load_settings({"home": home / corpus.resolve().name}), [corpus], None, set())
    retriever = pipeline.hybrid()
    base = retriever.config
    out = []
    items = [i for i in load_dataset(dataset, skip_invalid=True) if i.answerable and i.lang == "en"]
    for item in tqdm(items, desc=dataset.name, file=sys.stderr):
        query = pipeline.analyze(item.question)
        found = {}
        for weight in WEIGHTS:
            # the share decides only which of the two weights applies: one retrieval per weight
            retriever.config = replace(base, en_lexical_weight=weight, en_glossed_share=1.01)
            passages = retriever.retrieve(query, DEPTH)
            rank = next((p.rank for p in passages if is_relevant(p.chunk, item)), DEPTH + 1)
            found[weight] = rank
        low = found[base.en_lexical_weight] if base.en_lexical_weight in found else found[WEIGHTS[0]]
        out.append({(share, weight): (found[weight] if query.glossed >= share else low)
                    for share in SHARES for weight in WEIGHTS})
    return out


def score(per_dataset: list[list[dict]], rule: tuple[float, float]) -> tuple[float, float]:
    """Mean over the corpora of the share of gold passages among the first 4, and first 1."""
    top4 = [sum(q[rule] <= 4 for q in qs) / max(1, len(qs)) for qs in per_dataset]
    top1 = [sum(q[rule] <= 1 for q in qs) / max(1, len(qs)) for qs in per_dataset]
    return sum(top4) / len(top4), sum(top1) / len(top1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.retrieval_fit", description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, required=True, help="where each corpus's index is built")
    ap.add_argument("--dataset", type=Path, action="append", required=True,
                    help="QA JSONL (a benchmark folder's qa.jsonl, or a set over the bundled pages); repeat")
    args = ap.parse_args(argv)
    try:
        pooled: dict[str, list[dict]] = {}
        for d in args.dataset:
            pooled.setdefault(corpus_of(d).resolve().as_posix(), []).extend(ranks(args.home, d))
    except (InputError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from rag.pipeline import bundled_corpus_dir

    bundled = bundled_corpus_dir().resolve().as_posix()
    names = ["bundled pages" if c == bundled else Path(c).parent.name for c in pooled]
    per_dataset = list(pooled.values())
    rules = [(s, w) for s in SHARES for w in WEIGHTS]
    best = max(rules, key=lambda r: (*score(per_dataset, r), -r[1], -r[0]))
    print("rule (share, weight)   " + "   ".join(f"{n[:14]} ({len(q)} q)".ljust(22) for n, q in zip(names, per_dataset))
          + "   mean top-4 / top-1")
    for rule in rules:
        cells = [f"{sum(q[rule] <= 4 for q in qs) / max(1, len(qs)):.3f} / {sum(q[rule] <= 1 for q in qs) / max(1, len(qs)):.3f}".ljust(22)
                 for qs in per_dataset]
        mark = "  <- kept" if rule == best else ""
        print(f"{rule[0]:>4} {rule[1]:>4}".ljust(23) + "   ".join(cells) + "   %.3f / %.3f" % score(per_dataset, rule) + mark)
    print(f"en_glossed_share = {best[0]}, en_glossed_lexical_weight = {best[1]} "
          f"(en_lexical_weight {WEIGHTS[0]} below the share)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
