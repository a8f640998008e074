"""One immutable index segment: the chunks of some files, their vectors, BM25 postings, vocabulary.

Layout::

    index_dir/segments/seg-000012/segment.json    counts, files, vector entry, sha256 + size of
                                                  every file below (itself checked by the manifest)
                                  vectors.npy     float32, L2-normalised, row i == chunk row i
                                  faiss.index     FAISS index (flat when small, approximate when large;
                                                  absent with Milvus, which holds one collection per index)
                                  chunks.sqlite   tables files, articles, chunks (row i == BM25 doc i),
                                                  each chunk with its BM25 tokens (merges reuse them)
                                  bm25/           bm25s index over the tokens
                                  vocabulary.json opaque blob of the cross-lingual module (these texts)

A segment is written once, in a temp dir renamed into place, and never changed: a generation
(see :mod:`rag.store`) lists segments and the rows deleted from them (tombstones). Search over a
segment takes BM25 term weights from outside (:meth:`Segment.lexical_scores`), so that scores use
document frequencies of the whole index, not of one segment.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

from .errors import IndexCorruptError
from .models import Article, Chunk, Section

if TYPE_CHECKING:
    from .vectors import VectorConfig, VectorIndex

SEGMENTS_DIR = "segments"
SEG_PREFIX = "seg-"
SEGMENT_MANIFEST = "segment.json"
VECTORS = "vectors.npy"
CHUNKS_DB = "chunks.sqlite"
BM25_DIR = "bm25"
VOCABULARY = "vocabulary.json"
SEGMENT_FORMAT = 1
REBUILD_HINT = "Rebuild it with: rag ingest --rebuild"
BM25_K1, BM25_B = 1.5, 0.75  # bm25s defaults (method "lucene"), written into every segment


def segment_name(number: int) -> str:
    return f"{SEG_PREFIX}{int(number):06d}"


def segment_number(name: str) -> int:
    return int(name[len(SEG_PREFIX) :])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (directories: makes renames inside it durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def idf(df: np.ndarray | float, n_docs: float) -> np.ndarray:
    """BM25 inverse document frequency of the Lucene variant (what bm25s stores per posting)."""
    df = np.asarray(df, dtype=np.float64)
    return np.log1p((n_docs - df + 0.5) / (df + 0.5))


def normalized(vectors: np.ndarray, dim: int) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != dim:
        raise ValueError(f"vectors must have shape (n, {dim}), got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("vectors contain NaN or infinite values")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(array / norms, dtype=np.float32)


@dataclass
class FileRows:
    """One file's contribution to a segment: ``vectors[i]`` embeds ``chunks[i]``."""

    source: str
    path: str
    sha256: str
    articles: list[Article]
    chunks: list[Chunk]
    vectors: np.ndarray
    tokens: list[list[str]] | None = None  # BM25 tokens per chunk (computed when None)


# --------------------------------------------------------------------------- writing
def write_segment(
    path: Path,
    files: Iterable[FileRows],
    *,
    n_chunks: int,
    dim: int,
    vector_config: "VectorConfig",
    vocabulary: dict | None,
    analyzer: str,
    name: str,
) -> dict:
    """Write the files (streamed, one at a time) as a segment in the empty dir ``path``; fsynced.

    Returns the segment manifest (also written as ``segment.json``). ``n_chunks`` must be the
    total number of chunks the files hold (the vectors file is laid out before they arrive).
    """
    from .lexical import analyze

    path.mkdir(parents=True, exist_ok=True)
    vectors = (
        np.lib.format.open_memmap(path / VECTORS, mode="w+", dtype=np.float32, shape=(n_chunks, dim))
        if n_chunks
        else None
    )
    db = sqlite3.connect(path / CHUNKS_DB)
    tokens_all: list[list[str]] = []
    files_info: dict[str, dict] = {}
    n_articles = 0
    try:
        _create_tables(db)
        row = 0
        for f in files:
            tokens = f.tokens if f.tokens is not None else [analyze(c.indexed_text) for c in f.chunks]
            if row + len(f.chunks) > n_chunks:
                raise ValueError(f"segment {name}: more chunks than the {n_chunks} announced")
            if len(f.chunks):
                vectors[row : row + len(f.chunks)] = f.vectors
            _insert_file(db, f, row, tokens)
            tokens_all.extend(tokens)
            files_info[f.source] = {
                "sha256": f.sha256, "path": f.path, "n_articles": len(f.articles), "n_chunks": len(f.chunks),
            }
            n_articles += len(f.articles)
            row += len(f.chunks)
        if row != n_chunks:
            raise ValueError(f"segment {name}: {row} chunks written, {n_chunks} announced")
        db.commit()
    finally:
        db.close()
    if vectors is None:
        with open(path / VECTORS, "wb") as out:
            np.save(out, np.zeros((0, dim), np.float32), allow_pickle=False)
        vector_entry: dict = {"backend": vector_config.kind, "type": "none"}
    else:
        vectors.flush()
        del vectors
        vector_entry = _write_vector_index(path, dim, vector_config)
    has_bm25 = any(tokens_all)
    if has_bm25:
        import bm25s

        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        bm25.index(tokens_all, show_progress=False)
        bm25.save(str(path / BM25_DIR), show_progress=False)
    del tokens_all
    (path / VOCABULARY).write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")

    checksums: dict[str, dict] = {}
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        fsync_path(file)
        checksums[file.relative_to(path).as_posix()] = {"sha256": sha256_file(file), "size": file.stat().st_size}
    info = {
        "format": SEGMENT_FORMAT,
        "name": name,
        "dim": dim,
        "analyzer": analyzer,
        "bm25": has_bm25,
        "vectors": vector_entry,
        "counts": {"files": len(files_info), "articles": n_articles, "chunks": n_chunks},
        "files": files_info,
        "checksums": checksums,
    }
    with open(path / SEGMENT_MANIFEST, "w", encoding="utf-8") as out:
        out.write(json.dumps(info, ensure_ascii=False, separators=(",", ":")))  # one shot: the C encoder
        out.flush()
        os.fsync(out.fileno())
    if has_bm25:
        fsync_path(path / BM25_DIR)
    fsync_path(path)
    return info


def _write_vector_index(path: Path, dim: int, config: "VectorConfig") -> dict:
    """FAISS: the segment's own index file (flat when small, approximate when large). Milvus keeps
    one collection for the whole index, filled by the writer, so the segment has no index file."""
    if config.kind != "faiss":
        return {"backend": config.kind, "type": "collection"}
    from .vectors.faiss_index import FaissIndex

    vectors = np.load(path / VECTORS, allow_pickle=False, mmap_mode="r")
    index = FaissIndex.build(vectors, config)
    index.save(path / index.entry["file"])
    del vectors
    return index.entry


def _create_tables(db: sqlite3.Connection) -> None:
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


def _insert_file(db: sqlite3.Connection, f: FileRows, row: int, tokens: list[list[str]]) -> None:
    db.execute(
        "INSERT INTO files VALUES (?, ?, ?, ?, ?)", (f.source, f.path, f.sha256, len(f.articles), len(f.chunks))
    )
    per_article: dict[int, int] = {}
    for c in f.chunks:
        per_article[c.article_ordinal] = per_article.get(c.article_ordinal, 0) + 1
    db.executemany(
        "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                a.source, a.ordinal, a.title, a.text, a.byline, a.origin, a.kind,
                json.dumps([[s.heading, s.start] for s in a.sections], ensure_ascii=False),
                per_article.get(a.ordinal, 0),
            )
            for a in f.articles
        ],
    )
    db.executemany(
        "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                row + i, c.chunk_id, c.source, c.article_ordinal, c.title, c.section, c.text,
                c.start, c.end, c.n_tokens, json.dumps(tokens[i], ensure_ascii=False),
            )
            for i, c in enumerate(f.chunks)
        ],
    )


def article_from_row(row: sqlite3.Row) -> Article:
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


def chunk_from_row(row: sqlite3.Row) -> Chunk:
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
def read_segment_manifest(path: Path, entry: dict | None = None) -> dict:
    """``segment.json``, checked against the sha256/size the generation manifest recorded (``entry``)."""
    file = Path(path) / SEGMENT_MANIFEST
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise IndexCorruptError(f"Index file {file} is missing. {REBUILD_HINT}") from None
    except OSError as err:
        raise IndexCorruptError(f"Cannot read {file}: {err}. {REBUILD_HINT}") from err
    if entry is not None and hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise IndexCorruptError(f"Index file {file} fails its checksum (changed or damaged). {REBUILD_HINT}")
    try:
        info = json.loads(data.decode("utf-8"))
    except ValueError as err:
        raise IndexCorruptError(f"Index file {file} is damaged ({err}). {REBUILD_HINT}") from err
    if not isinstance(info, dict) or info.get("format") != SEGMENT_FORMAT:
        raise IndexCorruptError(f"Index file {file} is not a segment manifest of format {SEGMENT_FORMAT}. {REBUILD_HINT}")
    return info


def check_segment_files(path: Path, entry: dict, *, full_check: bool) -> dict:
    """The segment manifest of ``entry``, after checking every file it lists: present, of its
    recorded size, and (``full_check``) of its recorded sha256. IndexCorruptError naming the file."""
    info = read_segment_manifest(path, entry)
    if info.get("name") != entry.get("name"):
        raise IndexCorruptError(f"{path / SEGMENT_MANIFEST} names segment {info.get('name')}. {REBUILD_HINT}")
    for rel, meta in info["checksums"].items():
        file = path / rel
        try:
            size = file.stat().st_size
        except OSError:
            raise IndexCorruptError(f"Index file {file} is missing. {REBUILD_HINT}") from None
        if size != meta["size"]:
            raise IndexCorruptError(
                f"Index file {file} is truncated or damaged ({size} bytes, expected {meta['size']}). {REBUILD_HINT}"
            )
        if full_check and sha256_file(file) != meta["sha256"]:
            raise IndexCorruptError(f"Index file {file} fails its checksum (it was changed or damaged). {REBUILD_HINT}")
    return info


def connect_ro(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise IndexCorruptError(f"Index file {path} is missing. {REBUILD_HINT}")
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    db.row_factory = sqlite3.Row
    return db


@dataclass(frozen=True)
class LexicalIndex:
    """A segment's BM25 postings as bm25s saved them (``bm25/``): the term vocabulary and the
    per-posting scores in compressed sparse columns (``indptr`` by term id, ``indices`` the chunk
    rows, ``data`` the scores). bm25s builds and writes them at ingest; reading them takes numpy
    and json alone, so a question never imports bm25s (nor the scipy and numba it brings: half a
    second of a cold ``rag ask``)."""

    vocab: dict[str, int]
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    num_docs: int


def load_bm25(path: Path, *, mmap: bool = False) -> LexicalIndex:
    """The postings bm25s saved in ``path`` (``params``/``vocab.index.json``, ``*.csc.index.npy``)."""
    params = json.loads((path / "params.index.json").read_text(encoding="utf-8"))
    vocab = json.loads((path / "vocab.index.json").read_text(encoding="utf-8"))
    if not isinstance(params, dict) or not isinstance(vocab, dict):
        raise ValueError(f"{path.name}: params.index.json and vocab.index.json must hold JSON objects")
    mode = "r" if mmap else None
    arrays = {name: np.load(path / f"{name}.csc.index.npy", allow_pickle=False, mmap_mode=mode)
              for name in ("data", "indices", "indptr")}
    num_docs = params.get("num_docs")
    if not isinstance(num_docs, int) or isinstance(num_docs, bool):
        raise ValueError(f"{path.name}/params.index.json: num_docs is {num_docs!r}, not a count of documents")
    return LexicalIndex(vocab, arrays["data"], arrays["indices"], np.asarray(arrays["indptr"]), num_docs)


class Segment:
    """A read-only, thread-safe view of one segment (shared by the generations that list it)."""

    def __init__(self, path: Path, info: dict, vectors: "VectorIndex | None", bm25: LexicalIndex | None,
                 db: sqlite3.Connection, verified: bool) -> None:
        self.path = path
        self.info = info
        self.name: str = info["name"]
        self.number = segment_number(self.name)
        self.n: int = int(info["counts"]["chunks"])
        self.verified = verified
        self._vectors = vectors
        self._bm25 = bm25
        self._db = db
        self._db_lock = threading.Lock()
        self._refs = 0  # open stores sharing this segment (closed when the last one lets go)
        self.info_sha256: str | None = None
        self._vocabulary: dict | None = None  # parsed vocabulary.json ({} when it holds none)
        if bm25 is not None:
            self._vocab: dict[str, int] = bm25.vocab
            self._indptr = bm25.indptr
            self._indices = bm25.indices
            self._data = bm25.data

    @classmethod
    def open(
        cls,
        path: Path,
        entry: dict,
        *,
        full_check: bool,
        vector_config: "VectorConfig | None",
        load_vectors: bool = True,
        load_lexical: bool = True,
    ) -> "Segment":
        """Open the segment ``entry`` (from a generation manifest) names; sizes always checked,
        sha256 of every file when ``full_check`` (an approximate FAISS file is checked anyway)."""
        info = check_segment_files(path, entry, full_check=full_check)
        n = int(info["counts"]["chunks"])
        vector_index = None
        try:
            if load_vectors and n and info["vectors"].get("backend", "faiss") == "faiss":
                vector_index = _load_faiss(path, info, trusted=full_check)
            big = sum(m["size"] for rel, m in info["checksums"].items() if rel.startswith(BM25_DIR)) > (64 << 20)
            bm25 = load_bm25(path / BM25_DIR, mmap=big) if info.get("bm25") and load_lexical else None
            db = connect_ro(path / CHUNKS_DB)
            rows = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        except IndexCorruptError:
            raise
        except (OSError, ValueError, KeyError, RuntimeError, sqlite3.Error, json.JSONDecodeError) as err:
            raise IndexCorruptError(f"Index segment {path} cannot be loaded: {err}. {REBUILD_HINT}") from err
        if rows != n or (bm25 is not None and bm25.num_docs != n) or (
            vector_index is not None and vector_index.ntotal != n
        ):
            db.close()
            raise IndexCorruptError(
                f"Index segment {path} is inconsistent ({n} chunks announced, {rows} chunk rows). {REBUILD_HINT}"
            )
        return cls(path, info, vector_index, bm25, db, verified=full_check)

    def acquire(self) -> None:
        with self._db_lock:
            self._refs += 1

    def release(self) -> None:
        with self._db_lock:
            self._refs -= 1
            last = self._refs <= 0
        if last:
            self.close()

    def close(self) -> None:
        with self._db_lock:
            self._db.close()
        if self._vectors is not None:
            self._vectors.close()

    # ------------------------------------------------------------- searching
    def search_dense(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, local rows)`` of the top ``k`` by inner product (``query``: one normalised row)."""
        k = min(int(k), self.n)
        if k <= 0 or self._vectors is None:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores, rows = self._vectors.search(query, k)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep].astype(np.int64)

    def term_ids(self, tokens: Sequence[str]) -> list[int | None]:
        """This segment's BM25 term id of each token (None: the segment never saw it)."""
        if self._bm25 is None:
            return [None] * len(tokens)
        limit = len(self._indptr) - 1
        ids: list[int | None] = []
        for t in tokens:
            i = self._vocab.get(t)
            ids.append(i if i is not None and i < limit else None)
        return ids

    def doc_freqs(self, ids: Sequence[int | None]) -> np.ndarray:
        return np.array([0 if i is None else int(self._indptr[i + 1] - self._indptr[i]) for i in ids], np.float64)

    def lexical_scores(self, ids: Sequence[int | None], weights: Sequence[float]) -> np.ndarray:
        """BM25 of every row: each term's stored posting scores times its weight, summed.

        The stored scores carry this segment's idf; the caller's weight (global idf / segment idf)
        turns them into scores under the document frequencies of the whole index."""
        scores = np.zeros(self.n, dtype=np.float32)
        for i, w in zip(ids, weights):
            if i is None or w == 0:
                continue
            lo, hi = int(self._indptr[i]), int(self._indptr[i + 1])
            scores[self._indices[lo:hi]] += np.float32(w) * self._data[lo:hi]
        return scores

    # ------------------------------------------------------------- contents
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._db_lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as err:
                raise IndexCorruptError(f"Reading {self.path / CHUNKS_DB} failed: {err}. {REBUILD_HINT}") from err

    def chunks(self, rows: Sequence[int]) -> dict[int, Chunk]:
        found: dict[int, Chunk] = {}
        unique = sorted({int(r) for r in rows})
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            marks = ",".join("?" * len(part))
            for r in self.query(f"SELECT * FROM chunks WHERE row IN ({marks})", part):
                found[r["row"]] = chunk_from_row(r)
        return found

    def rows_of(self, source: str) -> list[int]:
        return [r["row"] for r in self.query("SELECT row FROM chunks WHERE source = ? ORDER BY row", (source,))]

    def article(self, source: str, ordinal: int) -> Article | None:
        rows = self.query("SELECT * FROM articles WHERE source = ? AND ordinal = ?", (source, int(ordinal)))
        return article_from_row(rows[0]) if rows else None

    def vocabulary_json(self) -> dict | None:
        """The segment's vocabulary blob (read once: the segment never changes)."""
        if self._vocabulary is not None:
            return self._vocabulary or None
        file = self.path / VOCABULARY
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise IndexCorruptError(f"Cannot read {file}: {err}. {REBUILD_HINT}") from err
        self._vocabulary = data if isinstance(data, dict) else {}
        return self._vocabulary or None

    # ------------------------------------------------------------- checking
    def verify(self, vector_config: "VectorConfig | None") -> list[str]:
        """Problems of this segment (checksums, counts across vectors, chunks, BM25); [] if whole."""
        problems: list[str] = []
        try:
            info = read_segment_manifest(self.path)
        except IndexCorruptError as err:
            return [str(err)]
        for rel, meta in info["checksums"].items():
            file = self.path / rel
            if not file.is_file():
                problems.append(f"{file}: missing")
            elif file.stat().st_size != meta["size"]:
                problems.append(f"{file}: size {file.stat().st_size} bytes, segment.json says {meta['size']}")
            elif sha256_file(file) != meta["sha256"]:
                problems.append(f"{file}: sha256 checksum mismatch (file changed or damaged)")
        if problems:
            return problems
        n, dim = self.n, int(info["dim"])
        try:
            vectors = np.load(self.path / VECTORS, allow_pickle=False, mmap_mode="r")
            if vectors.shape != (n, dim):
                problems.append(f"{self.path / VECTORS}: shape {vectors.shape}, segment.json says ({n}, {dim})")
            if n and info["vectors"].get("backend", "faiss") == "faiss":
                index = _load_faiss(self.path, info, trusted=True)
                if index.ntotal != n:
                    problems.append(f"{self.path / info['vectors']['file']}: {index.ntotal} vectors, segment says {n}")
                index.close()
            if info.get("bm25"):
                bm25 = load_bm25(self.path / BM25_DIR)
                if bm25.num_docs != n:
                    problems.append(f"{self.path / BM25_DIR}: {bm25.num_docs} documents, segment says {n}")
            elif n:
                problems.append(f"{self.path}: {n} chunks but no BM25 index")
            db = connect_ro(self.path / CHUNKS_DB)
            try:
                check = db.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    problems.append(f"{self.path / CHUNKS_DB}: integrity check says {check}")
                n_rows, lo, hi = db.execute("SELECT COUNT(*), MIN(row), MAX(row) FROM chunks").fetchone()
                if n_rows != n or (n and (lo, hi) != (0, n - 1)):
                    problems.append(f"{self.path / CHUNKS_DB}: {n_rows} chunk rows (rows {lo}..{hi}), segment says {n}")
                db_files = {
                    r["source"]: (r["sha256"], r["n_chunks"])
                    for r in db.execute("SELECT source, sha256, n_chunks FROM files")
                }
                seg_files = {s: (i["sha256"], i["n_chunks"]) for s, i in info["files"].items()}
                if db_files != seg_files:
                    problems.append(f"{self.path / CHUNKS_DB}: files table differs from segment.json")
            finally:
                db.close()
        except (OSError, ValueError, KeyError, RuntimeError, sqlite3.Error, IndexCorruptError) as err:
            problems.append(f"{self.path}: cannot be loaded: {err}")
        return problems


def _load_faiss(path: Path, info: dict, *, trusted: bool) -> "VectorIndex":
    """The segment's FAISS index. Its file is parsed only once its checksum is verified: an
    unverified flat index is rebuilt from vectors.npy (cheap), an approximate one is checked."""
    from .vectors.faiss_index import FaissIndex

    entry = info["vectors"]
    if not trusted and entry.get("type", "flat") != "flat":
        rel = entry.get("file", "faiss.index")
        if sha256_file(path / rel) != info["checksums"][rel]["sha256"]:
            raise IndexCorruptError(f"Index file {path / rel} fails its checksum (it was changed or damaged). {REBUILD_HINT}")
        trusted = True
    return FaissIndex.load(path, entry, path / VECTORS, trusted=trusted)


def idf_weights(n_docs: int, global_df: np.ndarray, segment_df: np.ndarray, n_segment: int) -> np.ndarray:
    """Per-term factor turning a segment's stored BM25 scores into whole-index scores."""
    weights = np.zeros(len(global_df), dtype=np.float64)
    present = segment_df > 0
    if present.any():
        weights[present] = idf(global_df[present], n_docs) / idf(segment_df[present], n_segment)
    return weights

