"""``rag eval``: evaluate several configurations on a QA set and compare them side by side.

Each distinct index shape (embedding model, chunk size, overlap) gets its own index, built once
in ``<home>/eval-indexes/<shape>/``; all of them share the embedding cache ``<home>/cache``
(a ``cache`` symlink in each), so identical text is never embedded twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from rag.errors import InputError, MissingDependencyError
from rag.settings import Settings

from .configs import EvalConfig, resolve_configs
from .datasets import QAItem, default_dataset_path, load_dataset
from .evaluators import ProgressFactory, qa_evaluator
from .report import ConfigResult, comparison_table, headline

EVAL_INDEXES = "eval-indexes"


def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="q" if "chunks" not in desc else "chunk", file=sys.stderr, disable=None, leave=False)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def require_eval_extras() -> None:
    """Fail early, with the pip command, when the ``eval`` extra is missing."""
    from importlib.util import find_spec

    for module, package in (("ranx", "ranx"), ("matplotlib", "matplotlib"), ("langchain_text_splitters", "langchain-text-splitters")):
        if find_spec(module) is None:
            raise MissingDependencyError(package, "eval", "rag eval")


# ----------------------------------------------------------------------------- indexes
def index_key(settings: Settings) -> str:
    """Directory name for an index shape, e.g. ``chunks240-ov1-3fa2c1d0``."""
    shape = settings.index_shape()
    digest = hashlib.sha1(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:8]
    return f"chunks{shape['chunk_tokens']}-ov{shape['chunk_overlap_sentences']}-{digest}"


def eval_home(settings: Settings) -> Path:
    """A home for this index shape under ``<home>/eval-indexes`` whose ``cache`` is the shared one.

    Settings derive both the index and the cache directory from ``home``, so each shape gets its
    own home and a ``cache`` symlink to ``<home>/cache``.
    """
    shared = Path(settings.home) / "cache"
    shared.mkdir(parents=True, exist_ok=True)
    home = Path(settings.home) / EVAL_INDEXES / index_key(settings)
    home.mkdir(parents=True, exist_ok=True)
    link = home / "cache"
    if not link.exists() and not link.is_symlink():
        try:
            os.symlink(shared.resolve(), link, target_is_directory=True)
        except OSError:
            pass  # no symlinks here (some Windows setups): this shape keeps a cache of its own
    return home


def prepare_product(settings: Settings, corpus: Sequence[Path], progress: ProgressFactory | None, built: set[str]):
    """A pipeline over an index of ``corpus`` with ``settings``' shape (built/updated once per run)."""
    from rag.pipeline import Pipeline

    home = eval_home(settings)
    pipeline = Pipeline(settings.replace(home=home))
    key = index_key(settings)
    if key not in built:
        report = pipeline.ingest(corpus, progress=progress)
        current = set(report.added) | set(report.updated) | set(report.unchanged)
        stale = sorted(set(pipeline.store().files()) - current)
        if stale:  # files from an earlier --corpus that this one lacks
            pipeline.remove(stale)
        built.add(key)
    return pipeline


def prepare_system(
    config: EvalConfig, base: Settings, corpus: Sequence[Path], progress: ProgressFactory | None, built: set[str]
):
    """The system a configuration evaluates, with its index ready."""
    settings = config.settings(base)
    if config.naive:
        from .naive import NaivePipeline

        system = NaivePipeline(settings, corpus)
        system.build(progress=progress)
        return system
    return prepare_product(settings, corpus, progress, built)


# ----------------------------------------------------------------------------- running
def evaluate_configs(
    items: Sequence[QAItem],
    configs: Sequence[EvalConfig],
    base: Settings,
    corpus: Sequence[Path],
    *,
    progress: ProgressFactory | None = None,
    log=_say,
    scoring: str = "answer",
) -> list[ConfigResult]:
    """Evaluate every configuration on ``items``; skipped ones carry the reason."""
    results: list[ConfigResult] = []
    built: set[str] = set()
    for config in configs:
        reason = config.skip_reason(base)
        if reason:
            log(f"[{config.name}] {reason}")
            results.append(ConfigResult(config.name, config.description, {}, skipped=reason))
            continue
        log(f"[{config.name}] preparing the index ({config.description})")
        started = time.perf_counter()
        system = prepare_system(config, base, corpus, progress, built)
        setup = time.perf_counter() - started
        log(f"[{config.name}] answering {len(items)} questions")
        started = time.perf_counter()
        evaluator = qa_evaluator(
            items,
            progress=(lambda total, desc, name=config.name: progress(total, f"{name} {desc}")) if progress else None,
            scoring=scoring,
        )
        by_name, merged = evaluator.evaluate_each(system)
        results.append(
            ConfigResult(
                config.name,
                config.description,
                merged.metrics,
                answers=by_name["answers"].records,
                retrieval=by_name["retrieval"].records,
                setup_s=setup,
                eval_s=time.perf_counter() - started,
            )
        )
    return results


def write_report(results: Sequence[ConfigResult], out: Path, *, dataset: str, corpus: Sequence[str], n: int) -> list[Path]:
    """metrics.json, report.md and the PNG plots in ``out``; returns the files written."""
    from .plots import write_plots
    from .report import metrics_document, render_markdown, write_metrics_json

    out.mkdir(parents=True, exist_ok=True)
    metrics_path = out / "metrics.json"
    write_metrics_json(metrics_path, metrics_document(results, dataset=dataset, corpus=corpus, n=n))
    plots = write_plots(results, out)
    report_path = out / "report.md"
    report_path.write_text(
        render_markdown(results, dataset=dataset, corpus=corpus, n=n, plots=[p.name for p in plots]), encoding="utf-8"
    )
    return [metrics_path, report_path, *plots]


def run_eval(args: Any, settings: Settings) -> int:
    """Entry point of ``rag eval`` (called by rag.cli)."""
    from rag.loading import find_files
    from rag.pipeline import bundled_corpus_dir

    dataset = Path(args.dataset) if getattr(args, "dataset", None) else default_dataset_path()
    items = load_dataset(dataset, skip_invalid=bool(getattr(args, "skip_invalid", False)), warn=_say)
    limit = getattr(args, "limit", None)
    if limit is not None:
        if limit < 1:
            raise InputError(f"--limit {limit} must be at least 1 (questions).")
        items = items[:limit]
    corpus_arg = getattr(args, "corpus", None)
    if corpus_arg is not None and not corpus_arg:
        raise InputError("--corpus was given without paths: name the corpus files or folders to evaluate on.")
    beside = dataset.parent / "corpus"
    if corpus_arg:
        corpus = [Path(p) for p in corpus_arg]
    elif getattr(args, "dataset", None) and beside.is_dir():
        corpus = [beside]  # a benchmark folder: qa.jsonl with its corpus/ beside it
        _say(f"corpus: {beside.name}/ beside {dataset.name} (give --corpus to use another)")
    else:
        corpus = [bundled_corpus_dir()]
    scoring = getattr(args, "scoring", None) or "auto"
    if scoring == "auto":
        scoring = "span" if getattr(args, "dataset", None) and beside.is_dir() else "answer"
    files, _ = find_files(corpus)  # raises InputError for a missing path
    if not files:
        raise InputError(f"No supported files in {', '.join(map(str, corpus))}; give .txt/.md/.html/.pdf/.docx files.")
    configs = resolve_configs(getattr(args, "configs", None))
    require_eval_extras()

    started = time.perf_counter()
    results = evaluate_configs(items, configs, settings, corpus, progress=_progress, scoring=scoring)
    elapsed = time.perf_counter() - started

    print(comparison_table(results))
    print()
    corpus_names = [str(p) for p in corpus]
    out = getattr(args, "out", None)
    if out:
        written = write_report(results, Path(out), dataset=str(dataset), corpus=corpus_names, n=len(items))
        print(f"{len(items)} questions, {len(results)} configurations, {elapsed:.1f} s. Wrote:")
        for path in written:
            print(f"  {path}")
    else:
        for r in results:
            print(r.skipped and f"{r.name}: {r.skipped}" or headline(r))
        print(f"\n{len(items)} questions, {len(results)} configurations, {elapsed:.1f} s. Use --out DIR for the full report.")
    return 0
