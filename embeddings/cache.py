"""On-disk embedding cache (SQLite) and a backend wrapper that embeds only what it misses."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from .base import (
    EmbeddingBackend,
    EmbeddingError,
    Progress,
    advance,
    check_batch_size,
    check_texts,
)

CACHE_FILE = "embeddings.sqlite3"
QUERY, PASSAGE = "query", "passage"
_SQL_VARS = 500  # keys per SELECT ... IN (...), well under SQLite's parameter limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model_id TEXT NOT NULL,
    kind     TEXT NOT NULL,
    sha256   BLOB NOT NULL,
    vector   BLOB NOT NULL,
    PRIMARY KEY (model_id, kind, sha256)
) WITHOUT ROWID
"""


def text_key(text: str) -> bytes:
    """SHA-256 of the text's UTF-8 bytes (lone surrogates kept, so every str has a key)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class EmbeddingCache:
    """Vectors keyed by (model id, SHA-256 of the text, ``query``/``passage``) in one SQLite file.

    Vectors are stored as raw float32 bytes and read back with ``np.frombuffer``. The database
    runs in WAL mode, so readers in other processes are never blocked; each write is one
    transaction. One object may be shared by threads. A file that is not a readable database
    is moved aside (with a warning) and a fresh one started: a cache can always be rebuilt.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise EmbeddingError(f"cannot create the embedding cache folder {self.path.parent}: {err}") from err
        self._lock = threading.Lock()
        try:
            self._conn = self._open()
        except sqlite3.OperationalError as err:  # locked, read-only, no permission: not damage
            raise EmbeddingError(f"cannot open the embedding cache {self.path}: {err}") from err
        except sqlite3.DatabaseError as err:  # not a database: damaged, so start over
            aside = self.path.with_name(f"{self.path.name}.broken-{int(time.time())}")
            warnings.warn(
                f"embedding cache {self.path} is unreadable ({err}); moved it to {aside} and started a new one",
                RuntimeWarning,
                stacklevel=2,
            )
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
            self._conn = self._open()

    @classmethod
    def in_dir(cls, cache_dir: Path) -> "EmbeddingCache":
        """The cache file in ``cache_dir``."""
        return cls(Path(cache_dir) / CACHE_FILE)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def get_many(self, model_id: str, kind: str, texts: Sequence[str], dim: int) -> list[np.ndarray | None]:
        """The cached vector of each text, or None where there is none (or it has the wrong size)."""
        keys = [text_key(t) for t in texts]
        found: dict[bytes, bytes] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), _SQL_VARS):
                part = unique[start : start + _SQL_VARS]
                rows = self._conn.execute(
                    "SELECT sha256, vector FROM vectors WHERE model_id = ? AND kind = ? "
                    f"AND sha256 IN ({','.join('?' * len(part))})",
                    (model_id, kind, *part),
                ).fetchall()
                found.update(rows)
        out: list[np.ndarray | None] = []
        for key in keys:
            blob = found.get(key)
            ok = blob is not None and len(blob) == dim * 4
            out.append(np.frombuffer(blob, dtype=np.float32) if ok else None)
        return out

    def put_many(self, model_id: str, kind: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store one vector per text, in one transaction (existing entries are replaced)."""
        array = np.ascontiguousarray(vectors, dtype=np.float32)
        if array.ndim != 2 or len(array) != len(texts):
            raise EmbeddingError(f"put_many: {len(texts)} texts but vectors of shape {array.shape}")
        rows = [(model_id, kind, text_key(t), array[i].tobytes()) for i, t in enumerate(texts)]
        with self._lock:
            with _transaction(self._conn):
                self._conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)

    def count(self, model_id: str | None = None) -> int:
        """Number of cached vectors (for one model id, or all)."""
        with self._lock:
            if model_id is None:
                return self._conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
            return self._conn.execute("SELECT COUNT(*) FROM vectors WHERE model_id = ?", (model_id,)).fetchone()[0]

    def clear(self, model_id: str | None = None) -> None:
        """Forget every vector (of one model id, or all)."""
        with self._lock, _transaction(self._conn):
            if model_id is None:
                self._conn.execute("DELETE FROM vectors")
            else:
                self._conn.execute("DELETE FROM vectors WHERE model_id = ?", (model_id,))

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "EmbeddingCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")


class CachedBackend(EmbeddingBackend):
    """Any backend behind an :class:`EmbeddingCache`: only texts it has not seen reach the model.

    Misses are embedded ``batch_size`` at a time and stored after each batch, so an interrupted
    ingest resumes where it stopped. Same ``spec``, ``model_id`` and ``dim`` as the wrapped backend.
    """

    def __init__(self, backend: EmbeddingBackend, cache: EmbeddingCache) -> None:
        self.backend = backend
        self.cache = cache
        self.spec = backend.spec
        self.model_id = backend.model_id
        self.dim = backend.dim

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._lookup(check_texts(texts, "queries"), QUERY, 16, None)

    def embed_passages(
        self, texts: Sequence[str], *, batch_size: int = 16, progress: Progress = None
    ) -> np.ndarray:
        items = check_texts(texts, "passages")
        return self._lookup(items, PASSAGE, check_batch_size(batch_size), progress)

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self._lookup(texts, QUERY if is_query else PASSAGE, 16, None)

    def _lookup(self, texts: list[str], kind: str, batch_size: int, progress: Progress) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        cached = self.cache.get_many(self.model_id, kind, texts, self.dim)
        todo: dict[str, list[int]] = {}  # each missing text once -> its positions
        for i, (text, vector) in enumerate(zip(texts, cached)):
            if vector is None:
                todo.setdefault(text, []).append(i)
            else:
                out[i] = vector
        advance(progress, len(texts) - sum(len(p) for p in todo.values()))
        missing = list(todo)
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            if kind == QUERY:
                vectors = self.backend.embed_queries(batch)
            else:
                vectors = self.backend.embed_passages(batch, batch_size=len(batch))
            try:
                self.cache.put_many(self.model_id, kind, batch, vectors)
            except sqlite3.OperationalError as err:  # e.g. disk full or locked: embed on, uncached
                warnings.warn(f"embedding cache {self.cache.path} not updated: {err}", RuntimeWarning, stacklevel=3)
            for text, vector in zip(batch, vectors):
                out[todo[text]] = vector
            advance(progress, sum(len(todo[t]) for t in batch))
        return out  # rows come normalised from the backend or from the cache

    def __repr__(self) -> str:
        return f"CachedBackend({self.backend!r}, cache={str(self.cache.path)!r})"
