"""Segmented index: a commit writes only the new files, removals are tombstones, merges compact.

Real FAISS, real bm25s, real SQLite; small hand-made chunks with random vectors (tests/test_store.py
has the helpers and the single-generation behaviour).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.crosslingual import Vocabulary
from rag.lexical import analyze
from rag.merging import MergePolicy
from rag.store import IndexStore, IndexWriter, current_generation
from tests.test_store import DIM, EXPECT, SHAPE, add, make_file, unit_vectors

NO_MERGE = MergePolicy(auto=False)

PAGES = {
    "p1.txt": ["内蒙古自治区已建成850个社会工作站。", "呼和浩特市举办社工培训班。"],
    "p2.txt": ["上海港集装箱吞吐量再创新高。", "上海市发布新的港口规划。", "港口工人获得表彰。"],
    "p3.txt": ["北京市发布新的养老服务政策。", "养老服务中心覆盖全部街道。"],
    "p4.txt": ["湘潭市举办社会工作论坛。", "论坛讨论乡村振兴与社会工作。"],
}
QUERIES = ["社会工作站", "上海港口", "养老服务政策", "论坛 乡村振兴", "新的 发布"]


def writer(index_dir: Path, **kw) -> IndexWriter:
    kw.setdefault("merge_policy", NO_MERGE)
    return IndexWriter(index_dir, shape=SHAPE, model_id="test-model", dim=DIM, **kw)


def one_commit_per_file(index_dir: Path, pages=PAGES) -> dict[str, np.ndarray]:
    vectors = {}
    for seed, (source, texts) in enumerate(pages.items()):
        with writer(index_dir) as w:
            vectors[source] = add(w, source, texts, f"sha-{source}", seed)
            w.commit()
    return vectors


def files_of(path: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*") if p.is_file()}


def segment_names(index_dir: Path) -> list[str]:
    return [e["name"] for e in IndexStore.open(index_dir).manifest["segments"]]


def test_each_commit_writes_one_segment_and_a_removal_writes_only_tombstones(tmp_path):
    index_dir = tmp_path / "index"
    one_commit_per_file(index_dir)
    store = IndexStore.open(index_dir, expect=EXPECT)
    assert [e["name"] for e in store.manifest["segments"]] == ["seg-000001", "seg-000002", "seg-000003", "seg-000004"]
    assert len(store) == 9 and store.verify() == []
    before = files_of(index_dir / "segments")

    with writer(index_dir) as w:
        assert w.remove_file("p2.txt")
        w.commit()
    store = IndexStore.open(index_dir, expect=EXPECT)
    # nothing already written was touched; the removed file's rows are tombstones in the manifest
    assert files_of(index_dir / "segments") == before
    assert store.manifest["deletions"] == {} and "seg-000002" not in segment_names(index_dir)  # all its rows gone
    assert len(store) == 6 and "p2.txt" not in store.files() and store.verify() == []
    assert not any("上海" in c.text for c in store.chunks(store.rows()))
    assert store.search_lexical(analyze("上海港"), 5) == []

    # replacing one file of a multi-file segment: its old rows are tombstoned, the new version is a segment
    with writer(index_dir) as w:
        add(w, "p5.txt", ["新闻一。", "新闻二。"], "sha-p5", 10)
        add(w, "p6.txt", ["内蒙古草原旅游升温。"], "sha-p6", 11)
        w.commit()
    with writer(index_dir) as w:
        add(w, "p6.txt", ["内蒙古草原旅游持续升温。"], "sha-p6b", 12)
        w.commit()
    store = IndexStore.open(index_dir, expect=EXPECT)
    assert store.manifest["deletions"] == {"seg-000005": [2]}
    texts = [c.text for c in store.chunks(store.rows())]
    assert "内蒙古草原旅游升温。" not in texts and texts.count("内蒙古草原旅游持续升温。") == 1
    hits = [store.chunk(r).text for r, _ in store.search_lexical(analyze("内蒙古草原旅游"), 10)]
    assert hits[0] == "内蒙古草原旅游持续升温。" and "内蒙古草原旅游升温。" not in hits
    assert sorted(r for r, _ in store.search_dense(np.ones(DIM), 50)) == list(range(len(store)))
    assert store.verify() == []


def test_bm25_over_segments_uses_whole_index_frequencies(tmp_path):
    """Four one-file segments rank like one merged segment; per-segment idf alone would not."""
    segmented = tmp_path / "segmented"
    one_commit_per_file(segmented)
    merged = tmp_path / "merged"
    with writer(merged) as w:
        for seed, (source, texts) in enumerate(PAGES.items()):
            add(w, source, texts, f"sha-{source}", seed)
        w.commit()
    a, b = IndexStore.open(segmented), IndexStore.open(merged)
    assert len(a.segments) == 4 and len(b.segments) == 1
    for query in QUERIES:
        tokens = analyze(query)
        got = [(a.chunk(r).text, s) for r, s in a.search_lexical(tokens, 10)]
        want = [(b.chunk(r).text, s) for r, s in b.search_lexical(tokens, 10)]
        assert [t for t, _ in got] == [t for t, _ in want], query
        # scores differ only by each segment's own average chunk length
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=0.35)


def test_searching_an_index_needs_neither_bm25s_nor_scipy(tmp_path):
    """bm25s writes each segment's postings at ingest; a question reads them with numpy alone, so a
    cold `rag ask` does not pay for importing bm25s, scipy and numba (half a second on 2 cores)."""
    one_commit_per_file(tmp_path / "index")
    code = (
        "import sys\n"
        "from rag.lexical import analyze\n"
        "from rag.store import IndexStore\n"
        "import rag.answering.reader.model\n"
        f"store = IndexStore.open({str(tmp_path / 'index')!r})\n"
        "hits = store.search_lexical(analyze('社会工作站'), 3)\n"
        "print(store.chunk(hits[0][0]).text)\n"
        "print(sorted(m for m in ('bm25s', 'scipy', 'numba') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.splitlines() == ["内蒙古自治区已建成850个社会工作站。", "[]"]


def test_optimize_drops_deleted_rows_and_keeps_answers(tmp_path):
    index_dir = tmp_path / "index"
    vectors = one_commit_per_file(index_dir)
    with writer(index_dir) as w:
        add(w, "p1.txt", ["内蒙古自治区社会工作站增至900个。"], "sha-p1b", 20)
        w.remove_file("p3.txt")
        w.commit()
    before = IndexStore.open(index_dir)
    results = {q: [(before.chunk(r).text, round(s, 4)) for r, s in before.search_lexical(analyze(q), 5)] for q in QUERIES}
    dense = [before.chunk(r).text for r, _ in before.search_dense(vectors["p4.txt"][1], 3)]
    with writer(index_dir) as w:
        w.optimize()
    after = IndexStore.open(index_dir, expect=EXPECT)
    assert [e["name"] for e in after.manifest["segments"]] == ["seg-000006"] and after.manifest["deletions"] == {}
    assert len(after) == len(before) == 6 and after.verify() == []
    assert sorted(c.text for c in after.chunks(after.rows())) == sorted(c.text for c in before.chunks(before.rows()))
    assert [after.chunk(r).text for r, _ in after.search_dense(vectors["p4.txt"][1], 3)] == dense
    for q in QUERIES:
        assert [t for t, _ in results[q]] == [after.chunk(r).text for r, _ in after.search_lexical(analyze(q), 5)]
    # only what the current and the previous generation list is kept on disk
    # (the previous one no longer lists seg-1 and seg-3: all their rows were deleted)
    assert sorted(p.name for p in (index_dir / "segments").iterdir()) == ["seg-000002", "seg-000004",
                                                                          "seg-000005", "seg-000006"]
    with writer(index_dir) as w:
        add(w, "p7.txt", ["又一篇。"], "sha-p7", 30)
        w.commit()
    assert sorted(p.name for p in (index_dir / "segments").iterdir()) == ["seg-000006", "seg-000007"]

    fresh = tmp_path / "fresh"
    with writer(fresh) as w:
        for source in IndexStore.open(index_dir).files():
            seg = IndexStore.open(index_dir)
            rows = [r for r in seg.rows() if seg.chunk(r).source == source]
            chunks = seg.chunks(rows)
            w.add_file(source, "/x", "s", [seg.article(source, 0)], chunks, np.ones((len(chunks), DIM)))
        w.commit()
    def size(d: Path) -> int:  # the current generation's segments (the previous one's go at the next commit)
        return sum(p.stat().st_size for n in segment_names(d) for p in (d / "segments" / n).rglob("*") if p.is_file())

    with writer(index_dir) as w:
        w.optimize()
    assert size(index_dir) <= 1.2 * size(fresh)


def test_size_tiered_merges_keep_few_segments(tmp_path):
    index_dir = tmp_path / "index"
    policy = MergePolicy(merge_factor=3, min_segment=1)
    for i in range(7):
        with writer(index_dir, merge_policy=policy) as w:
            add(w, f"f{i}.txt", [f"第{i}篇新闻，关于社会工作。"], f"sha-{i}", i)
            w.commit()
            w.maybe_merge()
    store = IndexStore.open(index_dir, expect=EXPECT)
    # 7 single-chunk commits with merge factor 3: two merges of three, one segment waiting
    assert [e["n_chunks"] for e in store.manifest["segments"]] == [3, 3, 1]
    assert len(store) == 7 and store.verify() == []
    assert sorted(c.source for c in store.chunks(store.rows())) == sorted(f"f{i}.txt" for i in range(7))
    assert MergePolicy(merge_factor=3).select([("a", 10, 6)]) == [["a"]]  # mostly deleted: rewritten alone


def test_reopening_shares_unchanged_segments(tmp_path):
    index_dir = tmp_path / "index"
    one_commit_per_file(index_dir)
    old = IndexStore.open(index_dir)
    with writer(index_dir) as w:
        add(w, "p9.txt", ["新的一篇。"], "sha-p9", 40)
        w.commit()
    new = IndexStore.open(index_dir, reuse=old)
    assert all(a is b for a, b in zip(old.segments, new.segments[:4])) and len(new.segments) == 5
    old.close()  # the shared segments stay open for the new store
    assert len(new.chunks(new.rows())) == 10 and new.search_lexical(analyze("社会工作站"), 3)


def test_merged_vocabulary_equals_one_built_from_all_texts():
    texts_a = ["内蒙古自治区已建成850个社会工作站。呼和浩特市举办社工培训班。"]
    texts_b = ["湘潭市举办社会工作论坛，刘京出席。内蒙古草原旅游升温。"]
    merged = Vocabulary.merge([Vocabulary.from_texts(texts_a), Vocabulary.from_texts(texts_b)])
    whole = Vocabulary.from_texts(texts_a + texts_b)
    assert dict(merged.frequencies) == dict(whole.frequencies)
    assert {k: set(v) for k, v in merged.pinyin.items()} == {k: set(v) for k, v in whole.pinyin.items()}
    assert dict(merged.dictionary) == dict(whole.dictionary)
    assert Vocabulary.from_json(merged.to_json()) == merged


KILL_DURING_MERGE = """
import os, signal, sys
from rag.merging import MergePolicy
from rag.store import IndexWriter

index_dir, step, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
calls = {"n": 0}
original = getattr(os, step)
def wrapped(*args, **kwargs):
    calls["n"] += 1
    if calls["n"] == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)
setattr(os, step, wrapped)
w = IndexWriter(index_dir, shape=%(shape)r, model_id="test-model", dim=%(dim)d, merge_policy=MergePolicy(auto=False))
w.open()
w.optimize()
print("finished")
""" % {"shape": SHAPE, "dim": DIM}


@pytest.mark.parametrize("step, nth", [("fsync", 2), ("rename", 1), ("replace", 1)])
def test_sigkill_during_a_merge_leaves_the_old_generation_answering(tmp_path, step, nth):
    index_dir = tmp_path / "index"
    one_commit_per_file(index_dir)
    with writer(index_dir) as w:
        w.remove_file("p1.txt")
        w.commit()
    before = IndexStore.open(index_dir)
    want = sorted(c.text for c in before.chunks(before.rows()))
    run = subprocess.run([sys.executable, "-c", KILL_DURING_MERGE, str(index_dir), step, str(nth)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr
    store = IndexStore.open(index_dir, expect=EXPECT)
    assert store.verify() == [] and sorted(c.text for c in store.chunks(store.rows())) == want
    assert store.generation == current_generation(index_dir)
    # the rerun completes, leaves one segment, no duplicates, no leftovers
    with writer(index_dir, lock_timeout=2) as w:
        w.optimize()
    store = IndexStore.open(index_dir, expect=EXPECT)
    assert len(store.segments) == 1 and sorted(c.text for c in store.chunks(store.rows())) == want
    assert store.verify() == []
    assert not [p for p in index_dir.rglob(".tmp*")]


def test_writer_refuses_a_damaged_segment_and_names_it(tmp_path):
    index_dir = tmp_path / "index"
    one_commit_per_file(index_dir)
    path = index_dir / "segments" / "seg-000002" / "chunks.sqlite"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(Exception) as err:
        writer(index_dir).open()
    assert "seg-000002" in str(err.value) and "rag ingest --rebuild" in str(err.value)


def test_new_chunks_vectors_are_searchable_in_small_segments_exactly(tmp_path):
    index_dir = tmp_path / "index"
    vectors = one_commit_per_file(index_dir)
    store = IndexStore.open(index_dir)
    every = np.concatenate(list(vectors.values()))
    for i, v in enumerate(every):
        hits = store.search_dense(v, 3)
        assert np.isclose(hits[0][1], 1.0, atol=1e-5)
    _, chunks = make_file("x.txt", ["一"])
    assert unit_vectors(1, 0).shape == (1, DIM) and chunks


def test_a_long_ingest_is_written_in_bounded_segments_and_published_at_once(tmp_path):
    """Every ``flush_chunks`` chunks go to disk as a segment; none is visible before the commit,
    and a writer that dies before committing leaves nothing the next writer keeps."""
    index_dir = tmp_path / "index"
    one_commit_per_file(index_dir, {"p1.txt": PAGES["p1.txt"]})
    built = []
    with writer(index_dir, flush_chunks=3, vocabulary_builder=lambda texts: built.append(list(texts)) or {"n": len(built)}) as w:
        for seed, source in enumerate(("p2.txt", "p3.txt", "p4.txt")):
            add(w, source, PAGES[source], f"sha-{source}", seed)
        assert w.pending_chunks() < 3 and len(list((index_dir / "segments").iterdir())) >= 3
        assert IndexStore.open(index_dir).files().keys() == {"p1.txt"}  # not published yet
        w.commit()
    store = IndexStore.open(index_dir, expect=EXPECT)
    assert sorted(store.files()) == ["p1.txt", "p2.txt", "p3.txt", "p4.txt"] and len(store) == 9
    assert [e["n_chunks"] for e in store.manifest["segments"]] == [2, 3, 4]
    assert store.vocabularies() == [{"n": 1}, {"n": 2}]  # one per new segment, from its own texts
    assert store.verify() == []

    with pytest.raises(ZeroDivisionError):
        with writer(index_dir, flush_chunks=1) as w:
            add(w, "p9.txt", ["未提交的文字。"], "sha-p9", 50)
            1 / 0
    assert (index_dir / "segments" / "seg-000004").is_dir()  # flushed, never published
    with writer(index_dir) as w:
        assert not w.knows_source("p9.txt")
    assert not (index_dir / "segments" / "seg-000004").exists()
    assert IndexStore.open(index_dir).verify() == []


def test_cli_optimize_and_check_report_segments(tmp_path, built_home):
    import shutil

    from rag.cli import main

    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    corpus = Path(__file__).resolve().parents[1] / "rag" / "data" / "corpus"
    page = sorted(corpus.iterdir())[0]
    assert main(["remove", page.name, "--home", str(home)]) == 0
    assert main(["ingest", str(page), "--home", str(home), "--jobs", "1", "--batch", "8"]) == 0
    store = IndexStore.open(home / "index")
    assert len(store.segments) == 2 and store.manifest["deletions"]
    assert main(["optimize", "--home", str(home)]) == 0
    store = IndexStore.open(home / "index")
    assert len(store.segments) == 1 and not store.manifest["deletions"] and store.verify() == []
    assert main(["check", "--home", str(home)]) == 0
    assert main(["ingest", str(page), "--home", str(home), "--jobs", "x"]) != 0


def test_pooled_small_segments_search_like_segment_by_segment(tmp_path, monkeypatch):
    """Small segments are searched as one pool: same rows and scores as asking each in turn."""
    import rag.pooled

    index_dir = tmp_path / "index"
    vectors = one_commit_per_file(index_dir)
    with writer(index_dir) as w:
        add(w, "p2.txt", ["上海港集装箱吞吐量再创新高，港口繁忙。"], "sha-p2b", 60)  # tombstones in seg 2
        w.commit()
    pooled = IndexStore.open(index_dir)
    assert pooled._small() is not None  # built on first use
    monkeypatch.setattr(rag.pooled, "POOL_SEGMENT_CHUNKS", 0)
    alone = IndexStore.open(index_dir)
    assert pooled._small() is not None and alone._small() is None
    for q in QUERIES + ["上海港 港口", "内蒙古 社会工作"]:
        a, b = pooled.search_lexical(analyze(q), 10), alone.search_lexical(analyze(q), 10)
        assert [r for r, _ in a] == [r for r, _ in b], q
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=1e-5)
    for v in list(np.concatenate(list(vectors.values()))) + list(unit_vectors(5, 77)):
        a, b = pooled.search_dense(v, 4), alone.search_dense(v, 4)
        assert [r for r, _ in a] == [r for r, _ in b]
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], atol=1e-5)
    assert "上海港集装箱吞吐量再创新高。" not in [pooled.chunk(r).text for r, _ in pooled.search_lexical(analyze("上海港"), 10)]


def test_new_settings_and_commands_refuse_bad_values_clearly(tmp_path):
    from rag.cli import main
    from rag.errors import IndexMissingError, InputError
    from rag.pipeline import Pipeline
    from rag.settings import load_settings

    with pytest.raises(IndexMissingError, match="rag ingest PATH"):
        Pipeline(load_settings({"home": tmp_path / "empty"}, environ={})).optimize()
    assert not (tmp_path / "empty" / "index").exists()  # nothing created for a missing index
    for env, named in (({"RAG_MERGE_FACTOR": "1"}, "merge_factor=1"), ({"RAG_MERGE_FACTOR": "x"}, "merge_factor"),
                       ({"RAG_EMBED_THREADS": "-2"}, "--jobs"), ({"RAG_EMBED_BATCH": "0"}, "--batch")):
        with pytest.raises(InputError, match=named):
            load_settings({"home": tmp_path}, environ=env)
    assert load_settings({"home": tmp_path}, environ={"RAG_MERGE_FACTOR": "0"}).merge_policy().auto is False
    assert main(["ingest", str(tmp_path), "--home", str(tmp_path / "h"), "--batch", "0"]) == 2
