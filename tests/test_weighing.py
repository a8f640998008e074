"""A question weighing two things whose numbers stand in different articles ("Which city has more
public library branches, Kunming or Dali?"): each thing's own question finds its passage, the
answer names the one with more and cites both numbers. End to end over a small index of news pages
on other topics than the dev set (libraries, a marathon, a harvest), built here."""

from __future__ import annotations

import pytest
from news_pages import index_pages

PAGES = {
    "kunming.txt": "昆明市公共图书馆建设稳步推进\n\n记者从昆明市文化和旅游局获悉，今年以来，昆明市持续推进公共图书馆总分馆制建设。"
                   "截至6月底，昆明市已建成公共图书馆分馆146个，覆盖全市所有街道。市图书馆馆长介绍，分馆每月举办读书会和亲子阅读活动，"
                   "今年上半年接待读者超过80万人次。下一步，昆明市将推动分馆向社区延伸。\n",
    "dali.txt": "大理州完善公共文化服务体系\n\n大理州文化和旅游局近日召开工作推进会。会议通报，大理州已建成公共图书馆分馆58个，"
                "乡镇综合文化站实现全覆盖。与会人员表示，要加强数字图书馆建设，提升农村群众的阅读便利度。大理州还将举办民族文化节。\n",
    "marathon.txt": "厦门马拉松鸣枪开跑\n\n1月7日，厦门马拉松在环岛路鸣枪开跑，来自国内外的3万名选手参加比赛，"
                    "赛事组委会共招募志愿者5000名。男子组冠军成绩为2小时8分。\n",
    "apples.txt": "静宁苹果喜获丰收\n\n今年静宁县苹果种植面积达100万亩，产量预计超过90万吨，全县共有苹果合作社800余家，"
                  "电商网店1200多家，苹果成为当地农民增收的主要来源。\n",
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    return index_pages(tmp_path_factory.mktemp("weighing"), PAGES)


@pytest.mark.parametrize(
    "question, winner",
    [
        ("昆明市和大理州，哪个地方的公共图书馆分馆更多？", "昆明市更多"),
        ("昆明市和大理州，哪个地方的公共图书馆分馆更少？", "大理州更少"),
        ("Which has more public library branches, Kunming or Dali?", "Kunming"),
        # a request for each number after the comparison is answered by the same answer
        ("昆明市和大理州，哪个地方的公共图书馆分馆更多？分别有多少？", "昆明市更多"),
        ("Which city has more public library branches, Kunming or Dali, and how many does each have?", "Kunming"),
    ],
)
def test_two_numbers_from_two_articles_are_weighed(pipeline, question, winner):
    answer = pipeline.ask(question)
    assert not answer.refused and answer.short_answer == winner
    assert "146个" in answer.answer and "58个" in answer.answer
    assert {c.source for c in answer.citations} == {"kunming.txt", "dali.txt"}


def test_other_questions_keep_their_passages(pipeline):
    # a question weighing nothing is retrieved once, as before
    assert pipeline._weighed("昆明市建成了多少个公共图书馆分馆？", "zh", [], 5) == []


@pytest.mark.parametrize(
    "question, language, rest",
    [
        ("硕士点和博士点，哪个更多？分别有多少？", "zh", "硕士点和博士点，哪个更多？"),
        ("硕士点和博士点，哪个更多，各有多少个？", "zh", "硕士点和博士点，哪个更多？"),
        ("Which has more stations, Kunming or Dali, and how many does each have?", "en", "Which has more stations, Kunming or Dali?"),
        ("分别有多少？", "zh", "分别有多少？"),  # nothing before it: not a comparison's tail
        ("昆明和大理分别有多少个分馆？", "zh", "昆明和大理分别有多少个分馆？"),  # two values asked, nothing weighed
    ],
)
def test_a_request_for_each_number_is_read_with_the_comparison(question, language, rest):
    from rag.answering.question import without_each_request

    assert without_each_request(question, language) == rest
