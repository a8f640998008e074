"""Milvus backend: one collection per index, primary key = segment number << 32 | row.

A commit inserts the new segment's rows before its manifest is published and deletes the rows
of removed files and merged-away segments (by primary key) after it, so the server holds exactly
the live chunks; readers of an older generation skip rows of segments they do not list. Only the
dense vectors live in Milvus: BM25 and chunk text stay in the local segments (Milvus 2.3 has no
full-text search), and each segment's ``vectors.npy`` stays the source of truth, so a lost
collection can be rebuilt with ``rag ingest --rebuild``. ``MilvusIndex.build`` (one immutable
collection from a block of vectors) is what ``eval.scale_bench`` measures.
"""

from __future__ import annotations

import hashlib
import socket
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from .base import TUNE_TARGET, VectorConfig, VectorIndex, VectorStoreError, exact_top_k, probe_queries, recall_at_k

if TYPE_CHECKING:
    from pymilvus import MilvusClient

PK, VECTOR = "row", "vector"
INSTALL_HINT = "Install the Milvus client with: pip install 'bilingual-news-rag[milvus]'"


def collection_prefix(index_dir: Path) -> str:
    """``rag_<hash>_``: names the collections of one index directory on one host."""
    key = f"{socket.gethostname()}:{Path(index_dir).resolve()}"
    return f"rag_{hashlib.sha256(key.encode('utf-8')).hexdigest()[:12]}_"


def connect(uri: str | None) -> "MilvusClient":
    if not uri:
        raise VectorStoreError(
            "vector_store is 'milvus' but no server is set: set RAG_MILVUS_URI (e.g. http://127.0.0.1:19530) "
            "or milvus_uri in config.toml, or use RAG_VECTOR_STORE=faiss."
        )
    try:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException
    except ImportError as err:
        raise VectorStoreError(f"vector_store is 'milvus' but pymilvus is not installed. {INSTALL_HINT}") from err
    try:
        return MilvusClient(uri=uri, timeout=30)
    except MilvusException as err:
        raise VectorStoreError(f"Cannot reach the Milvus server at {uri}: {err}. Start it or fix RAG_MILVUS_URI.") from err


NPROBE_LADDER = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)


def _index_params(client: "MilvusClient", config: VectorConfig, n: int) -> tuple[Any, dict]:
    """FLAT (exact) below the threshold, IVF_FLAT above it (its nprobe is tuned after loading)."""
    params = client.prepare_index_params()
    if config.use_ann(n):
        build = {"nlist": int(max(16, min(65_536, 4 * np.sqrt(n))))}
        params.add_index(field_name=VECTOR, index_type="IVF_FLAT", metric_type="IP", params=build)
        return params, {"type": "IVF_FLAT", **build}
    params.add_index(field_name=VECTOR, index_type="FLAT", metric_type="IP")
    return params, {"type": "FLAT"}


class MilvusIndex(VectorIndex):
    """Searches one Milvus collection.

    A generation's collection never changes after it is built, and the build ends with a strong
    read that sees every row, so searches use ``Bounded`` consistency (a strong read waits for
    the server's time tick, about 200 ms); ``consistency="Strong"`` makes reads follow deletes.
    """

    def __init__(self, client: "MilvusClient", entry: dict, n: int, dim: int, consistency: str = "Bounded") -> None:
        self._client = client
        self.entry = entry
        self._n = n
        self._dim = dim
        self.consistency = consistency

    @property
    def ntotal(self) -> int:
        return self._n

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def collection(self) -> str:
        return self.entry["collection"]

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.asarray(queries, dtype=np.float32).reshape(-1, self._dim)
        k = int(k)
        scores = np.full((len(q), k), -np.inf, dtype=np.float32)
        rows = np.full((len(q), k), -1, dtype=np.int64)
        if not len(q) or k <= 0:
            return scores, rows
        params: dict = {"metric_type": "IP", "params": dict(self.entry.get("search_params", {}))}
        hits = self._call(
            "search",
            self.collection,
            data=q.tolist(),
            limit=k,
            anns_field=VECTOR,
            search_params=params,
            consistency_level=self.consistency,
        )
        for i, found in enumerate(hits):
            for j, hit in enumerate(list(found)[:k]):
                rows[i, j] = int(hit["id"])
                scores[i, j] = float(hit["distance"])
        return scores, rows

    def delete_rows(self, rows: Iterable[int]) -> int:
        """Delete rows by primary key; returns how many were sent."""
        ids = [int(r) for r in rows]
        for start in range(0, len(ids), 10_000):
            self._call("delete", self.collection, ids=ids[start : start + 10_000])
        return len(ids)

    def delete_range(self, lo: int, hi: int) -> None:
        """Delete every row whose primary key is in ``[lo, hi)`` (one segment's rows)."""
        self._call("delete", self.collection, filter=f"{PK} >= {int(lo)} and {PK} < {int(hi)}")

    def insert(self, pks: np.ndarray, vectors: np.ndarray, *, batch: int = 10_000, upsert: bool = False) -> None:
        """Insert (or upsert) rows, then a strong read so that every reader sees them."""
        method = "upsert" if upsert else "insert"
        for start in range(0, len(pks), batch):
            block = np.asarray(vectors[start : start + batch], dtype=np.float32)
            keys = pks[start : start + batch]
            self._call(method, self.collection, [{PK: int(k), VECTOR: v} for k, v in zip(keys, block.tolist())])
        self.count()

    def all_pks(self) -> list[int]:
        """Every primary key in the collection (used to reconcile after a crash)."""
        found: list[int] = []
        last = -1
        while True:
            rows = self._call("query", self.collection, filter=f"{PK} > {last}", output_fields=[PK],
                              limit=16_384, consistency_level="Strong")
            if not rows:
                return found
            keys = sorted(int(r[PK]) for r in rows)
            found += keys
            last = keys[-1]

    def count(self) -> int:
        result = self._call("query", self.collection, filter=f"{PK} >= 0", output_fields=["count(*)"],
                            consistency_level="Strong")
        return int(result[0]["count(*)"])

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        from pymilvus.exceptions import MilvusException

        try:
            return getattr(self._client, method)(*args, **kwargs)
        except MilvusException as err:
            raise VectorStoreError(
                f"Milvus {method} on collection {self.collection!r} failed: {err}. "
                "Check the server (RAG_MILVUS_URI); if the collection was lost, run: rag ingest --rebuild"
            ) from err

    # ------------------------------------------------------------- building
    @classmethod
    def create(cls, config: VectorConfig, index_dir: Path, dim: int, n_hint: int = 0) -> "MilvusIndex":
        """A new, empty, loaded collection for the index at ``index_dir`` (rows come per segment).

        Its index type is chosen for ``n_hint`` rows (FLAT below the ANN threshold, IVF_FLAT above);
        search params of an IVF index are tuned once rows are in (:meth:`tune`)."""
        from pymilvus import DataType
        from pymilvus.exceptions import MilvusException

        client = connect(config.milvus_uri)
        name = f"{collection_prefix(index_dir)}{uuid.uuid4().hex[:12]}"
        try:
            schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field(PK, DataType.INT64, is_primary=True)
            schema.add_field(VECTOR, DataType.FLOAT_VECTOR, dim=dim)
            index_params, index_entry = _index_params(client, config, n_hint)
            client.create_collection(name, schema=schema, consistency_level="Strong")
            client.create_index(name, index_params)
            client.load_collection(name)
        except MilvusException as err:
            _drop_quietly(client, name)
            client.close()
            raise VectorStoreError(
                f"Creating a collection on the Milvus server at {config.milvus_uri} failed: {err}. "
                "The current index is unchanged."
            ) from err
        entry = {
            "backend": "milvus",
            "collection": name,
            "uri": config.milvus_uri,
            "ann_threshold": config.ann_threshold,
            "index": index_entry,
            "search_params": {},
        }
        return cls(client, entry, 0, dim, consistency=config.milvus_consistency)

    @classmethod
    def build(cls, vectors: np.ndarray, config: VectorConfig, *, index_dir: Path, generation: int) -> "MilvusIndex":
        """A new collection holding ``vectors`` (row i has primary key i), flushed and loaded."""
        from pymilvus import DataType
        from pymilvus.exceptions import MilvusException

        n, dim = vectors.shape
        client = connect(config.milvus_uri)
        name = f"{collection_prefix(index_dir)}g{generation:06d}_{uuid.uuid4().hex[:6]}"
        started = time.perf_counter()
        try:
            schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field(PK, DataType.INT64, is_primary=True)
            schema.add_field(VECTOR, DataType.FLOAT_VECTOR, dim=dim)
            index_params, index_entry = _index_params(client, config, n)
            client.create_collection(name, schema=schema, consistency_level="Strong")
            for start in range(0, n, config.milvus_batch):
                block = np.asarray(vectors[start : start + config.milvus_batch], dtype=np.float32)
                client.insert(name, [{PK: start + i, VECTOR: v} for i, v in enumerate(block.tolist())])
            client.flush(name)
            client.create_index(name, index_params)
            client.load_collection(name)
        except MilvusException as err:
            _drop_quietly(client, name)
            client.close()
            raise VectorStoreError(
                f"Writing {n} vectors to Milvus at {config.milvus_uri} failed: {err}. The current index is unchanged."
            ) from err
        except BaseException:
            _drop_quietly(client, name)
            client.close()
            raise
        entry = {
            "backend": "milvus",
            "collection": name,
            "uri": config.milvus_uri,
            "ann_threshold": config.ann_threshold,
            "index": index_entry,
            "search_params": {},
        }
        built = cls(client, entry, n, dim, consistency=config.milvus_consistency)
        try:
            stored = built.count()  # a strong read: from here on every row is visible to any reader
            if stored != n:
                raise VectorStoreError(f"Milvus collection {name!r} holds {stored} rows after the insert, expected {n}.")
            if "nlist" in index_entry:
                entry["search_params"], entry["recall_at_10"] = built.tune(vectors, index_entry["nlist"])
                entry["recall_target"] = TUNE_TARGET
        except BaseException:
            _drop_quietly(client, name)
            built.close()
            raise
        entry["build_seconds"] = round(time.perf_counter() - started, 2)
        return built

    def tune(self, vectors: np.ndarray, nlist: int, target: float = TUNE_TARGET, pk_base: int = 0) -> tuple[dict, float]:
        """The smallest nprobe whose recall@10 on probe queries, against exact search, reaches ``target``
        (``vectors`` are the rows with primary keys ``pk_base`` and up)."""
        queries = probe_queries(vectors)
        exact = exact_top_k(vectors, queries, 10)
        best: tuple[dict, float] = ({}, -1.0)
        for nprobe in tuple(p for p in NPROBE_LADDER if p < nlist) + (nlist,):
            self.entry["search_params"] = {"nprobe": nprobe}
            found = self.search(queries, 10)[1]
            recall = recall_at_k(np.where(found >= 0, found - pk_base, -1), exact, 10)
            if recall > best[1]:
                best = ({"nprobe": nprobe}, round(recall, 4))
            if recall >= target:
                break
        self.entry["search_params"] = best[0]
        return best

    @classmethod
    def load(cls, entry: dict, n: int, dim: int, config: VectorConfig) -> "MilvusIndex":
        """Open the collection the manifest names (at the configured URI, else the one it was built at)."""
        uri = config.milvus_uri or entry.get("uri")
        client = connect(uri)
        name = entry["collection"]
        index = cls(client, entry, n, dim, consistency=config.milvus_consistency)
        try:
            if not client.has_collection(name):
                raise VectorStoreError(
                    f"The Milvus server at {uri} has no collection {name!r}, which this index needs. "
                    "Rebuild it with: rag ingest --rebuild (or point RAG_MILVUS_URI at the right server)."
                )
            client.load_collection(name)
        except VectorStoreError:
            client.close()
            raise
        except Exception as err:  # pymilvus raises MilvusException and grpc errors
            client.close()
            raise VectorStoreError(f"Cannot open Milvus collection {name!r} at {uri}: {err}") from err
        return index


def drop_collections(uri: str | None, index_dir: Path, keep: set[str]) -> list[str]:
    """Drop this index directory's collections not in ``keep`` (best effort); returns those dropped."""
    if not uri:
        return []
    try:
        client = connect(uri)
    except VectorStoreError:
        return []
    dropped: list[str] = []
    try:
        prefix = collection_prefix(index_dir)
        for name in client.list_collections():
            if name.startswith(prefix) and name not in keep:
                _drop_quietly(client, name)
                dropped.append(name)
    except Exception:  # best effort: an unreachable server leaves garbage, never breaks a commit
        pass
    finally:
        client.close()
    return dropped


def _drop_quietly(client: "MilvusClient", name: str) -> None:
    try:
        client.drop_collection(name)
    except Exception:  # best effort cleanup
        pass
