"""A value of a list of labelled values ("一等奖5000元、二等奖3000元、三等奖1000元") is answered by the
label the question names, in Chinese and in English (the English label through the user's glossary,
``$RAG_HOME/glossary.tsv``), and a question asking two of them gets each its own. A real index of a
page on another topic (a city marathon's prize money); none of it comes from the dev set or the
bundled pages."""

from __future__ import annotations

import pytest

PAGE = (
    "# 城市马拉松赛落幕\n\n"
    "11月3日，第六届城市马拉松赛在滨江公园鸣枪开跑，共有1.2万名选手参赛。\n\n"
    "市体育局介绍，本届赛事按照一等奖5000元、二等奖3000元、三等奖1000元的标准向各组别获奖选手发放奖金，"
    "赛事总投入约260万元。\n\n"
    "赛道沿线共设置补给站12个、医疗点20个，志愿者800余名参与服务。\n"
)


@pytest.fixture(scope="module")
def marathon(tmp_path_factory):
    from rag.pipeline import Pipeline
    from rag.settings import load_settings

    root = tmp_path_factory.mktemp("labelled")
    (root / "pages").mkdir()
    (root / "pages" / "marathon.txt").write_text(PAGE, encoding="utf-8")
    (root / "home").mkdir()
    (root / "home" / "glossary.tsv").write_text(
        "first prize\t一等奖\nsecond prize\t二等奖\nthird prize\t三等奖\nprize money\t奖金\n", encoding="utf-8"
    )
    pipeline = Pipeline(load_settings({"home": root / "home"}, environ={}))
    pipeline.ingest([root / "pages"])
    return pipeline


@pytest.mark.parametrize(
    "question, value",
    [
        ("三等奖的奖金是多少？", "1000元"),
        ("二等奖奖金多少钱？", "3000元"),
        ("How much prize money does a third prize winner get?", "1000元"),
    ],
)
def test_the_value_of_the_label_asked(marathon, question, value):
    answer = marathon.ask(question)
    assert not answer.refused, answer.answer
    assert answer.short_answer.startswith(value) or answer.short_answer.endswith(value), answer.short_answer
    assert all(v not in answer.short_answer for v in ("5000元", "3000元", "1000元") if v != value), answer.short_answer


def test_two_labels_asked_get_each_their_value(marathon):
    answer = marathon.ask("How much is the first prize, and how much is the third prize?")
    assert not answer.refused, answer.answer
    assert "5000" in answer.answer and "1000元" in answer.answer, answer.answer
    assert "260万" not in answer.short_answer, answer.short_answer
