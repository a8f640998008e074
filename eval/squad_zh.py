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
so read for comparisons; fitting the ranker on it too measured no gain, see the README). A
question whose answer the translated paragraph does not hold verbatim is left out.

``--near-misses`` also writes SQuAD 2.0's unanswerable questions of those articles: written by
people to look answerable from the paragraph beside them ("谁在1000和1100年代给诺曼底命名" over a
paragraph on the Normans), they are the public form of a near-miss, and ``rag eval`` reports how many
the product refuses (``eval.calibrate --near-miss`` weighs them in the refusal threshold).
``--english FILE…`` (SQuAD 2.0's English dev file) adds every question once more in its original
English, asked over the same Chinese text: tied by SQuAD's question ids, or, in copies that gave the
questions new ids (the dev set re-split into dev and test, as in Stanford's CS224n starter code),
by article title and position, only in paragraphs whose questions match the translation one for one
(the same number, answerable and unanswerable in the same order); other paragraphs keep only the
Chinese questions.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Sequence

from rag.answering.reader.train import squad_zh_articles

_UNSAFE = re.compile(r"[^\w\-]+")


def _sentence_at(context: str, start: int, end: int) -> str:
    """The sentence(s) of ``context`` holding ``context[start:end]``, cut at Chinese and other full
    stops only (not at "；" or the period of "St."): the whole sentence a reader would quote."""
    lo = max((m.end() for m in re.finditer(r"[。！？!?]", context[:start])), default=0)
    hi = re.search(r"[。！？!?]", context[end:])
    return context[lo : end + hi.end() if hi else len(context)].strip()


def _unanswerable(qa: dict) -> bool:
    return str(qa.get("is_impossible", False)).lower() == "true" or not qa.get("answers")


def english_questions(squad_en: Sequence[Path], squad_zh: Path, xquad_dir: Path) -> dict[str, str]:
    """Question id (the translation's) -> the English question, from SQuAD 2.0's English dev file(s):
    by id where they share SQuAD's ids, else by article title (XQuAD's English file names each
    article) and position, in paragraphs whose questions match one for one."""
    from rag.answering.reader.train import _squad_data

    read: list[dict] = []
    try:
        for path in squad_en:
            read += _squad_data(path, "SQuAD 2.0's English dev file")
        by_id = {qa["id"]: qa["question"].strip() for a in read for p in a["paragraphs"] for qa in p["qas"]}
    except (KeyError, TypeError, AttributeError) as exc:
        names = ", ".join(p.name for p in squad_en)
        raise ValueError(f"{names} is not a SQuAD 2.0 file (articles of paragraphs of questions): "
                         f"{type(exc).__name__} {exc}") from None
    translated = squad_zh_articles(squad_zh, xquad_dir)
    if any(qa["id"] in by_id for _, a in translated for p in a["paragraphs"] for qa in p["qas"]):
        return by_id
    articles = {a["title"]: a for a in read if a.get("title")}
    titles = [a.get("title") for a in _squad_data(xquad_dir / "xquad.en.json", "XQuAD's English file")]
    out: dict[str, str] = {}
    for index, article in translated:
        english = articles.get(titles[index]) if index < len(titles) else None
        if english is None or len(english["paragraphs"]) != len(article["paragraphs"]):
            continue
        for zh, en in zip(article["paragraphs"], english["paragraphs"]):
            if [_unanswerable(q) for q in zh["qas"]] == [_unanswerable(q) for q in en["qas"]]:
                out.update({z["id"]: e["question"].strip() for z, e in zip(zh["qas"], en["qas"])})
    return out


def convert(squad_zh: Path, xquad_dir: Path, min_article: int = 32, *, near_misses: bool = False,
            english: dict[str, str] | None = None) -> tuple[list[dict], dict[str, str]]:
    """(QA rows, corpus files name -> text) of the even XQuAD articles at or above ``min_article``;
    with ``near_misses`` SQuAD 2.0's unanswerable questions too; with ``english`` (id -> question)
    each question also in English."""
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
                question = qa["question"].strip()
                asked = [("zh", f"sqzh-{qa['id']}", question)]
                if english and english.get(qa["id"]):
                    asked.append(("en", f"sqen-{qa['id']}", english[qa["id"]]))
                if _unanswerable(qa):
                    if near_misses and question:
                        rows += [{"id": f"{key}-nm", "lang": lang, "question": q, "type": "unanswerable",
                                  "note": "SQuAD 2.0: written to look answerable from the paragraph beside it"}
                                 for lang, key, q in asked]
                    continue
                found = []
                for ans in qa["answers"]:
                    text = ans["text"].strip()
                    start = _answer_start(context, text, int(ans.get("answer_start", -1))) if text else -1
                    if start >= 0 and text not in [t for t, _ in found]:
                        found.append((text, start))
                if not question or not found:
                    continue
                text, start = found[0]
                rows += [{"id": key, "lang": lang, "question": q, "type": "entity",
                          "expect": [[t for t, _ in found]], "doc": name,
                          "evidence": _sentence_at(context, start, start + len(text))} for lang, key, q in asked]
    return rows, files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--squad-zh", type=Path, required=True, help="ChineseSquad's squad_2.0/dev-v2.0-zh.json")
    ap.add_argument("--xquad-dir", type=Path, required=True, help="a checkout of google-deepmind/xquad (xquad.zh.json)")
    ap.add_argument("--min-article", type=int, default=32, help="XQuAD articles below this index were trained on (default 32)")
    ap.add_argument("--out", type=Path, required=True, help="directory to write qa.jsonl and corpus/ into")
    ap.add_argument("--near-misses", action="store_true",
                    help="also write SQuAD 2.0's unanswerable questions (written to look answerable from their paragraph)")
    ap.add_argument("--english", type=Path, nargs="+", metavar="DEV_V2_JSON",
                    help="SQuAD 2.0's English dev file (dev-v2.0.json; or the dev and test halves of a re-split copy): "
                         "each question also in English, over the same Chinese text")
    args = ap.parse_args(argv)
    if not args.squad_zh.is_file():
        ap.error(f"--squad-zh {args.squad_zh}: no such file (give ChineseSquad's squad_2.0/dev-v2.0-zh.json)")
    if not (args.xquad_dir / "xquad.zh.json").is_file():
        ap.error(f"--xquad-dir {args.xquad_dir}: no xquad.zh.json there (give a checkout of google-deepmind/xquad)")
    for path in args.english or []:
        if not path.is_file():
            ap.error(f"--english {path}: no such file (give SQuAD 2.0's dev-v2.0.json)")
    if args.min_article < 0:
        ap.error(f"--min-article {args.min_article}: give 0 or more")
    if args.out.exists() and not args.out.is_dir():
        ap.error(f"--out {args.out}: a file is there (give a directory to write qa.jsonl and corpus/ into)")
    try:
        english = english_questions(args.english, args.squad_zh, args.xquad_dir) if args.english else None
        rows, files = convert(args.squad_zh, args.xquad_dir, args.min_article, near_misses=args.near_misses, english=english)
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
    unanswerable = sum(r["type"] == "unanswerable" for r in rows)
    in_english = sum(r["lang"] == "en" for r in rows)
    print(f"{len(rows)} questions over {len(files)} articles -> {args.out}"
          + (f" ({unanswerable} of them unanswerable near-misses)" if args.near_misses else "")
          + (f"; {in_english} in English" if args.english else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
