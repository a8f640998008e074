"""The reader orders the passages it reads by its own reading (rerank.Rerank), and
`python -m eval.rerank_fit` fits that order from public data. Passages on several topics, none
from the dev set."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from eval.rerank_fit import main as rerank_fit
from rag.answering.reader.answerer import ReaderAnswerer
from rag.answering.reader.calibration import Calibration
from rag.answering.reader.rerank import Rerank
from rag.models import Chunk, Passage

ECONOMY = ("国家统计局18日发布数据，今年前三季度全国国内生产总值达到94.97万亿元，同比增长5.2%。"
           "国家统计局新闻发言人付凌晖表示，上海、山东等地经济持续恢复向好。")
SPORT = ("在昨晚结束的中超联赛第28轮比赛中，上海海港队主场以3比1战胜山东泰山队，提前两轮锁定联赛冠军。"
         "海港队主教练哈维尔·佩德罗表示，球队全年的努力得到了回报。")
WEATHER = "中央气象台预计，受冷空气影响，未来三天华北地区气温将下降8至12℃，山东北部最低气温将降至零下5℃。"


def _passage(topic: str, text: str, rank: int) -> Passage:
    chunk = Chunk(f"{topic}.txt#0#0", f"{topic}.txt", 0, topic, "", text, 0, len(text), len(text))
    return Passage(chunk=chunk, score=1.0 / rank, rank=rank)


def test_the_order_weighs_the_readers_margin_against_retrieval_rank():
    rule = Rerank(passages=3, rank=1.0, margin=0.1)
    # the second passage's best span stands 12 over its no-answer score, the first's 1 below
    assert rule.order([1, 2, 3], [5.0, 20.0, 3.0], [6.0, 8.0, 6.0]) == [1, 0, 2]
    # close margins leave retrieval's order
    assert rule.order([1, 2, 3], [7.0, 7.5, 3.0], [6.0, 6.0, 6.0]) == [0, 1, 2]
    # a passage without any span goes last; Rerank() keeps retrieval's order
    assert rule.order([1, 2], [float("-inf"), 2.0], [0.0, 6.0])[0] == 1
    assert Rerank().order([1, 2, 3], [5.0, 20.0, 3.0], [6.0, 8.0, 6.0]) == [0, 1, 2]
    assert Rerank(passages=5).read(3) == 5 and Rerank().read(3) == 3


def test_the_calibration_file_carries_the_rules(tmp_path):
    path = tmp_path / "calibration.json"
    rules = {"en": Rerank(4, 1.0, 0.05), "zh": Rerank(3, 1.0, 0.1)}
    replace(Calibration.load(), rerank=rules).save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["rerank"]["en"] == {"passages": 4, "rank": 1.0, "margin": 0.05}
    loaded = Calibration.load(path)
    assert loaded.reranking("en") == rules["en"] and loaded.reranking("zh") == rules["zh"]
    assert loaded.reranking("fr") == Rerank() and loaded.reranking(None) == Rerank()
    data = json.loads(path.read_text(encoding="utf-8"))
    data["rerank"]["en"]["passages"] = "all"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="passages='all'"):
        Calibration.load(path)


@pytest.fixture(scope="module")
def reader():
    return ReaderAnswerer()


def test_the_passage_holding_the_answer_comes_first(reader):
    """Retrieval put a statistics page first for a football question (both name 上海 and 山东); the
    reader finds the score on the sports page, which then counts as the first passage: the same
    answer, given with more confidence."""
    question = "上海海港队以什么比分战胜山东泰山队？"
    passages = [_passage("economy", ECONOMY, 1), _passage("sport", SPORT, 2), _passage("weather", WEATHER, 3)]
    shipped = reader.calibration
    try:
        reader.calibration = replace(shipped, rerank={"zh": Rerank(3, 1.0, 0.1)})
        reordered = reader.answer(question, passages, language="zh")
        best = reader.candidates(question, passages, "zh")[0]
        reader.calibration = replace(shipped, rerank={})
        kept = reader.answer(question, passages, language="zh")
        before = reader.candidates(question, passages, "zh")[0]
    finally:
        reader.calibration = shipped
    for answer in (reordered, kept):
        assert not answer.refused and "3比1" in answer.short_answer and answer.citations[0].source == "sport.txt"
    assert (best.passage.chunk.source, best.passage.rank) == ("sport.txt", 1)
    assert (before.passage.chunk.source, before.passage.rank) == ("sport.txt", 2)
    assert reordered.confidence > kept.confidence


def test_the_fit_learns_to_trust_the_reader_where_it_finds_the_gold(tmp_path, capsys):
    # per question: (retrieval rank, best span score, no-answer score, holds the gold answer);
    # the gold passage is second with a far better margin, or first with the better margin
    second = [[1, 4.0, 6.0, False], [2, 14.0, 5.0, True], [3, 2.0, 6.0, False]]
    first = [[1, 12.0, 5.0, True], [2, 6.0, 6.0, False], [3, 2.0, 6.0, False]]
    questions = [{"id": f"q{i}", "lang": "zh", "article": 40, "passages": second if i % 2 else first} for i in range(10)]
    features = tmp_path / "features.json"
    features.write_text(json.dumps(questions), encoding="utf-8")
    out = tmp_path / "calibration.json"
    Calibration.load().save(out)
    assert rerank_fit(["--refit", "--features", str(features), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    rule = Calibration.load(out).reranking("zh")
    assert rule.margin > 0 and rule.passages == 3
    assert "gold passage first 0.500 -> 1.000" in printed
    assert Calibration.load(out).languages == Calibration.load().languages


def test_a_refit_without_features_is_named(tmp_path, capsys):
    assert rerank_fit(["--refit", "--features", str(tmp_path / "none.json")]) == 2
    assert "--refit needs --features" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"[{", b"\x00\xff binary", b'{"lang": "zh"}', b'[{"lang": "zh", "article": 40, "passages": [[1]]}]'])
def test_a_features_file_of_the_wrong_kind_is_named(tmp_path, capsys, content):
    features = tmp_path / "scores.json"
    features.write_bytes(content)
    assert rerank_fit(["--refit", "--features", str(features)]) == 2
    err = capsys.readouterr().err
    assert "--features scores.json" in err and "Traceback" not in err
