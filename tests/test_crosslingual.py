"""English questions bridged to the Chinese words of the bundled corpus."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from rag.crosslingual import TermGroup, Vocabulary, bridge_query, expand_for_bm25
from rag.errors import IndexCorruptError
from rag.glossary import Glossary
from rag.language import detect_language

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "rag" / "data" / "corpus"
DEV_SET = ROOT / "rag" / "data" / "dev_qa.jsonl"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]


@pytest.fixture(scope="module")
def vocabulary(texts) -> Vocabulary:
    return Vocabulary.from_texts(texts)


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.load_default()


def _group(groups: list[TermGroup], chinese: str) -> TermGroup:
    for group in groups:
        if chinese in group.chinese:
            return group
    raise AssertionError(f"no group renders {chinese}: {groups}")


def test_inner_mongolia_and_certified_social_workers(glossary, vocabulary):
    groups = bridge_query("How many certified social workers are there in Inner Mongolia?", glossary, vocabulary)
    assert _group(groups, "内蒙古").source == "glossary"
    assert _group(groups, "持证社工").english == "certified social workers"


@pytest.mark.parametrize(
    "question, chinese, english",
    [
        ("What did Chen Cungen say in Jiangsu?", "陈存根", "chen cungen"),
        ("Where did Cungen Chen go?", "陈存根", "cungen chen"),
        ("What did Liu Jing share?", "刘京", "liu jing"),
        ("How many stations has Dingxi built?", "定西", "dingxi"),
        ("When was the Ruyuan village unveiled?", "如愿", "ruyuan"),
        ("How many social workers has Suifenhe recruited?", "绥芬河", "suifenhe"),
        ("Where is Jiading's first station?", "嘉定", "jiading"),
        ("Which station opened in Waigang?", "外冈镇", "waigang"),
    ],
)
def test_names_bridged_by_pinyin_of_corpus_words(glossary, vocabulary, question, chinese, english):
    group = _group(bridge_query(question, glossary, vocabulary), chinese)
    assert group.source == "pinyin" and group.english == english


def test_cungens_possessive(glossary, vocabulary):
    groups = bridge_query("What was Chen Cungen's role?", glossary, vocabulary)
    assert _group(groups, "陈存根").english == "chen cungen"


def test_glossary_city_present_in_corpus(glossary, vocabulary):
    assert _group(bridge_query("What does Xiangtan pay?", glossary, vocabulary), "湘潭").source == "glossary"


def test_place_absent_from_corpus_still_bridged(glossary, vocabulary):
    """Tibet is not in the corpus: the group stays so that the answerer can refuse."""
    assert "西藏" not in vocabulary
    assert _group(bridge_query("How many social work stations are in Tibet?", glossary, vocabulary), "西藏").source == "glossary"


def test_pinyin_needs_corpus_words_and_capitals(glossary, vocabulary):
    groups = bridge_query("Did Zhangsanfeng visit the manage hang long station?", glossary, vocabulary)
    assert not [g for g in groups if g.source == "pinyin"]


def test_dictionary_bridge_is_bound_to_the_corpus(glossary, vocabulary):
    groups = bridge_query("How deep is the friendship?", glossary, vocabulary)
    friendship = _group(groups, "友谊")
    assert friendship.source == "dictionary"
    assert all(form in vocabulary for g in groups if g.source == "dictionary" for form in g.chinese)
    assert not [g for g in groups if g.english in ("how", "is", "the")]


def test_literal_chinese_numbers_and_years(glossary, vocabulary):
    groups = bridge_query("What does Xiangtan pay a senior social worker (高级社会工作师) in 2023?", glossary, vocabulary)
    literal = [g for g in groups if g.source == "literal"]
    assert TermGroup("高级社会工作师", ("高级社会工作师",), "literal") in literal
    assert _group(literal, "2023年").english == "2023"


def test_expand_for_bm25(glossary, vocabulary):
    question = "How many social work stations are there in Inner Mongolia?"
    expansion = expand_for_bm25(question, bridge_query(question, glossary, vocabulary))
    assert "社工站" in expansion and "内蒙古自治区" in expansion
    assert not re.search("[A-Za-z]", expansion)
    assert expand_for_bm25("如愿社工村", bridge_query("如愿社工村", glossary, vocabulary)) == ""


def test_bridge_query_is_fast(glossary, vocabulary):
    question = "How many days did the Jiangsu themed exchange activity led by Chen Cungen last?"
    bridge_query(question, glossary, vocabulary)
    start = time.perf_counter()
    for _ in range(20):
        bridge_query(question, glossary, vocabulary)
    assert (time.perf_counter() - start) / 20 < 0.020


def test_vocabulary_json_round_trip(vocabulary):
    data = json.loads(json.dumps(vocabulary.to_json(), ensure_ascii=False))
    again = Vocabulary.from_json(data)
    assert again == vocabulary
    assert vocabulary.frequencies["社会工作"] > 10
    with pytest.raises(IndexCorruptError, match="rebuild"):
        Vocabulary.from_json({"format": 1, "frequencies": []})


def test_bridge_without_vocabulary_uses_glossary_only(glossary):
    groups = bridge_query("How many social workers does Chen Cungen lead in Hebei?", glossary, None)
    assert {g.source for g in groups} == {"glossary"}
    assert _group(groups, "河北").english == "hebei"


def test_english_bm25_retrieval_improves_with_expansion(texts, glossary, vocabulary):
    """English dev questions: BM25 over ~200-char pieces finds the gold evidence far more often."""
    import bm25s
    import jieba

    flat = {p.name: re.sub(r"\s+", "", t) for p, t in zip(sorted(CORPUS.glob("*.txt")), texts)}
    pieces = [(name, text[s : s + 200]) for name, text in flat.items() for s in range(0, len(text), 100)]
    tokenize = lambda t: [w for w in jieba.cut_for_search(t) if re.search(r"\w", w)]  # noqa: E731
    retriever = bm25s.BM25()
    retriever.index([tokenize(p) for _, p in pieces], show_progress=False)
    rows = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["lang"] == "en" and r["type"] != "unanswerable"]

    def hits(expand: bool) -> int:
        found = 0
        for row in rows:
            query = row["question"]
            if expand:
                query += " " + expand_for_bm25(query, bridge_query(query, glossary, vocabulary))
            docs, _ = retriever.retrieve([tokenize(query)], k=5, show_progress=False)
            evidence = re.sub(r"\s+", "", row["evidence"])
            found += any(pieces[int(i)][0] == row["doc"] and evidence in pieces[int(i)][1] for i in docs[0])
        return found

    plain, bridged = hits(False), hits(True)
    assert bridged >= max(2 * plain, 0.6 * len(rows))


@pytest.mark.parametrize(
    "text, language",
    [
        ("How many social work stations are there in Inner Mongolia?", "en"),
        ("What monthly allowance does Xiangtan pay a senior social worker (高级社会工作师)?", "en"),
        ("内蒙古全区已建成多少个社工站？", "zh"),
        ("IFSW的会员有多少？", "zh"),
        ("What is 五社联动?", "en"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language
