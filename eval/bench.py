"""``rag bench``: speed and memory figures of the product on this machine, against targets.

Everything runs in a fresh temporary home, so the embedding cache starts EMPTY: ingest of the
bundled corpus (a ``rag ingest`` subprocess), re-ingest unchanged, a cold ``rag ask`` on the
existing index (wall time, peak RSS, whether torch was imported), then warm answer latency
over the dev questions in this process (questions never seen by the cache).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from rag.errors import RagError
from rag.settings import Settings

COLD_QUESTION = "How many social work stations does the archive mention?"
WARMUP_QUESTION = "社会工作人才队伍有多大规模？"
TARGETS = {
    "warm_p95_ms": 300.0,  # the learned reader (issue: warm p95 <= 300 ms)
    "cold_ask_s": 3.0,
    "cold_ask_peak_rss_mb": 1024.0,
    "ingest_s": 30.0,
    "reingest_s": 3.0,
}
# Runs `rag` in a child and records whether torch was imported (written at exit to a file).
_WRAPPER = (
    "import atexit, os, sys\n"
    "def _report():\n"
    "    with open(os.environ['RAG_BENCH_MODULES'], 'w', encoding='utf-8') as f:\n"
    "        f.write('torch' if 'torch' in sys.modules else '')\n"
    "atexit.register(_report)\n"
    "from rag.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@dataclass(frozen=True)
class Figure:
    """One measured figure and whether it meets its target."""

    key: str
    label: str
    value: float | bool | None
    unit: str
    target: str
    ok: bool | None


@dataclass(frozen=True)
class ChildRun:
    """A finished ``rag`` subprocess: wall time, peak RSS, exit status, torch imported."""

    seconds: float
    peak_rss_mb: float | None
    returncode: int
    torch_imported: bool
    stderr: str


def run_rag(argv: Sequence[str], *, env: dict[str, str] | None = None) -> ChildRun:
    """Run ``rag ARGV`` in a fresh Python process and measure it (peak RSS via ``wait4``)."""
    env = dict(os.environ if env is None else env)
    with tempfile.TemporaryDirectory(prefix="rag-bench-child-") as tmp:
        modules = Path(tmp) / "modules"
        out_path, err_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        env["RAG_BENCH_MODULES"] = str(modules)
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            started = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, *argv], stdout=out, stderr=err, env=env)
            rss_mb: float | None = None
            if hasattr(os, "wait4"):
                _, status, usage = os.wait4(proc.pid, 0)
                seconds = time.perf_counter() - started
                proc.returncode = os.waitstatus_to_exitcode(status)
                scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
                rss_mb = usage.ru_maxrss * scale / 2**20
            else:  # pragma: no cover - Windows
                proc.wait()
                seconds = time.perf_counter() - started
        torch = modules.is_file() and modules.read_text(encoding="utf-8") == "torch"
        return ChildRun(seconds, rss_mb, int(proc.returncode), torch, err_path.read_text(encoding="utf-8", errors="replace"))


def _check(run: ChildRun, what: str) -> ChildRun:
    if run.returncode != 0:
        tail = run.stderr.strip().splitlines()[-3:]
        raise RagError(f"bench: `{what}` failed with exit code {run.returncode}: {' / '.join(tail)}")
    return run


def write_config(home: Path, settings: Settings) -> None:
    """A config.toml in the bench home carrying the index-shaping settings (answers: extractive)."""
    keys = ("embeddings", "tokenizer", "chunk_tokens", "chunk_overlap_sentences", "k", "candidates", "retrieval")
    lines = [f"{k} = {json.dumps(getattr(settings, k))}" for k in keys]
    lines.append('mode = "extractive"')
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def warm_latencies(settings: Settings, questions: Sequence[str]) -> list[float]:
    """Milliseconds per ``Pipeline.ask`` after one warm-up question (model and index loaded)."""
    from rag.pipeline import Pipeline

    pipeline = Pipeline(settings)
    pipeline.ask(WARMUP_QUESTION)
    out = []
    for question in questions:
        started = time.perf_counter()
        pipeline.ask(question)
        out.append((time.perf_counter() - started) * 1000)
    return out


def measure(settings: Settings, *, questions: Sequence[str] | None = None, log: Callable[[str], None] = print) -> list[Figure]:
    """Every figure, measured in a fresh temporary home (removed afterwards)."""
    from rag.pipeline import bundled_corpus_dir

    from .datasets import default_dataset_path, load_dataset
    from .evaluators import percentile

    if questions is None:
        questions = [item.question for item in load_dataset(default_dataset_path())]
    corpus = str(bundled_corpus_dir())
    with tempfile.TemporaryDirectory(prefix="rag-bench-home-") as tmp:
        home = Path(tmp) / "home"
        write_config(home, settings)
        log("ingesting the bundled corpus into a fresh home (empty embedding cache)…")
        ingest = _check(run_rag(["ingest", corpus, "--home", str(home)]), "rag ingest")
        log("re-ingesting it unchanged…")
        reingest = _check(run_rag(["ingest", corpus, "--home", str(home)]), "rag ingest (unchanged)")
        log("cold `rag ask` on the existing index…")
        cold = _check(run_rag(["ask", "--json", COLD_QUESTION, "--home", str(home)]), "rag ask")
        log(f"warm answer latency over {len(questions)} questions…")
        warm = warm_latencies(settings.replace(home=home, mode="extractive"), questions)
    p50, p95 = percentile(warm, 50), percentile(warm, 95)

    def at_most(key: str, value: float | None) -> bool | None:
        return None if value is None else value <= TARGETS[key]

    return [
        Figure("warm_p50_ms", "warm answer latency p50", round(p50, 1), "ms", "", None),
        Figure("warm_p95_ms", "warm answer latency p95", round(p95, 1), "ms", "≤ 300 ms", at_most("warm_p95_ms", p95)),
        Figure("cold_ask_s", "cold `rag ask` (existing index)", round(cold.seconds, 2), "s", "≤ 3 s", at_most("cold_ask_s", cold.seconds)),
        Figure(
            "cold_ask_peak_rss_mb", "peak RSS of that `rag ask`",
            None if cold.peak_rss_mb is None else round(cold.peak_rss_mb, 1), "MB", "≤ 1 GB",
            at_most("cold_ask_peak_rss_mb", cold.peak_rss_mb),
        ),  # fmt: skip
        Figure("torch_imported", "torch imported by `rag ask`", cold.torch_imported, "", "no", not cold.torch_imported),
        Figure("ingest_s", "ingest bundled corpus, fresh home", round(ingest.seconds, 2), "s", "≤ 30 s", at_most("ingest_s", ingest.seconds)),
        Figure("reingest_s", "re-ingest unchanged", round(reingest.seconds, 2), "s", "≤ 3 s", at_most("reingest_s", reingest.seconds)),
    ]


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def table(figures: Sequence[Figure]) -> str:
    from .report import markdown_table

    def show(f: Figure) -> str:
        if f.value is None:
            return "n/a"
        if isinstance(f.value, bool):
            return "yes" if f.value else "no"
        return f"{f.value:g} {f.unit}".strip()

    ok = {True: "ok", False: "MISSED", None: ""}
    return markdown_table(["figure", "value", "target", "ok"], [[f.label, show(f), f.target, ok[f.ok]] for f in figures])


def bench_document(figures: Sequence[Figure]) -> dict[str, Any]:
    """What ``--json`` writes: each figure by key, the targets, the rows and the machine."""
    return {
        **{f.key: f.value for f in figures},
        "targets": TARGETS,
        "all_ok": all(f.ok is not False for f in figures),
        "figures": [asdict(f) for f in figures],
        "machine": machine(),
    }


def run_bench(args: Any, settings: Settings) -> int:
    """Entry point of ``rag bench`` (called by rag.cli): prints the table, optionally writes JSON."""

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    figures = measure(settings, log=log)
    m = machine()
    print(f"rag bench on {m['platform']}, {m['cpus']} CPUs, Python {m['python']}")
    print(table(figures))
    json_out = getattr(args, "json_out", None)
    if json_out:
        path = Path(json_out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(bench_document(figures), ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"wrote {path}")
    return 0
