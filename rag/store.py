"""The on-disk index: immutable segments, and generations (manifests listing segments + deletions).

Layout::

    index_dir/CURRENT                      "gen-000007" (the committed generation)
    index_dir/.lock                        writer lock (an OS lock: released when its process dies)
    index_dir/gen-000007/manifest.json     shape, model, the segments (name, sha256 of their
                                           segment.json), deletions (rows of each segment that
                                           no longer count: replaced or removed files), files
                                           (source -> the segment holding it), live counts
    index_dir/segments/seg-000012/...      one immutable segment (see rag.segment)

Adding files writes one new segment with just those files; removing or replacing a file writes
tombstones (its rows in the generation's "deletions"); nothing already written is rewritten.
A merge (rag.merging: size-tiered after each commit, or everything on ``rag optimize``) writes
one segment from the live rows of several and drops them. A commit writes the new segment
(temp dir, fsync, rename), then the new manifest the same way, then atomically replaces CURRENT,
so a crash at any moment leaves the previous generation readable; the next writer removes what
no kept generation names. Checksums: each segment's files are listed with sha256 in its own
``segment.json``, whose sha256 the manifest records, so a commit hashes only what it wrote.

Search fans out over the segments (FAISS exact search in small segments, the approximate index
in large ones; with Milvus one collection holds every segment's rows, primary key = segment
number << 32 | row) and fuses by score. BM25 uses document frequencies of the whole index:
each segment's stored scores are re-weighted per query term by global idf / segment idf.
Rows seen by callers are dense: 0..len(store)-1 over live chunks, segment by segment.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import numpy as np

from .errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexMissingError, RagError
from .models import Article, Chunk
from .segment import (
    SEG_PREFIX,
    SEGMENT_MANIFEST,
    SEGMENTS_DIR,
    FileRows,
    Segment,
    check_segment_files,
    fsync_path,
    idf_weights,
    normalized,
    read_segment_manifest,
    segment_name,
    segment_number,
    write_segment,
)

if TYPE_CHECKING:
    from .merging import MergePolicy
    from .pooled import SegmentPool
    from .vectors import VectorConfig, VectorIndex

from .vectors.base import TUNE_TARGET

FORMAT_VERSION = 2
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
GEN_PREFIX = "gen-"
TMP_PREFIX = ".tmp-"
MANIFEST = "manifest.json"
REBUILD_HINT = "Rebuild it with: rag ingest --rebuild"
# Below this total size, open() checks every file's sha256 (about 1 GB/s) before loading it.
FULL_CHECK_BYTES = 256 * 1024 * 1024
SHAPE_KEYS = ("embeddings", "tokenizer", "chunk_tokens", "chunk_overlap_sentences")
UPLOADS_DIR = "uploads"  # $RAG_HOME/uploads: files received by `rag serve` (their own namespace)
# A merge of segments with deleted rows recounts the vocabulary from the live texts up to this
# size (jieba: about a minute per 100k chunks on 2 cores); beyond it the segments' counts are summed.
REBUILD_VOCABULARY_CHUNKS = 100_000
PK_SHIFT = 32  # Milvus primary key = segment number << 32 | row within the segment
FILE_KEYS = ("sha256", "path", "n_articles", "n_chunks")


def file_origin(path: str | Path, index_dir: Path) -> str:
    """Where an indexed file came from: "upload" (received by `rag serve`), "bundled" (the sample
    corpus shipped with the package) or "ingest" (a path given to `rag ingest`)."""
    resolved = Path(path).resolve()
    bundled = (Path(__file__).resolve().parent / "data" / "corpus").resolve()
    if resolved.parent == (Path(index_dir).resolve().parent / UPLOADS_DIR):
        return "upload"
    if resolved.is_relative_to(bundled):
        return "bundled"
    return "ingest"


def generation_dir(index_dir: Path, generation: int) -> Path:
    return Path(index_dir) / f"{GEN_PREFIX}{generation:06d}"


def segments_dir(index_dir: Path) -> Path:
    return Path(index_dir) / SEGMENTS_DIR


def current_generation(index_dir: Path) -> int | None:
    """The committed generation named by ``index_dir/CURRENT``; None when there is no index."""
    path = Path(index_dir) / CURRENT_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise IndexCorruptError(f"Cannot read {path}: {err}. {REBUILD_HINT}") from err
    if not text.startswith(GEN_PREFIX) or not text[len(GEN_PREFIX) :].isdigit():
        raise IndexCorruptError(f"{path} is damaged (it reads {text[:40]!r}). {REBUILD_HINT}")
    return int(text[len(GEN_PREFIX) :])


def _manifest_digest(manifest: dict) -> str:
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifest(gen_dir: Path) -> dict:
    """The manifest of one generation, checked against its own sha256 and format version."""
    path = Path(gen_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"Index file {path} is missing. {REBUILD_HINT}") from None
    except (OSError, ValueError) as err:  # ValueError covers bad UTF-8 and bad JSON
        raise IndexCorruptError(f"Index file {path} is damaged ({err}). {REBUILD_HINT}") from err
    if not isinstance(manifest, dict) or manifest.get("manifest_sha256") != _manifest_digest(manifest):
        raise IndexCorruptError(f"Index file {path} fails its checksum (changed or damaged). {REBUILD_HINT}")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"The index at {path.parent.parent} has format version {version}; this version of rag reads "
            f"{FORMAT_VERSION} (segmented). {REBUILD_HINT} (embeddings are cached, so it is quick)."
        )
    return manifest


def check_shape(manifest: dict, expect: dict, index_dir: Path) -> None:
    """IndexMismatchError naming every setting that differs from the manifest."""
    stored = {**manifest.get("shape", {}), "model_id": manifest.get("model_id"), "dim": manifest.get("dim")}
    diffs = [
        f"{key}: index has {stored.get(key)!r}, settings want {value!r}"
        for key, value in expect.items()
        if stored.get(key) != value
    ]
    if diffs:
        raise IndexMismatchError(
            f"The index at {index_dir} was built with other settings ({'; '.join(diffs)}). "
            f"{REBUILD_HINT} (or change the settings back)."
        )


def _check_backend(manifest: dict, config: "VectorConfig | None", index_dir: Path) -> None:
    backend = (manifest.get("vectors") or {}).get("backend", "faiss")
    if config is not None and config.kind != backend:
        raise IndexMismatchError(
            f"The index at {index_dir} keeps its vectors in {backend}, but the settings ask for "
            f"{config.kind} (RAG_VECTOR_STORE). Re-index with: rag ingest --rebuild (embeddings are cached, "
            f"so it is quick), or set RAG_VECTOR_STORE={backend}."
        )


# --------------------------------------------------------------------------- reading
class IndexStore:
    """A read-only view of one committed generation; safe to share between threads."""

    def __init__(
        self,
        gen_dir: Path,
        manifest: dict,
        segments: list[Segment],
        vector_config: "VectorConfig | None" = None,
        remote: "VectorIndex | None" = None,
    ) -> None:
        self.path = gen_dir
        self.index_dir = gen_dir.parent
        self.manifest = manifest
        self.generation: int = manifest["generation"]
        self.segments = segments
        self._vector_config = vector_config
        self._remote = remote  # Milvus: one collection for every segment
        self._closed = False
        deletions = manifest.get("deletions", {})
        self._deleted: list[np.ndarray | None] = []
        self._live: list[np.ndarray | None] = []
        counts = []
        for seg in segments:
            dead = np.asarray(sorted(deletions.get(seg.name, ())), dtype=np.int64)
            if len(dead):
                mask = np.ones(seg.n, dtype=bool)
                mask[dead] = False
                self._deleted.append(dead)
                self._live.append(np.flatnonzero(mask))
                counts.append(seg.n - len(dead))
            else:
                self._deleted.append(None)
                self._live.append(None)
                counts.append(seg.n)
        self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._by_number = {seg.number: i for i, seg in enumerate(segments)}
        self._by_name = {seg.name: i for i, seg in enumerate(segments)}
        self._n_docs = sum(seg.n for seg in segments)  # BM25's N counts deleted rows (as Lucene does)
        self._pool: "SegmentPool | None" = None
        self._pool_lock = threading.Lock()
        self._pooled: frozenset[int] = frozenset()

    # ------------------------------------------------------------- opening
    @classmethod
    def open(
        cls,
        index_dir: Path,
        *,
        expect: dict | None = None,
        full_check: bool | None = None,
        vectors: "VectorConfig | None" = None,
        reuse: "IndexStore | None" = None,
    ) -> "IndexStore":
        """Open the committed generation; ``full_check`` (default: when small) checks sha256 first.

        ``vectors`` names the vector backend the settings ask for (None: whatever the manifest says);
        segments that ``reuse`` (an open store of this index) already has open are shared, not reread.
        """
        index_dir = Path(index_dir)
        generation = current_generation(index_dir)
        for _attempt in range(3):  # a writer may have committed twice and removed what CURRENT named
            if generation is None:
                raise IndexMissingError(f"No index at {index_dir}. Build one with: rag ingest PATH")
            gen_dir = generation_dir(index_dir, generation)
            again = current_generation(index_dir)
            if gen_dir.is_dir() or again == generation:
                break
            generation = again
        manifest = read_manifest(gen_dir)
        if manifest.get("generation") != generation:
            raise IndexCorruptError(
                f"{gen_dir / MANIFEST} names generation {manifest.get('generation')}, not {generation}. {REBUILD_HINT}"
            )
        if expect is not None:
            check_shape(manifest, expect, index_dir)
        _check_backend(manifest, vectors, index_dir)
        total = sum(int(e.get("bytes", 0)) for e in manifest["segments"])
        verified = total <= FULL_CHECK_BYTES if full_check is None else full_check
        shared = {} if reuse is None or reuse._closed else {s.name: s for s in reuse.segments}
        segments: list[Segment] = []
        remote = None
        try:
            for entry in manifest["segments"]:
                seg = shared.get(entry["name"])
                if seg is not None and seg.info_sha256 == entry["sha256"] and (seg.verified or not verified):
                    seg.acquire()
                else:
                    seg = Segment.open(
                        segments_dir(index_dir) / entry["name"], entry, full_check=verified, vector_config=vectors,
                    )
                    seg.info_sha256 = entry["sha256"]
                    seg.acquire()
                segments.append(seg)
            if (manifest.get("vectors") or {}).get("backend") == "milvus":
                from .vectors.milvus_index import MilvusIndex
                from .vectors import VectorConfig

                remote = MilvusIndex.load(
                    manifest["vectors"], int(manifest["counts"]["chunks"]), int(manifest["dim"]),
                    vectors or VectorConfig(kind="milvus"),
                )
        except BaseException:
            for seg in segments:
                seg.release()
            raise
        store = cls(gen_dir, manifest, segments, vectors, remote)
        if int(store._offsets[-1]) != int(manifest["counts"]["chunks"]):
            store.close()
            raise IndexCorruptError(
                f"Index generation {gen_dir} is inconsistent ({store._offsets[-1]} live rows, manifest says "
                f"{manifest['counts']['chunks']}). {REBUILD_HINT}"
            )
        return store

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for seg in self.segments:
            seg.release()
        if self._remote is not None:
            self._remote.close()

    # ------------------------------------------------------------- rows
    def __len__(self) -> int:
        return int(self._offsets[-1])

    @property
    def dim(self) -> int:
        return int(self.manifest["dim"])

    @property
    def vector_index(self) -> "VectorIndex | None":
        """The dense index of a single-segment store, or the Milvus collection."""
        if self._remote is not None:
            return self._remote
        return self.segments[0]._vectors if len(self.segments) == 1 else None

    @property
    def vector_entry(self) -> dict:
        """How dense vectors are searched: the Milvus collection, or the largest segment's FAISS index."""
        if self._remote is not None or not self.segments:
            return dict(self.manifest.get("vectors") or {})
        return dict(max(self.segments, key=lambda s: s.n).info["vectors"])

    def _globals(self, i: int, local: np.ndarray) -> np.ndarray:
        """Dense rows of segment ``i``'s ``local`` rows (-1 for deleted ones)."""
        live = self._live[i]
        if live is None:
            return self._offsets[i] + local
        pos = np.searchsorted(live, local)
        ok = pos < len(live)
        ok[ok] = live[pos[ok]] == local[ok]
        return np.where(ok, self._offsets[i] + pos, -1)

    def _locate(self, row: int) -> tuple[int, int]:
        if row < 0 or row >= len(self):
            raise IndexError(f"chunk row {row} is not in the index ({len(self)} chunks)")
        i = int(np.searchsorted(self._offsets, row, side="right")) - 1
        live = self._live[i]
        return i, int(row - self._offsets[i]) if live is None else int(live[row - self._offsets[i]])

    # ------------------------------------------------------------- searching
    def _small(self) -> "SegmentPool | None":
        """The small segments pooled (built on first use; None when fewer than two are small)."""
        if self._pool is not None or len(self.segments) < 2:
            return self._pool
        with self._pool_lock:
            if self._pool is None:
                from .pooled import POOL_SEGMENT_CHUNKS, POOL_TOTAL_CHUNKS, SegmentPool

                members, total = [], 0
                for i, seg in enumerate(self.segments):
                    if seg.n <= POOL_SEGMENT_CHUNKS and total + seg.n <= POOL_TOTAL_CHUNKS:
                        members.append(i)
                        total += seg.n
                if len(members) >= 2:
                    pool = SegmentPool(self.segments, members, self._globals, dense=self._remote is None)
                    self._pooled = frozenset(members)
                    self._pool = pool
        return self._pool

    def warm(self) -> "IndexStore":
        """Build what the first search would otherwise build (the pool of small segments)."""
        self._small()
        return self

    def search_dense(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Top ``k`` rows by cosine similarity to ``query`` (normalised here), over every segment."""
        k = min(int(k), len(self))
        if k <= 0:
            return []
        vector = normalized(np.asarray(query, dtype=np.float32).reshape(1, -1), self.dim)
        rows: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        if self._remote is not None:
            dead = sum(len(d) for d in self._deleted if d is not None)
            found_s, found_pk = self._remote.search(vector, min(k + dead + 16, 16_384))
            keep = found_pk[0] >= 0
            pks, sc = found_pk[0][keep], found_s[0][keep]
            numbers, local = pks >> PK_SHIFT, pks & ((1 << PK_SHIFT) - 1)
            for number in np.unique(numbers):
                i = self._by_number.get(int(number))
                if i is None:
                    continue  # rows of a segment this generation does not list (being added or dropped)
                sel = numbers == number
                rows.append(self._globals(i, local[sel]))
                scores.append(sc[sel])
        else:
            pool = self._small()
            if pool is not None:
                sc, found = pool.search_dense(vector, k)
                rows.append(found)
                scores.append(sc)
            for i, seg in enumerate(self.segments):
                if i in self._pooled:
                    continue
                dead = 0 if self._deleted[i] is None else len(self._deleted[i])
                sc, local = seg.search_dense(vector, k + dead)
                rows.append(self._globals(i, local))
                scores.append(sc)
        if not rows:
            return []
        all_rows, all_scores = np.concatenate(rows), np.concatenate(scores)
        keep = all_rows >= 0
        all_rows, all_scores = all_rows[keep], all_scores[keep]
        order = np.lexsort((all_rows, -all_scores))[:k]
        return [(int(all_rows[j]), float(all_scores[j])) for j in order]

    def search_lexical(self, tokens: list[str], k: int) -> list[tuple[int, float]]:
        """Top ``k`` rows by BM25 over ``tokens`` (from ``rag.lexical.analyze``); score > 0 only."""
        tokens = list(tokens)
        if not tokens or k <= 0 or not self.segments:
            return []
        pool = self._small()
        alone = [i for i in range(len(self.segments)) if i not in self._pooled]
        ids = {i: self.segments[i].term_ids(tokens) for i in alone}
        dfs = {i: self.segments[i].doc_freqs(ids[i]) for i in alone}
        global_df = sum(dfs.values(), np.zeros(len(tokens)))
        if pool is not None:
            global_df = global_df + pool.doc_freqs(tokens)
        if not global_df.any():
            return []
        found: list[tuple[int, float]] = []
        if pool is not None:
            found += pool.search_lexical(tokens, global_df, self._n_docs, k)
        for i in alone:
            seg = self.segments[i]
            if not dfs[i].any():
                continue
            weights = idf_weights(self._n_docs, global_df, dfs[i], seg.n)
            scores = seg.lexical_scores(ids[i], weights)
            if self._deleted[i] is not None:
                scores[self._deleted[i]] = 0
            kk = min(int(k), scores.shape[0])
            top = np.argpartition(-scores, kk - 1)[:kk]
            top = top[scores[top] > 0]
            for local, g in zip(top, self._globals(i, top)):
                found.append((int(g), float(scores[local])))
        found.sort(key=lambda item: (-item[1], item[0]))
        return found[: int(k)]

    # ------------------------------------------------------------- contents
    def chunk(self, row: int) -> Chunk:
        return self.chunks([row])[0]

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        """Chunks at ``rows``, in that order (IndexError for a row not in the index)."""
        wanted = [int(r) for r in rows]
        located = [self._locate(r) for r in wanted]
        by_segment: dict[int, set[int]] = {}
        for i, local in located:
            by_segment.setdefault(i, set()).add(local)
        found = {i: self.segments[i].chunks(sorted(local)) for i, local in by_segment.items()}
        out = []
        for row, (i, local) in zip(wanted, located):
            if local not in found[i]:
                raise IndexCorruptError(
                    f"Row {local} of segment {self.segments[i].path} is missing from its chunks table. {REBUILD_HINT}"
                )
            out.append(found[i][local])
        return out

    def rows(self) -> range:
        return range(len(self))

    def _segment_of(self, source: str) -> Segment | None:
        info = self.manifest["files"].get(source)
        i = None if info is None else self._by_name.get(info["segment"])
        return None if i is None else self.segments[i]

    def article(self, source: str, ordinal: int) -> Article | None:
        seg = self._segment_of(source)
        return None if seg is None else seg.article(source, ordinal)

    def files(self) -> dict[str, dict]:
        return {source: {k: info[k] for k in FILE_KEYS} for source, info in sorted(self.manifest["files"].items())}

    def list_articles(self) -> list[dict]:
        """One dict per article: source, title, ordinal, kind, n_chunks, origin (by source, then ordinal).

        ``origin`` says where the file came from (see :func:`file_origin`).
        """
        files = self.manifest["files"]
        found = []
        for seg in self.segments:
            for r in seg.query("SELECT source, title, ordinal, kind, n_chunks FROM articles"):
                info = files.get(r["source"])
                if info is not None and info["segment"] == seg.name:
                    found.append({**dict(r), "origin": file_origin(info.get("path", ""), self.index_dir)})
        found.sort(key=lambda a: (a["source"], a["ordinal"]))
        return found

    def origin(self, source: str) -> str | None:
        """Where the indexed file ``source`` came from; None when it is not indexed."""
        info = self.manifest["files"].get(source)
        return None if info is None else file_origin(info.get("path", ""), self.index_dir)

    def vocabularies(self) -> list[dict]:
        """The cross-lingual vocabulary blob of every segment (oldest first; merge them to use)."""
        return [v for v in (seg.vocabulary_json() for seg in self.segments) if v is not None]

    # ------------------------------------------------------------- checking
    def verify(self) -> list[str]:
        """Problems found (checksums, counts across segments, tombstones, files, Milvus); [] if whole."""
        try:
            manifest = read_manifest(self.path)
        except (IndexCorruptError, IndexMismatchError) as err:
            return [str(err)]
        problems: list[str] = []
        seg_files: dict[str, dict] = {}
        n_seg: dict[str, int] = {}
        for entry in manifest["segments"]:
            path = segments_dir(self.index_dir) / entry["name"]
            try:
                info = read_segment_manifest(path, entry)
            except IndexCorruptError as err:
                problems.append(str(err))
                continue
            seg = self.segments[self._by_name[entry["name"]]] if entry["name"] in self._by_name else None
            if seg is not None:
                problems += seg.verify(self._vector_config)
            seg_files[entry["name"]] = info["files"]
            n_seg[entry["name"]] = int(info["counts"]["chunks"])
        deleted_total = 0
        for name, rows in manifest.get("deletions", {}).items():
            if name not in n_seg:
                problems.append(f"{self.path / MANIFEST}: deletions name segment {name}, which it does not list")
                continue
            if len(set(rows)) != len(rows) or any(not 0 <= r < n_seg[name] for r in rows):
                problems.append(f"{self.path / MANIFEST}: deletions of {name} are out of range or repeated")
            deleted_total += len(set(rows))
        live = sum(n_seg.values()) - deleted_total
        for source, info in manifest["files"].items():
            held = seg_files.get(info.get("segment"), {}).get(source)
            if held is None or held["sha256"] != info["sha256"]:
                problems.append(f"{self.path / MANIFEST}: file {source} is not in segment {info.get('segment')}")
        listed = sum(int(i["n_chunks"]) for i in manifest["files"].values())
        if not problems and (live != manifest["counts"]["chunks"] or listed != live):
            problems.append(
                f"{self.path / MANIFEST}: {live} live chunks in the segments, files list {listed}, "
                f"counts say {manifest['counts']['chunks']}"
            )
        if self._remote is not None:
            from .vectors import VectorStoreError

            try:
                found = self._remote.count()
                if found != live:
                    problems.append(
                        f"Milvus collection {manifest['vectors'].get('collection')}: {found} vectors, the index has "
                        f"{live} live chunks (the next `rag ingest` reconciles it)"
                    )
            except VectorStoreError as err:
                problems.append(str(err))
        return problems


# --------------------------------------------------------------------------- writing
def _default_vocabulary_merge(parts: list[dict]) -> dict | None:
    """Without a merger from the caller, a merged segment keeps its parts' blobs side by side."""
    return {"parts": parts} if parts else None


class IndexWriter:
    """Builds the next generation: new files become one new segment, removals become tombstones.

    One writer at a time (file lock). Use as a context manager: ``__enter__`` takes the lock and
    reads the current manifest (unless ``rebuild``); nothing is written until :meth:`commit`.
    ``merge_policy`` chooses segments to merge after a commit (:meth:`maybe_merge`);
    ``merge_vocabularies`` turns the vocabulary blobs of merged segments into one;
    ``vocabulary_builder`` makes a new segment's blob from its texts; every ``flush_chunks``
    added chunks are written out as a segment (published by the next commit).
    """

    def __init__(
        self,
        index_dir: Path,
        *,
        shape: dict,
        model_id: str,
        dim: int,
        rebuild: bool = False,
        lock_timeout: float = 30.0,
        vectors: "VectorConfig | None" = None,
        merge_policy: "MergePolicy | None" = None,
        merge_vocabularies: Callable[[list[dict]], dict | None] | None = None,
        vocabulary_builder: Callable[[Iterator[str]], dict] | None = None,
        flush_chunks: int = 50_000,
    ) -> None:
        from .merging import MergePolicy
        from .vectors import VectorConfig

        self.index_dir = Path(index_dir)
        self.vector_config = vectors or VectorConfig()
        self.merge_policy = merge_policy or MergePolicy()
        self.merge_vocabularies = merge_vocabularies or _default_vocabulary_merge
        self.vocabulary_builder = vocabulary_builder  # texts of a new segment -> its vocabulary blob
        self.flush_chunks = int(flush_chunks)
        self.shape = {k: shape[k] for k in shape}
        self.model_id = model_id
        self.dim = int(dim)
        self.rebuild = rebuild
        self.lock_timeout = lock_timeout
        self.is_new = True  # True when not starting from a committed generation
        self._base_generation: int | None = None
        self._segments: list[dict] = []  # entries of the base generation's manifest
        self._deleted: dict[str, set[int]] = {}
        self._committed_deleted: dict[str, set[int]] = {}  # as of the last committed generation
        self._files: dict[str, dict] = {}  # committed files: source -> info incl. "segment"
        self._pending: dict[str, FileRows] = {}
        self._written: list[dict] = []  # segments flushed by this writer, published by commit()
        self._vocabulary: dict | None = None
        self._next_segment = 1
        self._vector_entry: dict | None = None
        self._lock: Any = None
        self._readers: dict[str, Segment] = {}  # base segments opened to look up a file's rows
        self._summaries: dict[int, dict] = {}  # generation -> its segments and vectors entry

    # ------------------------------------------------------------- lock and base
    def __enter__(self) -> "IndexWriter":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Take the writer lock, clean leftovers of crashed writers, read the current generation."""
        if self._lock is not None:
            return
        from filelock import FileLock, Timeout

        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(self.index_dir / LOCK_FILE), timeout=self.lock_timeout)
            try:
                lock.acquire(timeout=0)
            except Timeout:  # say why nothing happens, then wait for the other writer
                import logging

                logging.getLogger("rag.store").warning(
                    "Another process is writing the index at %s; waiting up to %g s for it to finish.",
                    self.index_dir, self.lock_timeout,
                )
                lock.acquire()
        except Timeout:
            raise IndexLockedError(
                f"Another process is writing the index at {self.index_dir} (lock {self.index_dir / LOCK_FILE} "
                f"held for more than {self.lock_timeout:g} s). Wait for that ingest/remove to finish, then retry."
            ) from None
        except OSError as err:
            raise _unwritable(self.index_dir, err) from err
        self._lock = lock
        try:
            self._load_base()
            self._clean_leftovers()
            self._reconcile_remote()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for seg in self._readers.values():
            seg.close()
        self._readers.clear()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _require_open(self) -> None:
        if self._lock is None:
            self.open()

    def _clean_leftovers(self) -> None:
        for folder in (self.index_dir, segments_dir(self.index_dir)):
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.name.startswith(TMP_PREFIX) or path.name.startswith(f"{CURRENT_FILE}.tmp"):
                    if path.is_dir():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink(missing_ok=True)
        try:
            current = current_generation(self.index_dir)
        except IndexCorruptError:
            return
        if current is not None:
            numbers = self._generation_numbers()
            older = [n for n in numbers if n < current]
            self._remove_old(keep={current, older[-1] if older else None})

    def _generation_numbers(self) -> list[int]:
        return sorted(
            int(p.name[len(GEN_PREFIX) :])
            for p in self.index_dir.glob(f"{GEN_PREFIX}*")
            if p.name[len(GEN_PREFIX) :].isdigit()
        )

    def _load_base(self) -> None:
        if self.rebuild:
            numbers = [segment_number(p.name) for p in segments_dir(self.index_dir).glob(f"{SEG_PREFIX}*")
                       if p.name[len(SEG_PREFIX) :].isdigit()]
            self._next_segment = max(numbers, default=0) + 1
            return
        generation = current_generation(self.index_dir)
        if generation is None:
            return
        gen_dir = generation_dir(self.index_dir, generation)
        manifest = read_manifest(gen_dir)
        if manifest.get("generation") != generation:
            raise IndexCorruptError(f"{gen_dir / MANIFEST} names generation {manifest.get('generation')}. {REBUILD_HINT}")
        check_shape(manifest, {**self.shape, "model_id": self.model_id, "dim": self.dim}, self.index_dir)
        _check_backend(manifest, self.vector_config, self.index_dir)
        # The writer builds on these segments without reading them: check what is cheap to check
        # (segment.json checksums, every file's size; every sha256 when the index is small).
        total = sum(int(e.get("bytes", 0)) for e in manifest["segments"])
        for entry in manifest["segments"]:
            check_segment_files(segments_dir(self.index_dir) / entry["name"], entry, full_check=total <= FULL_CHECK_BYTES)
        self._segments = [dict(e) for e in manifest["segments"]]
        self._deleted = {name: set(rows) for name, rows in manifest.get("deletions", {}).items()}
        self._committed_deleted = {name: set(rows) for name, rows in self._deleted.items()}
        self._files = {s: dict(i) for s, i in manifest["files"].items()}
        self._next_segment = int(manifest.get("next_segment", 1))
        self._vector_entry = manifest.get("vectors")
        self._base_generation = generation
        self._summaries[generation] = _summary(manifest)
        self.is_new = False

    def _reader(self, name: str) -> Segment:
        seg = self._readers.get(name)
        if seg is None:
            entry = next(e for e in self._segments + self._written if e["name"] == name)
            seg = Segment.open(segments_dir(self.index_dir) / name, entry, full_check=False,
                               vector_config=self.vector_config, load_vectors=False, load_lexical=False)
            self._readers[name] = seg
        return seg

    # ------------------------------------------------------------- editing
    def has_file(self, source: str, sha256: str) -> bool:
        """True when ``source`` is indexed with these exact bytes (the caller can skip it)."""
        self._require_open()
        if source in self._pending:
            return self._pending[source].sha256 == sha256
        info = self._files.get(source)
        return info is not None and info["sha256"] == sha256

    def knows_source(self, source: str) -> bool:
        self._require_open()
        return source in self._pending or source in self._files

    def add_file(
        self,
        source: str,
        path: str,
        sha256: str,
        articles: list[Article],
        chunks: list[Chunk],
        vectors: np.ndarray,
    ) -> None:
        """Add ``source`` (replacing any earlier version); ``vectors[i]`` embeds ``chunks[i]``."""
        self._require_open()
        array = normalized(vectors, self.dim) if len(chunks) else np.zeros((0, self.dim), np.float32)
        if array.shape[0] != len(chunks):
            raise ValueError(f"{source}: {len(chunks)} chunks but {array.shape[0]} vectors")
        strays = {c.source for c in chunks} | {a.source for a in articles}
        if strays - {source}:
            raise ValueError(f"{source}: chunks/articles of other sources {sorted(strays - {source})}")
        self._drop(source)
        self._pending[source] = FileRows(source, str(path), sha256, list(articles), list(chunks), array)
        if self.pending_chunks() >= self.flush_chunks:
            self.flush()

    def _drop(self, source: str) -> bool:
        if self._pending.pop(source, None) is not None:
            return True
        info = self._files.pop(source, None)
        if info is None:
            return False
        rows = self._reader(info["segment"]).rows_of(source)
        self._deleted.setdefault(info["segment"], set()).update(rows)
        return True

    def remove_file(self, source: str) -> bool:
        self._require_open()
        return self._drop(source)

    def prune_missing(self, roots: Sequence[Path], keep: set[str]) -> list[str]:
        """Drop files recorded under the folders ``roots`` whose file no longer exists on disk.

        Sources in ``keep`` (seen in this ingest) stay. Returns the removed sources, sorted.
        """
        self._require_open()
        folders = [Path(r).expanduser().resolve() for r in roots]
        paths = {s: i["path"] for s, i in self._files.items()} | {s: f.path for s, f in self._pending.items()}
        gone: list[str] = []
        for source, recorded in sorted(paths.items()):
            path = Path(recorded)
            if source in keep or path.exists():
                continue
            if any(path == f or f in path.parents for f in folders):
                gone.append(source)
        for source in gone:
            self._drop(source)
        return gone

    def set_vocabulary_json(self, data: dict) -> None:
        """The vocabulary blob of the segment this commit writes (texts: :meth:`iter_texts`)."""
        self._require_open()
        json.dumps(data)  # fail now, not in commit, if it is not JSON
        self._vocabulary = data

    def sources(self) -> list[str]:
        self._require_open()
        return sorted(set(self._files) | set(self._pending))

    def iter_texts(self) -> Iterator[str]:
        """Title and text of every article of the files added in this writer (the new segment)."""
        self._require_open()
        for source in sorted(self._pending):
            for article in self._pending[source].articles:
                yield f"{article.title}\n{article.text}" if article.title else article.text

    def segment_sizes(self) -> list[tuple[str, int, int]]:
        """``(name, n_chunks, n_deleted)`` of each segment the next generation keeps."""
        return [(e["name"], int(e["n_chunks"]), len(self._deleted.get(e["name"], ()))) for e in self._segments]

    # ------------------------------------------------------------- committing
    def flush(self) -> None:
        """Write the files added so far as a segment (not yet part of any generation: the next
        :meth:`commit` publishes it), so that a long ingest never holds all its chunks in memory."""
        self._require_open()
        if not self._pending:
            return
        files = [self._pending[s] for s in sorted(self._pending)]
        vocabulary = self._vocabulary
        if vocabulary is None and self.vocabulary_builder is not None:
            vocabulary = self.vocabulary_builder(self.iter_texts())
        entry = self._write_segment(files, sum(len(f.chunks) for f in files), vocabulary)
        self._written.append(entry)
        for f in files:
            self._files[f.source] = {**dict(zip(FILE_KEYS, (f.sha256, f.path, len(f.articles), len(f.chunks)))),
                                     "segment": entry["name"]}
        self._pending.clear()
        self._vocabulary = None

    def pending_chunks(self) -> int:
        return sum(len(f.chunks) for f in self._pending.values())

    def commit(self) -> int:
        """Write the new files as a segment and the next generation; make it current."""
        self._require_open()
        self.flush()
        generation = self._publish(self._segments + self._written, removed=[])
        self._written = []
        return generation

    def maybe_merge(self) -> list[int]:
        """Run the merges the policy asks for (each one a commit); returns their generations."""
        self._require_open()
        done = []
        for _round in range(8):  # a merge can fill the next tier
            merges = self.merge_policy.select(self.segment_sizes())
            if not merges:
                break
            for names in merges:
                done.append(self._merge(names))
        return done

    def optimize(self) -> int:
        """Merge every segment into one (deleted rows dropped, the ANN index rebuilt); a commit."""
        self._require_open()
        if self._pending:
            self.commit()
        return self._merge([e["name"] for e in self._segments])

    def _merge(self, names: list[str]) -> int:
        """One segment from the live rows of ``names`` (in that order); the others are dropped."""
        members = [e for e in self._segments if e["name"] in set(names)]
        owner = {}
        for source, info in self._files.items():
            owner.setdefault(info["segment"], []).append(source)
        n_live = sum(int(e["n_chunks"]) - len(self._deleted.get(e["name"], ())) for e in members)
        deleted = any(self._deleted.get(e["name"]) for e in members)
        if deleted and self.vocabulary_builder is not None and n_live <= REBUILD_VOCABULARY_CHUNKS:
            # deleted files' words would linger in summed counts: count the live texts again
            vocabulary = self.vocabulary_builder(self._live_texts(members, owner))
        else:
            parts = [v for v in (self._reader(e["name"]).vocabulary_json() for e in members) if v is not None]
            vocabulary = parts[0] if len(parts) == 1 else self.merge_vocabularies(parts)
        files = self._stream_live(members, owner)
        written = [self._write_segment(files, n_live, vocabulary)] if n_live else []
        for entry in written:
            for source in (s for e in members for s in owner.get(e["name"], ())):
                self._files[source]["segment"] = entry["name"]
        first = min(self._segments.index(e) for e in members) if members else len(self._segments)
        kept = [e for e in self._segments if e not in members]
        segments = kept[:first] + written + kept[first:]
        return self._publish(segments, removed=[e["name"] for e in members])

    def _live_texts(self, members: list[dict], owner: dict[str, list[str]]) -> Iterator[str]:
        for entry in members:
            seg = self._reader(entry["name"])
            for source in sorted(owner.get(entry["name"], ())):
                for r in seg.query("SELECT title, text FROM articles WHERE source = ? ORDER BY ordinal", (source,)):
                    yield f"{r['title']}\n{r['text']}" if r["title"] else r["text"]

    def _stream_live(self, members: list[dict], owner: dict[str, list[str]]) -> Iterator[FileRows]:
        """Every live file of ``members``, one at a time, with its vectors and BM25 tokens."""
        from .segment import VECTORS, article_from_row, chunk_from_row

        for entry in members:
            seg = self._reader(entry["name"])
            vectors = np.load(seg.path / VECTORS, allow_pickle=False, mmap_mode="r")
            for source in sorted(owner.get(entry["name"], ())):
                info = self._files[source]
                rows = seg.query("SELECT * FROM chunks WHERE source = ? ORDER BY row", (source,))
                articles = [article_from_row(r) for r in
                            seg.query("SELECT * FROM articles WHERE source = ? ORDER BY ordinal", (source,))]
                index = [r["row"] for r in rows]
                yield FileRows(
                    source, info["path"], info["sha256"], articles, [chunk_from_row(r) for r in rows],
                    np.asarray(vectors[index], dtype=np.float32) if index else np.zeros((0, self.dim), np.float32),
                    [json.loads(r["tokens"]) for r in rows],
                )
            del vectors

    def _write_segment(self, files: Iterator[FileRows] | list[FileRows], n_chunks: int, vocabulary: dict | None) -> dict:
        """Write a new segment (temp dir, fsync, rename); for Milvus also insert its rows."""
        number = self._next_segment
        self._next_segment += 1
        name = segment_name(number)
        root = segments_dir(self.index_dir)
        tmp = root / f"{TMP_PREFIX}{name}-{uuid.uuid4().hex[:8]}"
        try:
            root.mkdir(parents=True, exist_ok=True)
            info = write_segment(
                tmp, files, n_chunks=n_chunks, dim=self.dim, vector_config=self.vector_config,
                vocabulary=vocabulary, analyzer=_analyzer_signature(), name=name,
            )
            final = root / name
            if final.exists():  # left by a crashed writer that never committed it
                shutil.rmtree(final)
            os.rename(tmp, final)
            fsync_path(root)
        except (OSError, sqlite3.Error) as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise _unwritable(self.index_dir, err) from err
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        data = (final / SEGMENT_MANIFEST).read_bytes()
        entry = {
            "name": name,
            "n_chunks": n_chunks,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": sum(m["size"] for m in info["checksums"].values()) + len(data),
        }
        if self.vector_config.kind == "milvus" and n_chunks:
            self._remote_insert(number, final)
        return entry

    def _publish(self, segments: list[dict], *, removed: list[str]) -> int:
        """Write the manifest of the next generation and make it current (atomic pointer swap)."""
        # a segment whose rows are all deleted is dropped from the generation
        empty = [e["name"] for e in segments if len(self._deleted.get(e["name"], ())) >= int(e["n_chunks"])]
        segments = [e for e in segments if e["name"] not in empty]
        deletions = {e["name"]: sorted(self._deleted[e["name"]]) for e in segments if self._deleted.get(e["name"])}
        generation = self._next_generation()
        counts = {
            "files": len(self._files),
            "articles": sum(int(i["n_articles"]) for i in self._files.values()),
            "chunks": sum(int(e["n_chunks"]) for e in segments) - sum(len(r) for r in deletions.values()),
        }
        vectors = self._vector_entry or {"backend": self.vector_config.kind}
        manifest = {
            "format_version": FORMAT_VERSION,
            "generation": generation,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "shape": self.shape,
            "model_id": self.model_id,
            "dim": self.dim,
            "analyzer": _analyzer_signature(),
            "vectors": vectors,
            "segments": segments,
            "deletions": deletions,
            "next_segment": self._next_segment,
            "files": dict(sorted(self._files.items())),
            "counts": counts,
        }
        manifest["manifest_sha256"] = _manifest_digest(manifest)
        tmp = self.index_dir / f"{TMP_PREFIX}{GEN_PREFIX}{generation:06d}-{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir()
            with open(tmp / MANIFEST, "w", encoding="utf-8") as f:
                # json.dumps (one shot) uses the C encoder; json.dump and indent= do not
                f.write(json.dumps(manifest, ensure_ascii=False, separators=(",", ":")))
                f.flush()
                os.fsync(f.fileno())
            fsync_path(tmp)
            final = generation_dir(self.index_dir, generation)
            os.rename(tmp, final)
            fsync_path(self.index_dir)
            pointer = self.index_dir / f"{CURRENT_FILE}.tmp-{uuid.uuid4().hex[:8]}"
            with open(pointer, "w", encoding="ascii") as f:
                f.write(f"{final.name}\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(pointer, self.index_dir / CURRENT_FILE)
            fsync_path(self.index_dir)
        except (OSError, sqlite3.Error) as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise _unwritable(self.index_dir, err) from err
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        previous = self._base_generation
        self._summaries[generation] = _summary(manifest)
        gone = set(removed) | set(empty)
        if self._remote_entry() is not None:
            fresh = {n: set(r) - self._committed_deleted.get(n, set()) for n, r in deletions.items() if n not in gone}
            self._remote_delete(gone, fresh)
        self._segments = segments
        self._deleted = {n: set(r) for n, r in deletions.items()}
        self._committed_deleted = {n: set(r) for n, r in deletions.items()}
        for name in gone:
            seg = self._readers.pop(name, None)
            if seg is not None:
                seg.close()
        self._base_generation = generation
        self.is_new = False
        self._remove_old(keep={generation, previous})
        return generation

    def _next_generation(self) -> int:
        """One past every generation seen (also orphans of crashed commits and a damaged CURRENT)."""
        numbers = [self._base_generation or 0, *self._generation_numbers()]
        try:
            numbers.append(current_generation(self.index_dir) or 0)
        except IndexCorruptError:
            pass
        return max(numbers) + 1

    def _remove_old(self, keep: set[int | None]) -> None:
        """Drop generations other than those in ``keep``, segments no kept generation lists, and
        server-side collections (Milvus) that no kept generation names (best effort). Manifests
        this writer read or wrote are not parsed again (at 1M chunks one is ~15 MB of JSON)."""
        from .vectors import drop_unused

        kept: list[dict] = []
        for path in self.index_dir.glob(f"{GEN_PREFIX}*"):
            suffix = path.name[len(GEN_PREFIX) :]
            if not suffix.isdigit():
                continue
            if int(suffix) not in keep:
                shutil.rmtree(path, ignore_errors=True)
                continue
            summary = self._summaries.get(int(suffix))
            if summary is None:
                try:
                    summary = _summary(json.loads((path / MANIFEST).read_text(encoding="utf-8")))
                except (OSError, ValueError):
                    summary = {}
            kept.append(summary)
        listed = {e.get("name") for m in kept for e in m.get("segments", ())}
        if kept:
            for path in segments_dir(self.index_dir).glob(f"{SEG_PREFIX}*"):
                if path.name not in listed:
                    shutil.rmtree(path, ignore_errors=True)
        remote = self.vector_config.kind != "faiss" or any(
            (m.get("vectors") or {}).get("backend", "faiss") != "faiss" for m in kept
        )
        if remote:
            drop_unused(self.index_dir, kept, self.vector_config)

    # ------------------------------------------------------------- Milvus
    def _remote_entry(self) -> dict | None:
        entry = self._vector_entry
        return entry if entry and entry.get("backend") == "milvus" else None

    def _remote(self, n_hint: int = 0) -> "Any":
        from .vectors.milvus_index import MilvusIndex

        if self._remote_entry() is None:  # the first commit (or a rebuild): a new collection
            index = MilvusIndex.create(self.vector_config, self.index_dir, self.dim, n_hint)
            self._vector_entry = index.entry
            return index
        return MilvusIndex.load(self._vector_entry, 0, self.dim, self.vector_config)

    def _remote_insert(self, number: int, path: Path) -> None:
        from .segment import VECTORS

        vectors = np.load(path / VECTORS, allow_pickle=False, mmap_mode="r")
        index = self._remote(n_hint=len(vectors))
        try:
            index.insert((number << PK_SHIFT) + np.arange(len(vectors), dtype=np.int64), vectors)
            nlist = index.entry.get("index", {}).get("nlist")
            if nlist and not index.entry.get("search_params"):  # IVF: tune nprobe once, on the first rows
                params, recall = index.tune(np.asarray(vectors, dtype=np.float32), nlist, pk_base=number << PK_SHIFT)
                self._vector_entry = {**index.entry, "search_params": params, "recall_at_10": recall,
                                      "recall_target": TUNE_TARGET}
        finally:
            index.close()

    def _remote_delete(self, segments: set[str], rows: dict[str, set[int]]) -> None:
        """After the pointer swap: delete dropped segments' rows and tombstoned rows by primary key."""
        if not segments and not any(rows.values()):
            return
        index = self._remote()
        try:
            for name in segments:
                index.delete_range(segment_number(name) << PK_SHIFT, (segment_number(name) + 1) << PK_SHIFT)
            pks = [(segment_number(n) << PK_SHIFT) + r for n, rs in rows.items() for r in sorted(rs)]
            index.delete_rows(pks)
        finally:
            index.close()

    def _reconcile_remote(self) -> None:
        """Make the collection hold exactly the live rows of the current generation: after a crash
        between an insert and the pointer swap (or a swap and its deletes), and for an index copied
        from another directory (whose collection belongs to that one: this index gets its own)."""
        from .vectors.milvus_index import collection_prefix

        entry = self._remote_entry()
        if entry is None or self.rebuild:
            return
        if not str(entry.get("collection", "")).startswith(collection_prefix(self.index_dir)):
            self._vector_entry = None  # the next commit writes this index's own collection
            live_rows = sum(int(e["n_chunks"]) for e in self._segments)
            index = self._remote(n_hint=live_rows)
            index.close()
        live = sum(int(e["n_chunks"]) for e in self._segments) - sum(len(r) for r in self._deleted.values())
        index = self._remote()
        try:
            if index.count() == live:
                return
            keep: set[int] = set()
            for e in self._segments:
                base = segment_number(e["name"]) << PK_SHIFT
                dead = self._deleted.get(e["name"], set())
                keep.update(base + r for r in range(int(e["n_chunks"])) if r not in dead)
            stale = [pk for pk in index.all_pks() if pk not in keep]
            index.delete_rows(stale)
            missing = keep - set(index.all_pks())
            for e in self._segments:
                number = segment_number(e["name"])
                if any((pk >> PK_SHIFT) == number for pk in missing):
                    from .segment import VECTORS

                    vectors = np.load(segments_dir(self.index_dir) / e["name"] / VECTORS, allow_pickle=False, mmap_mode="r")
                    rows = np.array(sorted(pk & ((1 << PK_SHIFT) - 1) for pk in missing if (pk >> PK_SHIFT) == number))
                    index.insert((number << PK_SHIFT) + rows, np.asarray(vectors[rows]), upsert=True)
        finally:
            index.close()


def _summary(manifest: dict) -> dict:
    """What cleanup needs of a manifest: its segments and its vectors entry."""
    return {"segments": [{"name": e.get("name")} for e in manifest.get("segments", ())],
            "vectors": manifest.get("vectors")}


def _analyzer_signature() -> str:
    import jieba

    from .lexical import ANALYZER_VERSION

    return f"rag.lexical/{ANALYZER_VERSION} jieba/{jieba.__version__}"


def _unwritable(index_dir: Path, err: Exception) -> RagError:
    reason = getattr(err, "strerror", None) or err
    return RagError(
        f"Cannot write the index at {index_dir}: {reason}. The current index is unchanged. "
        f"Make the directory writable (or free disk space), or use another location with --home DIR."
    )
