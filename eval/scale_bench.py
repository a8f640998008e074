"""Scale benchmark of the dense index alone: FAISS flat, FAISS approximate and Milvus, side by side.

``python -m eval.scale_bench [--sizes 100000 1000000] [--milvus-uri URI | --milvus-start] [--json FILE]``

Random unit vectors (dim 384, the hardest case for approximate search: no clusters to exploit)
are written to a ``vectors.npy`` exactly like an index generation, then each backend is built
over it and measured: build time, memory, single-query latency p50/p95 and recall@10 against
exact search. Memory is the FAISS index's own size (its serialised bytes, which is what it holds
in RAM; for Milvus: the server's RSS growth); the approximate FAISS index also reads a few hundred
raw rows per query from the memory-mapped ``vectors.npy`` (page cache) to re-rank exactly, listed
as ``mmap_mb``. Milvus is searched with the product's consistency level (Bounded).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

TARGET = {"size": 1_000_000, "p95_ms": 50.0, "recall_at_10": 0.95, "memory_mb": 2048.0}
BLOCK = 100_000


@dataclass
class Row:
    backend: str
    n: int
    build_s: float
    memory_mb: float
    mmap_mb: float
    p50_ms: float
    p95_ms: float
    recall_at_10: float
    queries: int
    params: dict = field(default_factory=dict)

    def meets_target(self) -> bool:
        return (
            self.p95_ms <= TARGET["p95_ms"]
            and self.recall_at_10 >= TARGET["recall_at_10"]
            and self.memory_mb <= TARGET["memory_mb"]
        )


def index_mb(index) -> float:
    """In-memory size of a FAISS index (its serialised size: codes, links, centroids)."""
    import faiss

    return faiss.serialize_index(index).nbytes / 2**20


def group_rss_mb(pgid: int) -> float:
    """Total RSS of every process in a process group (the Milvus launcher and its server)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) != pgid:
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except (OSError, ProcessLookupError):
            continue
    return total


def unit_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def write_vectors(path: Path, n: int, dim: int, seed: int = 0) -> np.ndarray:
    """Random unit rows written block by block to ``path`` (.npy); returned memory-mapped."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, dim))
    for i, start in enumerate(range(0, n, BLOCK)):
        out[start : start + BLOCK] = unit_vectors(min(BLOCK, n - start), dim, seed * 1000 + i)
    out.flush()
    del out
    return np.load(path, mmap_mode="r")


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    from rag.vectors.base import exact_top_k

    return exact_top_k(vectors, queries, k)


def time_queries(search, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    """Latency of each query run alone (ms) and the rows found."""
    search(queries[:1], k)  # warm up
    times, found = [], []
    for q in queries:
        started = time.perf_counter()
        _, rows = search(q[None, :], k)
        times.append((time.perf_counter() - started) * 1000)
        found.append(rows[0])
    return times, np.array(found)


def summarise(backend: str, n: int, build_s: float, memory_mb: float, mmap_mb: float,
              times: list[float], found: np.ndarray, exact: np.ndarray, k: int, params: dict) -> Row:
    from rag.vectors.base import recall_at_k

    return Row(
        backend=backend,
        n=n,
        build_s=round(build_s, 2),
        memory_mb=round(memory_mb, 1),
        mmap_mb=round(mmap_mb, 1),
        p50_ms=round(float(np.percentile(times, 50)), 2),
        p95_ms=round(float(np.percentile(times, 95)), 2),
        recall_at_10=round(recall_at_k(found, exact[: len(found)], k), 4),
        queries=len(times),
        params=params,
    )


def bench_faiss_flat(vectors: np.ndarray, queries: np.ndarray, exact: np.ndarray, k: int) -> Row:
    import faiss

    started = time.perf_counter()
    index = faiss.IndexFlatIP(vectors.shape[1])
    for s in range(0, len(vectors), BLOCK):
        index.add(np.ascontiguousarray(vectors[s : s + BLOCK]))
    build = time.perf_counter() - started
    memory = len(vectors) * vectors.shape[1] * 4 / 2**20  # the flat index is the raw vectors
    budget = max(20, min(len(queries), int(20_000_000 / max(len(vectors), 1)) * 10))  # ~20 s at most
    times, found = time_queries(index.search, queries[:budget], k)
    row = summarise("faiss-flat", len(vectors), build, memory, 0.0, times, found, exact, k, {"type": "IndexFlatIP"})
    del index
    gc.collect()
    return row


def bench_faiss_ann(vectors: np.ndarray, queries: np.ndarray, exact: np.ndarray, k: int, factory: str | None) -> Row:
    from rag.vectors import VectorConfig
    from rag.vectors.faiss_index import FaissIndex

    config = VectorConfig(ann_threshold=1, **({"ann_factory": factory} if factory else {}))
    started = time.perf_counter()
    index = FaissIndex.build(vectors, config)
    build = time.perf_counter() - started
    memory = index_mb(index._index)
    times, found = time_queries(index.search, queries, k)
    params = {key: index.entry[key] for key in ("factory", "k_factor", "nprobe", "efSearch", "recall_at_10") if key in index.entry}
    row = summarise("faiss-ann", len(vectors), build, memory, vectors.nbytes / 2**20, times, found, exact, k, params)
    del index
    gc.collect()
    return row


def bench_milvus(vectors: np.ndarray, queries: np.ndarray, exact: np.ndarray, k: int, uri: str,
                 server_pgid: int | None, ann: bool) -> Row:
    from rag.vectors import VectorConfig
    from rag.vectors.milvus_index import MilvusIndex, drop_collections

    workdir = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    config = VectorConfig(kind="milvus", milvus_uri=uri, ann_threshold=1 if ann else len(vectors) + 1)
    before = group_rss_mb(server_pgid) if server_pgid else float("nan")
    started = time.perf_counter()
    index = MilvusIndex.build(vectors, config, index_dir=workdir, generation=1)
    build = time.perf_counter() - started
    memory = (group_rss_mb(server_pgid) - before) if server_pgid else float("nan")
    try:
        times, found = time_queries(index.search, queries, k)
    finally:
        params = {**index.entry["index"], **index.entry.get("search_params", {})}
        index.close()
        drop_collections(uri, workdir, keep=set())
    return summarise(f"milvus-{'ivf' if ann else 'flat'}", len(vectors), build, memory, 0.0, times, found, exact, k, params)


def print_table(rows: Sequence[Row], out=sys.stdout) -> None:
    head = f"{'backend':<12} {'n':>9} {'build s':>8} {'mem MB':>8} {'mmap MB':>8} {'p50 ms':>7} {'p95 ms':>7} {'recall@10':>9}  params"
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in rows:
        flag = " *" if r.n >= TARGET["size"] and r.meets_target() else ""
        print(
            f"{r.backend:<12} {r.n:>9} {r.build_s:>8.1f} {r.memory_mb:>8.0f} {r.mmap_mb:>8.0f} {r.p50_ms:>7.2f} "
            f"{r.p95_ms:>7.2f} {r.recall_at_10:>9.3f}  {json.dumps(r.params, separators=(',', ':'))}{flag}",
            file=out,
        )
    print(
        f"(* meets the target at {TARGET['size']:,}: p95 <= {TARGET['p95_ms']:g} ms, recall@10 >= "
        f"{TARGET['recall_at_10']}, memory <= {TARGET['memory_mb']:g} MB)",
        file=out,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.scale_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--backends", nargs="+", default=["faiss-flat", "faiss-ann", "milvus"],
                        choices=["faiss-flat", "faiss-ann", "milvus"])
    parser.add_argument("--factory", default=None, help="FAISS factory string of the ANN index (default: the product's)")
    parser.add_argument("--threads", type=int, default=1, help="FAISS OpenMP threads per query (default 1)")
    parser.add_argument("--milvus-uri", default=None, help="a running Milvus server")
    parser.add_argument("--milvus-start", action="store_true", help="start a local Milvus (PyPI milvus) for the run")
    parser.add_argument("--milvus-max", type=int, default=1_000_000, help="largest size sent to Milvus")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--workdir", type=Path, default=None, help="where vectors.npy files go (default: a temp dir)")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before faiss starts OpenMP (shared CPUs)
    import faiss

    faiss.omp_set_num_threads(args.threads)
    server = None
    uri = args.milvus_uri
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="scale-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if "milvus" in args.backends and uri is None and args.milvus_start:
        import signal

        from eval.milvus_server import MilvusServer

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `timeout`/kill: still stop the server
        server = MilvusServer(workdir / "milvus").start()
        uri = server.uri
    rows: list[Row] = []
    try:
        for n in args.sizes:
            path = workdir / f"vectors-{n}.npy"
            vectors = write_vectors(path, n, args.dim)
            queries = unit_vectors(args.queries, args.dim, seed=987_654)
            exact = exact_neighbours(vectors, queries, args.k)
            for backend in args.backends:
                if backend == "faiss-flat":
                    row = bench_faiss_flat(vectors, queries, exact, args.k)
                elif backend == "faiss-ann":
                    row = bench_faiss_ann(vectors, queries, exact, args.k, args.factory)
                elif uri is None or n > args.milvus_max:
                    continue
                else:
                    pgid = os.getpgid(server.process.pid) if server and server.process else None
                    row = bench_milvus(vectors, queries, exact, args.k, uri, pgid, ann=True)
                rows.append(row)
                print(f"  {row.backend} n={n}: p95 {row.p95_ms} ms, recall@10 {row.recall_at_10}", file=sys.stderr, flush=True)
            del vectors
            path.unlink(missing_ok=True)
    finally:
        if server is not None:
            import signal

            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the stop (TERM, then KILL) finish
            server.stop()
    print_table(rows)
    if args.json:
        report = {
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "faiss_threads": args.threads},
            "dim": args.dim,
            "target": TARGET,
            "rows": [asdict(r) | {"meets_target": r.meets_target()} for r in rows],
        }
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
