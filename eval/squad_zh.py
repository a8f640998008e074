"""Write XQuAD's validation articles from the machine-translated SQuAD 2.0 dev set as a span
benchmark (``qa.jsonl`` + ``corpus/``, the format of ``../shared/benchmarks``):

    python -m eval.squad_zh --squad-zh ChineseSquad/squad_2.0/dev-v2.0-zh.json --xquad-dir xquad \\
        --out /tmp/squad-zh-val

pluto-junzeng/ChineseSquad translates SQuAD 2.0 dev to Chinese by machine; every SQuAD dev article
is also an XQuAD article (tied by SQuAD's question ids). Only the even-numbered XQuAD articles at
or above ``--min-article`` are written: the reader never trained on them (it trained on the even
ones below, ``train.py --val-from``), and XQuAD's odd half is the held-out test, never read.
SQuAD asked more questions of more paragraphs than XQuAD kept, so these articles carry several
times XQuAD's own Chinese questions: a larger validation set for ``rag eval`` (machine-translated,
so read for comparisons; fitting the ranker on it too measured no gain, see the README). Answerable questions only (SQuAD 2.0's unanswerable ones sit beside the paragraph that seems to
answer them; ``eval.calibrate`` takes its unanswerable questions over the bundled pages). A
question whose answer the translated paragraph does not hold verbatim is left out.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from rag.answering.reader.train import squad_zh_articles

_UNSAFE = re.compile(r"[^\w\-]+")


def _sentence_at(context: str, start: int, end: int) -> str:
    """The sentence(s) of ``context`` holding ``context[start:end]``, cut at Chinese and other full
    stops only (not at "；" or the period of "St."): the whole sentence a reader would quote."""
    lo = max((m.end() for m in re.finditer(r"[。！？!?]", context[:start])), default=0)
    hi = re.search(r"[。！？!?]", context[end:])
    return context[lo : end + hi.end() if hi else len(context)].strip()


def convert(squad_zh: Path, xquad_dir: Path, min_article: int = 32) -> tuple[list[dict], dict[str, str]]:
    """(QA rows, corpus files name -> text) of the even XQuAD articles at or above ``min_article``."""
    from rag.answering.reader.train import _answer_start

    rows: list[dict] = []
    files: dict[str, str] = {}
    for index, article in squad_zh_articles(squad_zh, xquad_dir):
        if index % 2 == 1 or index < min_article:
            continue
        title = _UNSAFE.sub("_", str(article.get("title", "")).strip())[:40].strip("_") or "article"
        name = f"sqzh{index:02d}_{title}.txt"
        files[name] = "\n\n".join(p["context"].strip() for p in article["paragraphs"]) + "\n"
        for para in article["paragraphs"]:
            context = para["context"].strip()
            for qa in para["qas"]:
                if str(qa.get("is_impossible", False)).lower() == "true" or not qa.get("answers"):
                    continue
                question = qa["question"].strip()
                found = []
                for ans in qa["answers"]:
                    text = ans["text"].strip()
                    start = _answer_start(context, text, int(ans.get("answer_start", -1))) if text else -1
                    if start >= 0 and text not in [t for t, _ in found]:
                        found.append((text, start))
                if not question or not found:
                    continue
                text, start = found[0]
                rows.append({"id": f"sqzh-{qa['id']}", "lang": "zh", "question": question, "type": "entity",
                             "expect": [[t for t, _ in found]], "doc": name,
                             "evidence": _sentence_at(context, start, start + len(text))})
    return rows, files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--squad-zh", type=Path, required=True, help="ChineseSquad's squad_2.0/dev-v2.0-zh.json")
    ap.add_argument("--xquad-dir", type=Path, required=True, help="a checkout of google-deepmind/xquad (xquad.zh.json)")
    ap.add_argument("--min-article", type=int, default=32, help="XQuAD articles below this index were trained on (default 32)")
    ap.add_argument("--out", type=Path, required=True, help="directory to write qa.jsonl and corpus/ into")
    args = ap.parse_args(argv)
    if not args.squad_zh.is_file():
        ap.error(f"--squad-zh {args.squad_zh}: no such file (give ChineseSquad's squad_2.0/dev-v2.0-zh.json)")
    if not (args.xquad_dir / "xquad.zh.json").is_file():
        ap.error(f"--xquad-dir {args.xquad_dir}: no xquad.zh.json there (give a checkout of google-deepmind/xquad)")
    if args.min_article < 0:
        ap.error(f"--min-article {args.min_article}: give 0 or more")
    if args.out.exists() and not args.out.is_dir():
        ap.error(f"--out {args.out}: a file is there (give a directory to write qa.jsonl and corpus/ into)")
    try:
        rows, files = convert(args.squad_zh, args.xquad_dir, args.min_article)
    except ValueError as exc:  # names the file and why (squad_zh_articles)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (KeyError, TypeError, AttributeError) as exc:
        print(f"error: {args.squad_zh.name} is not a SQuAD 2.0 file (paragraphs of questions with answers): "
              f"{type(exc).__name__} {exc}", file=sys.stderr)
        return 2
    if not rows:
        print(f"error: {args.squad_zh.name} holds no answerable question of an even XQuAD article >= {args.min_article}",
              file=sys.stderr)
        return 2
    corpus = args.out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    with (args.out / "qa.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} questions over {len(files)} articles -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
