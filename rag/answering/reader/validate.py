"""The reader alone on gold paragraphs: span F1, exact match and the benchmark's span rule on the
validation sets nothing was trained on -- the figure a training run is judged by before the
ranker, the thresholds and retrieval come in.

    python -m rag.answering.reader.validate --xquad-dir xquad/ \
        --cmrc ../shared/benchmarks/cmrc2018-trial/qa.jsonl [--weights other.npz] [--json out.json]

Sets:
  * ``xquad-zh`` / ``xquad-en``: XQuAD even-numbered articles at or above ``--xquad-val-from``
    (train.py keeps them out of training), Chinese and English questions over the Chinese
    paragraph; odd-numbered articles are a held-out test and are never read;
  * ``cmrc``: a span benchmark in ``rag eval``'s format whose ``doc`` is the paragraph itself
    (CMRC 2018 trial in ``../shared/benchmarks``), read from its ``corpus/`` folder.
Contexts go through the index's cleaning first (``train.as_indexed``), as the product reads them.
For each question the best span of all its windows is the answer (no "no answer", no ranker).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .features import best_spans, build_windows
from .model import WEIGHTS, OnnxSpanModel, SpanModel
from .train import Example, as_indexed, load_xquad


def cmrc_examples(qa_path: Path) -> list[Example]:
    """The answerable items of a span benchmark whose documents are single paragraphs."""
    from eval.datasets import load_dataset

    corpus = qa_path.parent / "corpus"
    out: list[Example] = []
    for item in load_dataset(qa_path, skip_invalid=True):
        golds = [g for group in item.expect for g in group]
        if not item.answerable or not golds or not item.doc:
            continue
        context = (corpus / item.doc).read_text(encoding="utf-8")
        start = context.find(golds[0])
        if start >= 0:
            out.append(Example(item.question, context, start, start + len(golds[0]), "cmrc"))
    return out


def read_best(model, ex: Example) -> str:
    """The reader's best span for the question over the example's whole context."""
    windows = build_windows(model.tokenizer, ex.question, ex.context, max_len=model.max_len, stride=model.stride)
    best = None
    for window, (start, end) in zip(windows, model.logits(windows)):
        for choice in best_spans(window, start, end, top=1):
            if best is None or choice.score > best.score:
                best = choice
    return "" if best is None else ex.context[best.start_char : best.end_char]


def evaluate(model, examples: list[Example]) -> dict[str, float]:
    from eval.scoring import exact_match, f1_score, span_correct

    f1 = em = right = 0.0
    for ex in examples:
        gold = ex.context[ex.start : ex.end]
        got = read_best(model, ex)
        f1 += f1_score(got, gold)
        em += exact_match(got, gold)
        right += span_correct(got, [gold])
    n = max(1, len(examples))
    return {"f1": f1 / n, "em": em / n, "accuracy": right / n, "questions": len(examples)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", type=Path, default=WEIGHTS, help="reader.npz (default: the shipped one)")
    ap.add_argument("--onnx", type=Path, help="its int8 ONNX export (default: reader.int8.onnx beside --weights, "
                                              "else the numpy reader)")
    ap.add_argument("--xquad-dir", type=Path, help="a clone of google-deepmind/xquad")
    ap.add_argument("--xquad-val-from", type=int, default=32)
    ap.add_argument("--cmrc", type=Path, help="a span benchmark qa.jsonl with a corpus/ folder beside it")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    if not args.xquad_dir and not args.cmrc:
        ap.error("nothing to validate on: give --xquad-dir and/or --cmrc")
    if args.xquad_dir and not (args.xquad_dir / "xquad.zh.json").is_file():
        ap.error(f"--xquad-dir {args.xquad_dir}: no xquad.zh.json there (clone google-deepmind/xquad)")
    if args.cmrc and not (args.cmrc.is_file() and (args.cmrc.parent / "corpus").is_dir()):
        ap.error(f"--cmrc {args.cmrc}: not a qa.jsonl with a corpus/ folder beside it")
    if not args.weights.is_file():
        ap.error(f"--weights {args.weights}: no such file")
    onnx = args.onnx or args.weights.with_name("reader.int8.onnx")
    if args.onnx and not onnx.is_file():
        ap.error(f"--onnx {onnx}: no such file")
    model = (OnnxSpanModel(onnx, weights=args.weights, threads=args.threads or None) if onnx.is_file()
             else SpanModel(args.weights))

    sets: dict[str, list[Example]] = {}
    if args.xquad_dir:
        _, val = load_xquad(args.xquad_dir, val_from=args.xquad_val_from)
        for lang in ("zh", "en"):
            sets[f"xquad-{lang}"] = [e for e in map(as_indexed, val) if e is not None and e.group == f"xquad-{lang}"]
    if args.cmrc:
        sets["cmrc"] = [e for e in map(as_indexed, cmrc_examples(args.cmrc)) if e is not None]
    figures: dict[str, dict[str, float]] = {}
    for name, examples in sets.items():
        t0 = time.time()
        figures[name] = evaluate(model, examples)
        f = figures[name]
        print(f"{name:9s} {f['questions']:5d} q  F1 {f['f1']:.3f}  EM {f['em']:.3f}  accuracy {f['accuracy']:.3f}"
              f"  ({time.time() - t0:.0f} s)", flush=True)
    result = {"weights": str(args.weights.name), "reader": type(model).__name__, "sets": figures,
              "primary": sum(f["f1"] for f in figures.values()) / len(figures)}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
