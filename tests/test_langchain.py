"""The LangChain adapters as a LangChain user meets them: LangChain's own standard test suites
(langchain-tests: Embeddings unit + integration, Retrievers integration) and what they leave out
(k per call and its validation, construction from a backend string or an index directory,
metadata). Real model, real index of the bundled corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("langchain_tests", reason="needs langchain-tests (the 'test' extra)")

from langchain_core.documents import Document  # noqa: E402
from langchain_tests.integration_tests import (  # noqa: E402
    EmbeddingsIntegrationTests,
    RetrieversIntegrationTests,
)
from langchain_tests.unit_tests import EmbeddingsUnitTests  # noqa: E402

from embeddings import EmbeddingError, LangChainEmbeddings, LocalEmbeddings  # noqa: E402
from rag.errors import IndexMissingError, InputError  # noqa: E402
from rag.langchain_retriever import NewsRetriever  # noqa: E402

INNER_MONGOLIA = "004_48b25d9ea022bb79.txt"
QUESTION_EN = "How many social work stations are there in Inner Mongolia?"
QUESTION_ZH = "内蒙古已建成多少个社工站？"


# ------------------------------------------------------------------ LangChain's standard suites
class TestLocalEmbeddingsStandardUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[LocalEmbeddings]:
        return LocalEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        return {"model": "e5-small-int4"}


class TestLocalEmbeddingsStandardIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[LocalEmbeddings]:
        return LocalEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        return {"model": "e5-small-int4"}


class TestNewsRetrieverStandardIntegration(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _home(self, built_home: Path) -> None:
        self.home = built_home

    @property
    def retriever_constructor(self) -> type[NewsRetriever]:
        return NewsRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"home": self.home}

    @property
    def retriever_query_example(self) -> str:
        return QUESTION_EN


# ------------------------------------------------------------------ retriever
def test_k_per_call_overrides_the_default(pipeline):
    retriever = pipeline.retriever
    assert retriever.k == 5
    assert len(retriever.invoke(QUESTION_ZH)) == 5
    one = retriever.invoke(QUESTION_ZH, k=1)
    assert len(one) == 1 and one[0].metadata["source"] == INNER_MONGOLIA
    assert len(retriever.invoke(QUESTION_ZH, k=8)) == 8
    assert retriever.k == 5  # a per-call k changes nothing for the next call


@pytest.mark.parametrize("k, message", [(0, "k=0 is out of range"), (-1, "k=-1 is out of range"),
                                        (51, "k=51 is out of range"), ("3", "k='3' is not a whole number"),
                                        (2.5, "k=2.5 is not a whole number"), (True, "k=True")])
def test_a_bad_k_is_a_clear_error_per_call_and_at_construction(pipeline, built_home, k, message):
    with pytest.raises(InputError, match=message) as err:
        pipeline.retriever.invoke(QUESTION_ZH, k=k)
    assert "1..50" in str(err.value) or "from 1 to 50" in str(err.value)
    with pytest.raises(InputError, match=message):
        NewsRetriever(home=built_home, k=k)


async def test_k_per_call_works_async(pipeline):
    docs = await pipeline.retriever.ainvoke(QUESTION_EN, k=2)
    assert len(docs) == 2
    with pytest.raises(InputError, match="k=0"):
        await pipeline.retriever.ainvoke(QUESTION_EN, k=0)


def test_pipeline_retriever_is_one_object(pipeline):
    assert pipeline.retriever is pipeline.retriever


def test_a_retriever_from_a_home_directory(built_home, pipeline):
    by_home = NewsRetriever(home=built_home, k=3)
    by_classmethod = NewsRetriever.from_home(built_home, k=3)
    docs = by_home.invoke(QUESTION_ZH)
    assert [d.id for d in docs] == [d.id for d in by_classmethod.invoke(QUESTION_ZH)]
    assert [d.id for d in docs] == [d.id for d in pipeline.retriever.invoke(QUESTION_ZH, k=3)]
    assert NewsRetriever.from_home(str(built_home)).k == 5  # the k setting
    assert NewsRetriever.from_home(built_home, retrieval="dense").pipeline.settings.retrieval == "dense"


def test_a_home_without_an_index_fails_at_construction_with_the_fix(tmp_path):
    with pytest.raises(IndexMissingError, match="rag ingest"):
        NewsRetriever(home=tmp_path / "empty")
    with pytest.raises(InputError, match="home=<index directory>"):
        NewsRetriever()
    with pytest.raises(InputError, match="not both"):
        NewsRetriever(home=tmp_path, pipeline=object())


def test_metadata_carries_fused_score_dense_similarity_and_ranks(pipeline):
    docs = pipeline.retriever.invoke(QUESTION_EN, k=8)
    assert [d.metadata["rank"] for d in docs] == list(range(1, 9))
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 2 / 61  # RRF, k=60
    for doc in docs:
        meta = doc.metadata
        assert isinstance(doc, Document) and doc.id == meta["chunk_id"]
        assert meta["dense_rank"] is not None or meta["bm25_rank"] is not None
        # the fused score is exactly the weighted sum of the reciprocal ranks it came from (an
        # English question's BM25 side, over bridged terms, weighs en_lexical_weight, or
        # en_glossed_lexical_weight when the glossary renders enough of the question)
        glossed = pipeline.analyze(QUESTION_EN).glossed >= pipeline.settings.en_glossed_share
        weights = (1.0, pipeline.settings.en_glossed_lexical_weight if glossed else pipeline.settings.en_lexical_weight)
        ranks = (meta["dense_rank"], meta["bm25_rank"])
        expected = sum(w / (60 + r) for w, r in zip(weights, ranks) if r is not None)
        assert meta["score"] == pytest.approx(expected)
        if meta["dense_rank"] is None:
            assert meta["dense_score"] is None
        else:
            assert -1.0 <= meta["dense_score"] <= 1.0
    dense = sorted((d for d in docs if d.metadata["dense_rank"]), key=lambda d: d.metadata["dense_rank"])
    similarities = [d.metadata["dense_score"] for d in dense]
    assert similarities == sorted(similarities, reverse=True)  # dense rank follows similarity
    assert {"dense_score", "dense_rank", "bm25_rank", "score"} <= set(NewsRetriever.__doc__.replace("`", " ").split())


def test_chain_passages_keep_the_ranks(pipeline):
    from rag.chain import documents_to_passages

    docs = pipeline.retriever.invoke(QUESTION_EN, k=3)
    passages = documents_to_passages(docs)
    assert [p.dense_rank for p in passages] == [d.metadata["dense_rank"] for d in docs]
    assert [p.lexical_rank for p in passages] == [d.metadata["bm25_rank"] for d in docs]
    assert [p.dense_score for p in passages] == [d.metadata["dense_score"] for d in docs]


# ------------------------------------------------------------------ embeddings
def test_embeddings_from_a_backend_string_with_the_default():
    default = LocalEmbeddings()
    named = LocalEmbeddings(model="e5-small-int4")
    assert default.model == named.model == "e5-small-int4" and default.dim == 384
    assert default.embed_query(QUESTION_EN) == pytest.approx(named.embed_query(QUESTION_EN), abs=1e-6)
    assert LangChainEmbeddings is LocalEmbeddings  # the earlier name still works
    assert len(LangChainEmbeddings().embed_documents([QUESTION_ZH])[0]) == 384
    assert "e5-small-int4" in repr(default)


def test_embeddings_from_a_built_backend_and_with_a_cache(tmp_path):
    from embeddings import create_backend

    backend = create_backend("e5-small-int4")
    assert LocalEmbeddings(backend).backend is backend
    cached = LocalEmbeddings(model="e5-small-int4", cache_dir=tmp_path / "cache")
    first = cached.embed_documents([QUESTION_ZH, QUESTION_EN])
    assert cached.embed_documents([QUESTION_ZH, QUESTION_EN]) == first
    assert any((tmp_path / "cache").iterdir())
    assert cached.embed_documents([]) == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": "nope"}, "unknown embedding backend 'nope'; valid forms"),
        ({"model": " "}, "model is empty"),
        ({"model": 3}, "model must be a backend string"),
        ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
    ],
)
def test_bad_embeddings_arguments_name_the_value(kwargs, message):
    with pytest.raises(EmbeddingError, match=message):
        LocalEmbeddings(**kwargs)


def test_bad_embedding_inputs_name_the_value():
    embeddings = LocalEmbeddings()
    with pytest.raises(EmbeddingError, match="wrap it in a list"):
        embeddings.embed_documents("one text")
    with pytest.raises(EmbeddingError, match=r"texts\[1\] must be a str"):
        embeddings.embed_documents(["ok", 3])
    with pytest.raises(EmbeddingError, match="query must be a str"):
        embeddings.embed_query(["a list"])
