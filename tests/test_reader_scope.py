"""What a number or a fact belongs to: the edition of a gathering (the 14th film festival is not
the first), the stage of a thing built (those being built are not those built), and the place a
sentence speaks of (a city's count is not its province's). End to end over a small index of two
news pages on other topics built here (a film festival, sports parks); none of it is from the dev set."""

from __future__ import annotations

import pytest
from news_pages import index_pages

from rag.answering.question import building_stage
from rag.numbers import edition, editions_in

PAGES = {
    "film_festival.txt": "# 第十四届北京国际电影节开幕\n\n"
    "4月18日晚，第十四届北京国际电影节在怀柔雁栖湖国际会展中心开幕，来自全球的1500余部影片报名参加天坛奖评选。"
    "本届电影节为期八天。\n\n"
    "北京市电影局局长王杰群介绍，本届电影节共设置六大主体活动。\n",
    "sports_parks.txt": "# 四川绵阳推进全民健身\n\n"
    "绵阳市体育局着力推进全民健身设施建设，积极争取建设资金，全市共建成社区体育公园120个、健身步道300公里，"
    "在建社区体育公园35个。\n\n"
    "绵阳市体育局局长刘勇表示，明年将实现社区体育公园街道全覆盖。\n",
}


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    return index_pages(tmp_path_factory.mktemp("scope"), PAGES)


@pytest.mark.parametrize(
    "text, language, number",
    [
        ("首届北京国际电影节在哪里开幕？", "zh", 1),
        ("第十四届北京国际电影节", "zh", 14),
        ("第 3 届论坛", "zh", 3),
        ("Where did the first Beijing International Film Festival open?", "en", 1),
        ("the 14th Beijing International Film Festival", "en", 14),
        ("At the third national anti-drug social work exchange meeting", "en", 3),
        ("Which came first, the festival or the forum?", "en", None),  # an order, not an edition
        ("Who was the first director of the film bureau?", "en", None),
        ("北京国际电影节在哪里开幕？", "zh", None),
    ],
)
def test_the_edition_a_question_names(text, language, number):
    assert edition(text, language) == number


def test_the_editions_a_passage_tells_of():
    assert editions_in("2023年第三届全国禁毒社会工作发展交流会在云南昆明召开，首届交流会于2019年举办") == {1, 3}
    assert editions_in("第 14 届北京国际电影节；第二十一届中国国际工业博览会") == {14, 21}
    assert editions_in("超级碗50在圣克拉拉举行") == frozenset()  # a number in the name is no edition


@pytest.mark.parametrize(
    "text, stage",
    [("在建社区体育公园35个", "building"), ("全市共建成社区体育公园120个", "built"), ("How many parks are under construction?", "building"),
     ("How many parks has Mianyang built?", "built"), ("绵阳有多少个社区体育公园？", None)],
)
def test_the_stage_of_a_thing_built(text, stage):
    assert building_stage(text) == stage


@pytest.mark.parametrize(
    "question", ["首届北京国际电影节在哪里开幕？", "Where did the first Beijing International Film Festival open?"]
)
def test_another_edition_of_a_gathering_is_not_answered(news, question):
    # the page tells of the 14th festival only: its venue is not the first one's
    answer = news.ask(question)
    assert answer.refused, answer.answer


def test_the_edition_asked_is_answered(news):
    answer = news.ask("第十四届北京国际电影节在哪里开幕？")
    assert not answer.refused, answer.answer
    assert "怀柔" in answer.short_answer


@pytest.mark.parametrize("question, expected", [("绵阳已建成多少个社区体育公园？", "120"), ("绵阳在建的社区体育公园有多少个？", "35")])
def test_things_built_are_not_counted_with_things_being_built(news, question, expected):
    answer = news.ask(question)
    assert not answer.refused, answer.answer
    assert expected in answer.short_answer


def test_a_city_count_is_not_its_province_count(news):
    # the sentence's subject is 绵阳市体育局 and its later clauses say 全市: Mianyang's parks, not Sichuan's
    answer = news.ask("四川全省建成了多少个社区体育公园？")
    assert answer.refused, answer.answer
