"""The on-disk index: immutable generations (FAISS + SQLite chunks + BM25 + manifest) behind CURRENT.

Layout::

    index_dir/CURRENT                      "gen-000007" (the committed generation)
    index_dir/.lock                        writer lock (an OS lock: released when its process dies)
    index_dir/gen-000007/manifest.json     shape, model, files, counts, sha256 of every file below
                         vectors.npy       float32, L2-normalised, row i == chunk row i
                         faiss.index       FAISS index over the same vectors (rag.vectors: flat when
                                           small, approximate above a threshold; absent for Milvus,
                                           whose collection the manifest names under "vectors")
                         chunks.sqlite     tables files, articles, chunks (row i == BM25 doc i)
                         bm25/             bm25s index over rag.lexical.analyze(Chunk.indexed_text)
                         vocabulary.json   opaque blob of the cross-lingual module

A writer builds the next generation in a temp dir, fsyncs it, renames it to ``gen-N`` and then
atomically replaces CURRENT, so a crash at any moment leaves the previous generation readable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from .errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexMissingError, RagError
from .models import Article, Chunk, Section

if TYPE_CHECKING:
    import bm25s

    from .vectors import VectorConfig, VectorIndex

FORMAT_VERSION = 1
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
GEN_PREFIX = "gen-"
TMP_PREFIX = ".tmp-"
MANIFEST = "manifest.json"
VECTORS = "vectors.npy"
FAISS_INDEX = "faiss.index"
CHUNKS_DB = "chunks.sqlite"
BM25_DIR = "bm25"
VOCABULARY = "vocabulary.json"
REBUILD_HINT = "Rebuild it with: rag ingest --rebuild"
# Below this total size, open() checks every file's sha256 (about 1 GB/s) before loading it.
FULL_CHECK_BYTES = 256 * 1024 * 1024
SHAPE_KEYS = ("embeddings", "tokenizer", "chunk_tokens", "chunk_overlap_sentences")
UPLOADS_DIR = "uploads"  # $RAG_HOME/uploads: files received by `rag serve` (their own namespace)


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest_digest(manifest: dict) -> str:
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fsync_path(path: Path) -> None:
    """fsync a file or a directory (directories: makes renames inside it durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _normalized(vectors: np.ndarray, dim: int) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != dim:
        raise ValueError(f"vectors must have shape (n, {dim}), got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("vectors contain NaN or infinite values")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(array / norms, dtype=np.float32)


def _article_from_row(row: sqlite3.Row) -> Article:
    return Article(
        source=row["source"],
        ordinal=row["ordinal"],
        title=row["title"],
        text=row["text"],
        byline=row["byline"],
        origin=row["origin"],
        kind=row["kind"],
        sections=tuple(Section(heading=h, start=s) for h, s in json.loads(row["sections"])),
    )


def _chunk_from_row(row: sqlite3.Row) -> Chunk:
    return Chunk(
        chunk_id=row["chunk_id"],
        source=row["source"],
        article_ordinal=row["article_ordinal"],
        title=row["title"],
        section=row["section"],
        text=row["text"],
        start=row["start"],
        end=row["end"],
        n_tokens=row["n_tokens"],
    )


# --------------------------------------------------------------------------- reading
class IndexStore:
    """A read-only view of one committed generation; safe to share between threads."""

    def __init__(
        self,
        gen_dir: Path,
        manifest: dict,
        vector_index: "VectorIndex | None",
        bm25: "bm25s.BM25 | None",
        db: sqlite3.Connection,
        vector_config: "VectorConfig | None" = None,
    ) -> None:
        self.path = gen_dir
        self.manifest = manifest
        self.generation: int = manifest["generation"]
        self._vectors = vector_index
        self._vector_config = vector_config
        self._bm25 = bm25
        self._db = db
        self._db_lock = threading.Lock()

    # ------------------------------------------------------------- opening
    @classmethod
    def open(
        cls,
        index_dir: Path,
        *,
        expect: dict | None = None,
        full_check: bool | None = None,
        vectors: "VectorConfig | None" = None,
    ) -> "IndexStore":
        """Open the committed generation; ``full_check`` (default: when small) checks sha256 first.

        ``vectors`` names the vector backend the settings ask for (None: whatever the manifest says).
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
        return cls._open_dir(gen_dir, generation, expect=expect, full_check=full_check, vectors=vectors)

    @classmethod
    def _open_dir(
        cls,
        gen_dir: Path,
        generation: int,
        *,
        expect: dict | None,
        full_check: bool | None,
        vectors: "VectorConfig | None" = None,
        load_vectors: bool = True,
    ) -> "IndexStore":
        manifest = read_manifest(gen_dir)
        if manifest.get("generation") != generation:
            raise IndexCorruptError(
                f"{gen_dir / MANIFEST} names generation {manifest.get('generation')}, not {generation}. "
                f"{REBUILD_HINT}"
            )
        if expect is not None:
            check_shape(manifest, expect, gen_dir.parent)
        checksums: dict[str, dict] = manifest["checksums"]
        total = 0
        for rel, info in checksums.items():
            path = gen_dir / rel
            try:
                size = path.stat().st_size
            except OSError:
                raise IndexCorruptError(f"Index file {path} is missing. {REBUILD_HINT}") from None
            if size != info["size"]:
                raise IndexCorruptError(
                    f"Index file {path} is truncated or damaged ({size} bytes, expected {info['size']}). "
                    f"{REBUILD_HINT}"
                )
            total += size
        verified = total <= FULL_CHECK_BYTES if full_check is None else full_check
        if verified:
            for rel, info in checksums.items():
                if _sha256(gen_dir / rel) != info["sha256"]:
                    raise IndexCorruptError(
                        f"Index file {gen_dir / rel} fails its checksum (it was changed or damaged). "
                        f"{REBUILD_HINT}"
                    )
        n, dim = manifest["counts"]["chunks"], manifest["dim"]
        vector_index: "VectorIndex | None" = None
        try:
            if load_vectors:
                vector_index = _load_vectors(gen_dir, manifest, vectors, verified=verified)
            bm25 = _load_bm25(gen_dir / BM25_DIR) if manifest.get("bm25") else None
            db = _connect_ro(gen_dir / CHUNKS_DB)
            rows = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        except IndexCorruptError:
            raise
        except (OSError, ValueError, KeyError, RuntimeError, sqlite3.Error, json.JSONDecodeError) as err:
            raise IndexCorruptError(f"Index generation {gen_dir} cannot be loaded: {err}. {REBUILD_HINT}") from err
        if rows != n or (bm25 is not None and int(bm25.scores["num_docs"]) != n):
            db.close()
            if vector_index is not None:
                vector_index.close()
            raise IndexCorruptError(
                f"Index generation {gen_dir} is inconsistent ({n} vectors, {rows} chunk rows). {REBUILD_HINT}"
            )
        return cls(gen_dir, manifest, vector_index, bm25, db, vectors)

    def close(self) -> None:
        with self._db_lock:
            self._db.close()
        if self._vectors is not None:
            self._vectors.close()

    # ------------------------------------------------------------- searching
    def __len__(self) -> int:
        return int(self.manifest["counts"]["chunks"])

    @property
    def dim(self) -> int:
        return int(self.manifest["dim"])

    @property
    def vector_index(self) -> "VectorIndex | None":
        """The dense index (its ``entry`` is the manifest's "vectors" description)."""
        return self._vectors

    def search_dense(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Top ``k`` rows by cosine similarity to ``query`` (normalised here)."""
        k = min(int(k), len(self))
        if k <= 0:
            return []
        if self._vectors is None:
            raise RuntimeError("this IndexStore was opened without its vector index")
        vector = _normalized(np.asarray(query, dtype=np.float32).reshape(1, -1), self.dim)
        scores, rows = self._vectors.search(vector, k)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def search_lexical(self, tokens: list[str], k: int) -> list[tuple[int, float]]:
        """Top ``k`` rows by BM25 over ``tokens`` (from ``rag.lexical.analyze``); score > 0 only."""
        if self._bm25 is None or not tokens or k <= 0:
            return []
        ids = self._bm25.get_tokens_ids(list(tokens))
        if not ids:
            return []
        scores = np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float64)
        k = min(int(k), scores.shape[0])
        top = np.argpartition(-scores, k - 1)[:k]
        ranked = sorted(((int(r), float(scores[r])) for r in top), key=lambda item: (-item[1], item[0]))
        return [(row, score) for row, score in ranked if score > 0]

    # ------------------------------------------------------------- contents
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._db_lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as err:
                raise IndexCorruptError(f"Reading {self.path / CHUNKS_DB} failed: {err}. {REBUILD_HINT}") from err

    def chunk(self, row: int) -> Chunk:
        found = self.chunks([row])
        return found[0]

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        """Chunks at ``rows``, in that order (IndexError for a row not in the index)."""
        wanted = [int(r) for r in rows]
        if not wanted:
            return []
        by_row: dict[int, Chunk] = {}
        unique = sorted(set(wanted))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            marks = ",".join("?" * len(part))
            for r in self._query(f"SELECT * FROM chunks WHERE row IN ({marks})", part):
                by_row[r["row"]] = _chunk_from_row(r)
        missing = [r for r in wanted if r not in by_row]
        if missing:
            raise IndexError(f"chunk row {missing[0]} is not in the index ({len(self)} chunks)")
        return [by_row[r] for r in wanted]

    def article(self, source: str, ordinal: int) -> Article | None:
        rows = self._query("SELECT * FROM articles WHERE source = ? AND ordinal = ?", (source, int(ordinal)))
        return _article_from_row(rows[0]) if rows else None

    def files(self) -> dict[str, dict]:
        return {source: dict(info) for source, info in self.manifest["files"].items()}

    def list_articles(self) -> list[dict]:
        """One dict per article: source, title, ordinal, kind, n_chunks, origin (by source, then ordinal).

        ``origin`` says where the file came from (see :func:`file_origin`).
        """
        rows = self._query(
            "SELECT source, title, ordinal, kind, n_chunks FROM articles ORDER BY source, ordinal"
        )
        files = self.manifest.get("files", {})
        origins = {src: file_origin(info.get("path", ""), self.path.parent) for src, info in files.items()}
        return [{**dict(r), "origin": origins.get(r["source"], "ingest")} for r in rows]

    def origin(self, source: str) -> str | None:
        """Where the indexed file ``source`` came from; None when it is not indexed."""
        info = self.manifest.get("files", {}).get(source)
        return None if info is None else file_origin(info.get("path", ""), self.path.parent)

    def vocabulary_json(self) -> dict | None:
        path = self.path / VOCABULARY
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise IndexCorruptError(f"Cannot read {path}: {err}. {REBUILD_HINT}") from err
        return data if isinstance(data, dict) else None

    # ------------------------------------------------------------- checking
    def verify(self) -> list[str]:
        """Problems found (checksums, counts across vectors, chunks, BM25, manifest); [] if whole."""
        problems: list[str] = []
        gen_dir = self.path
        try:
            manifest = read_manifest(gen_dir)
        except IndexCorruptError as err:
            return [str(err)]
        for rel, info in manifest["checksums"].items():
            path = gen_dir / rel
            if not path.is_file():
                problems.append(f"{path}: missing")
            elif path.stat().st_size != info["size"]:
                problems.append(f"{path}: size {path.stat().st_size} bytes, manifest says {info['size']}")
            elif _sha256(path) != info["sha256"]:
                problems.append(f"{path}: sha256 checksum mismatch (file changed or damaged)")
        if problems:
            return problems
        counts = manifest["counts"]
        n = counts["chunks"]
        try:
            vectors = np.load(gen_dir / VECTORS, allow_pickle=False, mmap_mode="r")
            if vectors.shape != (n, manifest["dim"]):
                problems.append(f"{gen_dir / VECTORS}: shape {vectors.shape}, manifest says ({n}, {manifest['dim']})")
            from .vectors import VectorStoreError, open_index

            try:
                vector_index = open_index(manifest, gen_dir, self._vector_config, trusted=True)
                try:
                    found = vector_index.count()
                finally:
                    vector_index.close()
                if found != n:
                    where = vector_index.entry.get("collection") or gen_dir / FAISS_INDEX
                    problems.append(f"{where}: {found} vectors, manifest says {n}")
            except VectorStoreError as err:
                problems.append(str(err))
            if manifest.get("bm25"):
                bm25 = _load_bm25(gen_dir / BM25_DIR)
                if int(bm25.scores["num_docs"]) != n:
                    problems.append(f"{gen_dir / BM25_DIR}: {bm25.scores['num_docs']} documents, manifest says {n}")
            elif n:
                problems.append(f"{gen_dir}: the manifest lists {n} chunks but no BM25 index")
            db = _connect_ro(gen_dir / CHUNKS_DB)
            try:
                check = db.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    problems.append(f"{gen_dir / CHUNKS_DB}: integrity check says {check}")
                n_rows, lo, hi = db.execute("SELECT COUNT(*), MIN(row), MAX(row) FROM chunks").fetchone()
                if n_rows != n or (n and (lo, hi) != (0, n - 1)):
                    problems.append(f"{gen_dir / CHUNKS_DB}: {n_rows} chunk rows (rows {lo}..{hi}), manifest says {n}")
                n_articles = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
                if n_articles != counts["articles"]:
                    problems.append(f"{gen_dir / CHUNKS_DB}: {n_articles} articles, manifest says {counts['articles']}")
                db_files = {
                    r["source"]: (r["sha256"], r["n_chunks"])
                    for r in db.execute("SELECT source, sha256, n_chunks FROM files")
                }
                man_files = {s: (i["sha256"], i["n_chunks"]) for s, i in manifest["files"].items()}
                if db_files != man_files:
                    problems.append(f"{gen_dir / CHUNKS_DB}: files table differs from the manifest")
            finally:
                db.close()
        except (OSError, ValueError, KeyError, RuntimeError, sqlite3.Error, IndexCorruptError) as err:
            problems.append(f"{gen_dir}: cannot be loaded: {err}")
        return problems


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
            f"The index at {path.parent} has format version {version}; this version of rag reads "
            f"{FORMAT_VERSION}. {REBUILD_HINT}"
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


def _load_vectors(
    gen_dir: Path, manifest: dict, config: "VectorConfig | None", *, verified: bool
) -> "VectorIndex":
    """The generation's dense index. A FAISS file is parsed only once its checksum is verified:
    an unverified flat index is rebuilt from vectors.npy (cheap), an approximate one is checked."""
    from .vectors import open_index
    from .vectors.factory import manifest_entry

    entry = manifest_entry(manifest)
    trusted = verified
    if not trusted and entry.get("backend", "faiss") == "faiss" and entry.get("type", "flat") != "flat":
        rel = entry.get("file", FAISS_INDEX)
        if _sha256(gen_dir / rel) != manifest["checksums"][rel]["sha256"]:
            raise IndexCorruptError(
                f"Index file {gen_dir / rel} fails its checksum (it was changed or damaged). {REBUILD_HINT}"
            )
        trusted = True
    index = open_index(manifest, gen_dir, config, trusted=trusted)
    n, dim = manifest["counts"]["chunks"], manifest["dim"]
    if index.ntotal != n or getattr(index, "dim", dim) != dim:
        index.close()
        raise IndexCorruptError(
            f"The vector index of {gen_dir} holds {index.ntotal}x{getattr(index, 'dim', dim)} vectors, "
            f"expected {n}x{dim}. {REBUILD_HINT}"
        )
    return index


def _load_bm25(path: Path) -> "bm25s.BM25":
    import bm25s

    return bm25s.BM25.load(str(path), load_corpus=False, mmap=False, show_progress=False)


def _connect_ro(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise IndexCorruptError(f"Index file {path} is missing. {REBUILD_HINT}")
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    db.row_factory = sqlite3.Row
    return db


# --------------------------------------------------------------------------- writing
@dataclass
class _FileEntry:
    source: str
    path: str
    sha256: str
    articles: list[Article]
    chunks: list[Chunk]
    vectors: np.ndarray
    tokens: list[list[str]] | None = None  # BM25 tokens per chunk, computed lazily


@dataclass
class _State:
    files: dict[str, _FileEntry] = field(default_factory=dict)
    vocabulary: dict | None = None


class IndexWriter:
    """Copy-on-write builder of the next generation; one writer at a time (file lock).

    Use as a context manager: ``__enter__`` takes the lock and loads the current generation
    (unless ``rebuild``); nothing is written until :meth:`commit`.
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
    ) -> None:
        from .vectors import VectorConfig

        self.index_dir = Path(index_dir)
        self.vector_config = vectors or VectorConfig()
        self.shape = {k: shape[k] for k in shape}
        self.model_id = model_id
        self.dim = int(dim)
        self.rebuild = rebuild
        self.lock_timeout = lock_timeout
        self.is_new = True  # True when not starting from a committed generation
        self._base_generation: int | None = None
        self._state = _State()
        self._lock: Any = None
        self._committed: int | None = None

    # ------------------------------------------------------------- lock and base
    def __enter__(self) -> "IndexWriter":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Take the writer lock, clean leftovers of crashed writers, load the current generation."""
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
            self._clean_leftovers()
            self._load_base()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _require_open(self) -> None:
        if self._lock is None:
            self.open()

    def _clean_leftovers(self) -> None:
        for path in self.index_dir.iterdir():
            if path.name.startswith(TMP_PREFIX) or path.name.startswith(f"{CURRENT_FILE}.tmp"):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        self._drop_stray_generations()

    def _drop_stray_generations(self) -> None:
        """After a crash: drop generations never committed (newer than CURRENT) or left by a commit."""
        try:
            current = current_generation(self.index_dir)
        except IndexCorruptError:
            return
        if current is None:
            return
        numbers = sorted(
            int(p.name[len(GEN_PREFIX) :])
            for p in self.index_dir.glob(f"{GEN_PREFIX}*")
            if p.name[len(GEN_PREFIX) :].isdigit()
        )
        older = [n for n in numbers if n < current]
        keep = {current, older[-1] if older else None}
        if set(numbers) - keep:
            self._remove_old(keep=keep)

    def _load_base(self) -> None:
        if self.rebuild:
            return
        generation = current_generation(self.index_dir)
        if generation is None:
            return
        expect = {**self.shape, "model_id": self.model_id, "dim": self.dim}
        store = IndexStore._open_dir(
            generation_dir(self.index_dir, generation), generation, expect=expect, full_check=True,
            load_vectors=False,
        )
        try:
            gen_dir = store.path
            # Memory-mapped: the unchanged files' vectors are copied straight into the next generation.
            vectors = np.load(gen_dir / VECTORS, allow_pickle=False, mmap_mode="r")
            db = store._db
            tokens_ok = store.manifest.get("analyzer") == _analyzer_signature()
            for f in db.execute("SELECT * FROM files ORDER BY source"):
                source = f["source"]
                articles = [
                    _article_from_row(r)
                    for r in db.execute("SELECT * FROM articles WHERE source = ? ORDER BY ordinal", (source,))
                ]
                rows = db.execute("SELECT * FROM chunks WHERE source = ? ORDER BY row", (source,)).fetchall()
                chunks = [_chunk_from_row(r) for r in rows]
                index = [r["row"] for r in rows]
                tokens = [json.loads(r["tokens"]) for r in rows] if tokens_ok else None
                contiguous = bool(index) and index == list(range(index[0], index[0] + len(index)))
                own = vectors[index[0] : index[0] + len(index)] if contiguous else np.array(vectors[index])
                self._state.files[source] = _FileEntry(source, f["path"], f["sha256"], articles, chunks, own, tokens)
            self._state.vocabulary = store.vocabulary_json()
        except (OSError, ValueError, KeyError, sqlite3.Error) as err:
            raise IndexCorruptError(f"Cannot read index generation {store.path}: {err}. {REBUILD_HINT}") from err
        finally:
            store.close()
        self._base_generation = generation
        self.is_new = False

    # ------------------------------------------------------------- editing
    def has_file(self, source: str, sha256: str) -> bool:
        """True when ``source`` is indexed with these exact bytes (the caller can skip it)."""
        self._require_open()
        entry = self._state.files.get(source)
        return entry is not None and entry.sha256 == sha256

    def knows_source(self, source: str) -> bool:
        self._require_open()
        return source in self._state.files

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
        array = _normalized(vectors, self.dim) if len(chunks) else np.zeros((0, self.dim), np.float32)
        if array.shape[0] != len(chunks):
            raise ValueError(f"{source}: {len(chunks)} chunks but {array.shape[0]} vectors")
        strays = {c.source for c in chunks} | {a.source for a in articles}
        if strays - {source}:
            raise ValueError(f"{source}: chunks/articles of other sources {sorted(strays - {source})}")
        self._state.files[source] = _FileEntry(source, str(path), sha256, list(articles), list(chunks), array)

    def remove_file(self, source: str) -> bool:
        self._require_open()
        return self._state.files.pop(source, None) is not None

    def prune_missing(self, roots: Sequence[Path], keep: set[str]) -> list[str]:
        """Drop files recorded under the folders ``roots`` whose file no longer exists on disk.

        Sources in ``keep`` (seen in this ingest) stay. Returns the removed sources, sorted.
        """
        self._require_open()
        folders = [Path(r).expanduser().resolve() for r in roots]
        gone: list[str] = []
        for source, entry in sorted(self._state.files.items()):
            path = Path(entry.path)
            if source in keep or path.exists():
                continue
            if any(path == f or f in path.parents for f in folders):
                gone.append(source)
        for source in gone:
            del self._state.files[source]
        return gone

    def set_vocabulary_json(self, data: dict) -> None:
        """Store an opaque JSON blob (kept from the previous generation when not set)."""
        self._require_open()
        json.dumps(data)  # fail now, not in commit, if it is not JSON
        self._state.vocabulary = data

    def sources(self) -> list[str]:
        self._require_open()
        return sorted(self._state.files)

    def iter_texts(self) -> Iterator[str]:
        """Title and text of every article the next generation will hold."""
        self._require_open()
        for source in sorted(self._state.files):
            for article in self._state.files[source].articles:
                yield f"{article.title}\n{article.text}" if article.title else article.text

    # ------------------------------------------------------------- committing
    def commit(self) -> int:
        """Write the next generation and make it current; returns its number."""
        self._require_open()
        if self._committed is not None:
            raise RuntimeError("this IndexWriter has already committed; open a new one")
        generation = self._next_generation()
        tmp = self.index_dir / f"{TMP_PREFIX}{GEN_PREFIX}{generation:06d}-{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir()
            self._write_generation(tmp, generation)
            final = generation_dir(self.index_dir, generation)
            os.rename(tmp, final)
            _fsync_path(self.index_dir)
            pointer = self.index_dir / f"{CURRENT_FILE}.tmp-{uuid.uuid4().hex[:8]}"
            with open(pointer, "w", encoding="ascii") as f:
                f.write(f"{final.name}\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(pointer, self.index_dir / CURRENT_FILE)
            _fsync_path(self.index_dir)
        except (OSError, sqlite3.Error) as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise _unwritable(self.index_dir, err) from err
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._committed = generation
        self._remove_old(keep={generation, self._base_generation})
        return generation

    def _next_generation(self) -> int:
        """One past every generation seen (also orphans of crashed commits and a damaged CURRENT)."""
        numbers = [self._base_generation or 0]
        for path in self.index_dir.glob(f"{GEN_PREFIX}*"):
            suffix = path.name[len(GEN_PREFIX) :]
            if suffix.isdigit():
                numbers.append(int(suffix))
        try:
            numbers.append(current_generation(self.index_dir) or 0)
        except IndexCorruptError:
            pass
        return max(numbers) + 1

    def _write_generation(self, tmp: Path, generation: int) -> None:
        from .lexical import analyze
        from .vectors import build_index

        entries = [self._state.files[s] for s in sorted(self._state.files)]
        chunks = [c for e in entries for c in e.chunks]
        for entry in entries:
            if entry.tokens is None:
                entry.tokens = [analyze(c.indexed_text) for c in entry.chunks]
        tokens = [t for e in entries for t in (e.tokens or [])]
        vectors = self._write_vectors(tmp / VECTORS, entries)
        vector_index, vector_entry = build_index(
            self.vector_config, vectors, tmp, index_dir=self.index_dir, generation=generation
        )
        vector_index.close()
        del vectors
        self._write_sqlite(tmp / CHUNKS_DB, entries, tokens)
        has_bm25 = any(tokens)
        if has_bm25:
            import bm25s

            bm25 = bm25s.BM25()
            bm25.index(tokens, show_progress=False)
            bm25.save(str(tmp / BM25_DIR), show_progress=False)
        (tmp / VOCABULARY).write_text(
            json.dumps(self._state.vocabulary, ensure_ascii=False), encoding="utf-8"
        )

        checksums: dict[str, dict] = {}
        for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
            _fsync_path(path)
            checksums[path.relative_to(tmp).as_posix()] = {"sha256": _sha256(path), "size": path.stat().st_size}
        manifest = {
            "format_version": FORMAT_VERSION,
            "generation": generation,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "shape": self.shape,
            "model_id": self.model_id,
            "dim": self.dim,
            "analyzer": _analyzer_signature(),
            "bm25": has_bm25,
            "vectors": vector_entry,
            "files": {
                e.source: {"sha256": e.sha256, "path": e.path, "n_articles": len(e.articles), "n_chunks": len(e.chunks)}
                for e in entries
            },
            "counts": {
                "files": len(entries),
                "articles": sum(len(e.articles) for e in entries),
                "chunks": len(chunks),
            },
            "checksums": checksums,
        }
        manifest["manifest_sha256"] = _manifest_digest(manifest)
        with open(tmp / MANIFEST, "w", encoding="utf-8") as f:
            json.dump(manifest, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        if has_bm25:
            _fsync_path(tmp / BM25_DIR)
        _fsync_path(tmp)

    def _write_vectors(self, path: Path, entries: list[_FileEntry]) -> np.ndarray:
        """Stream every file's vectors into ``path`` (.npy) and return it memory-mapped, read-only."""
        n = sum(len(e.chunks) for e in entries)
        if n == 0:
            with open(path, "wb") as f:
                np.save(f, np.zeros((0, self.dim), np.float32), allow_pickle=False)
            return np.zeros((0, self.dim), np.float32)
        out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, self.dim))
        row = 0
        for e in entries:
            out[row : row + len(e.chunks)] = e.vectors
            row += len(e.chunks)
        out.flush()
        del out
        return np.load(path, allow_pickle=False, mmap_mode="r")

    @staticmethod
    def _write_sqlite(path: Path, entries: list[_FileEntry], tokens: list[list[str]]) -> None:
        db = sqlite3.connect(path)
        try:
            db.executescript(
                """
                CREATE TABLE files (source TEXT PRIMARY KEY, path TEXT, sha256 TEXT,
                                    n_articles INTEGER, n_chunks INTEGER);
                CREATE TABLE articles (source TEXT, ordinal INTEGER, title TEXT, text TEXT, byline TEXT,
                                       origin TEXT, kind TEXT, sections TEXT, n_chunks INTEGER,
                                       PRIMARY KEY (source, ordinal));
                CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT, source TEXT,
                                     article_ordinal INTEGER, title TEXT, section TEXT, text TEXT,
                                     start INTEGER, "end" INTEGER, n_tokens INTEGER, tokens TEXT);
                CREATE INDEX chunks_source ON chunks (source);
                """
            )
            row = 0
            for e in entries:
                db.execute(
                    "INSERT INTO files VALUES (?, ?, ?, ?, ?)",
                    (e.source, e.path, e.sha256, len(e.articles), len(e.chunks)),
                )
                per_article: dict[int, int] = {}
                for c in e.chunks:
                    per_article[c.article_ordinal] = per_article.get(c.article_ordinal, 0) + 1
                db.executemany(
                    "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            a.source, a.ordinal, a.title, a.text, a.byline, a.origin, a.kind,
                            json.dumps([[s.heading, s.start] for s in a.sections], ensure_ascii=False),
                            per_article.get(a.ordinal, 0),
                        )
                        for a in e.articles
                    ],
                )
                db.executemany(
                    "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            row + i, c.chunk_id, c.source, c.article_ordinal, c.title, c.section, c.text,
                            c.start, c.end, c.n_tokens, json.dumps(tokens[row + i], ensure_ascii=False),
                        )
                        for i, c in enumerate(e.chunks)
                    ],
                )
                row += len(e.chunks)
            db.commit()
        finally:
            db.close()

    def _remove_old(self, keep: set[int | None]) -> None:
        """Drop generations other than the new one and the one it replaced (best effort),
        and the server-side collections (Milvus) that no kept generation names."""
        from .vectors import drop_unused

        kept: list[dict] = []
        remote = self.vector_config.kind != "faiss"
        for path in self.index_dir.glob(f"{GEN_PREFIX}*"):
            suffix = path.name[len(GEN_PREFIX) :]
            if not suffix.isdigit():
                continue
            try:
                manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                manifest = {}
            remote = remote or (manifest.get("vectors") or {}).get("backend", "faiss") != "faiss"
            if int(suffix) in keep:
                kept.append(manifest)
            else:
                shutil.rmtree(path, ignore_errors=True)
        if remote:
            drop_unused(self.index_dir, kept, self.vector_config)


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
