"""Near-miss questions whose every name is in the archive, answered with a neighbouring fact until
this round: another person's office in the same sentence, the number the question itself states,
the province's figure for a city of it, another edition of a campaign. Unit tests of the rules
and end to end over two short pages on other topics (a village tour, a community pilot scheme)
built here; none of it comes from the dev set or the bundled pages."""

from __future__ import annotations

import pytest
from news_pages import index_pages

from rag.answering.question import names_title, place_nesting, question_kind
from rag.numbers import editions_in

TOUR = "考察结束后，一行人与滨江区文化馆馆长周丽、滨江区江北街道黄石村党支部书记刘强、浙江省杭州市滨江区江北街道牌楼村村民陈梅等人座谈。"


@pytest.mark.parametrize(
    "name, titles, holds",
    [
        ("刘强", {"书记"}, True),
        ("陈梅", {"书记"}, False),  # the 书记 of the sentence is 刘强's
        ("周丽", {"馆长"}, True),
        ("陈梅", {"馆长"}, False),
    ],
)
def test_a_title_belongs_to_the_name_written_after_it(name, titles, holds):
    start = TOUR.index(name)
    assert names_title(TOUR, start, start + len(name), titles) is holds


@pytest.mark.parametrize(
    "text, name",
    [
        ("董事会任命王立新为公司总经理。", "王立新"),  # the title after the name
        ("纪录由约翰·埃尔维保持，他在38岁时夺冠，目前担任球队总经理。", "约翰·埃尔维"),  # a later clause, by a pronoun
        ("公司党委书记、总经理李华出席。", "李华"),  # a run of titles joined by 、
    ],
)
def test_the_holder_named_before_or_after_the_title(text, name):
    start = text.index(name)
    assert names_title(text, start, start + len(name), {"总经理"})


@pytest.mark.parametrize(
    "question, inner, outer",
    [
        ("河北省保定市的社工站覆盖率是多少？", {"保定"}, {"河北"}),  # 保定市 (a noun to jieba) right after the province
        ("河北石家庄市的社工站覆盖率是多少？", {"石家庄"}, {"河北"}),  # the province without its suffix
        ("江苏省南京市江宁区有多少个社区？", {"江宁"}, {"江苏", "南京"}),
        ("廊坊市和邢台市各有多少个社工站？", {"廊坊", "邢台"}, set()),  # two cities, neither inside the other
        ("河北省建成了多少个社工站？", {"河北"}, set()),
    ],
)
def test_the_place_asked_is_the_innermost_one_written(question, inner, outer):
    assert place_nesting(question) == (inner, outer)


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Who is the president of Dali University, where the training base was set up?", "who"),
        ("Who was the leader when the Franks entered the valley?", "who"),
        ("Where is the second station, and when did it open?", "where"),
        ("When did the second station open?", "when"),
    ],
)
def test_an_english_question_asks_what_its_first_word_asks(question, kind):
    assert question_kind(question, "en") == kind


@pytest.mark.parametrize(
    "question, stage",
    [("社工站现在建了多少家？", "built"), ("在建社工站有多少个？", "building"), ("正在建设的有几个？", "building"), ("博物馆所在建筑有多高？", None)],
)
def test_now_built_is_not_being_built(question, stage):
    from rag.answering.question import building_stage

    assert building_stage(question) == stage


def test_an_english_campaign_or_award_has_editions():
    assert editions_in("When was the first 'Search for the Most Beautiful Nurse' campaign launched?", "en") == {1}
    assert editions_in("Who won the 3rd China Charity Award?", "en") == {3}
    assert editions_in("Which was the first city to finish the metro?", "en") == frozenset()


def _passage(rank: int, text: str):
    from rag.models import Chunk, Passage

    chunk = Chunk(f"c{rank}", "page.txt", 0, "", "", text, 0, len(text), len(text))
    return Passage(chunk=chunk, score=1.0 / rank, rank=rank)


def test_the_passages_naming_the_office_asked_are_read_first():
    from rag.answering.reader.answerer import _titles_first

    passages = [
        _passage(1, "研究院院长雷兴山等参加调研。"),
        _passage(2, "副执行院长王强主持会议。"),  # a deputy's title is not the office
        _passage(3, "研究院成立于2015年。"),
        _passage(4, "座谈中，研究院执行院长席小华介绍了情况。"),
    ]
    assert [p.rank for p in _titles_first(passages, {"执行院长"})] == [4, 1, 2, 3]
    assert [p.rank for p in _titles_first(passages, {"副执行院长"})] == [2, 1, 3, 4]


@pytest.mark.parametrize(
    "question, answer, restated",
    [
        ("264个试点项目中，宁波市占了多少个？", "264个", True),
        ("在第四节中，比赛还剩多少时间？", "4分51秒", False),  # 第四节 is an ordinal, not a figure asked about
        ("在第 4 节，比赛还剩多少时间？", "4分51秒", False),
        ("一个委员会通常对应几个部？", "一个", False),  # the 一 of 一个 is an article as much as a number
        ("2021年以来开展了多少个项目？", "2021年", False),  # a year is no figure
        ("Of the 264 pilot projects, how many were in Ningbo?", "264个", True),
        ("How many stations were built? 三级 社工站", "3个", False),  # a bridged Chinese term is not the question's
    ],
)
def test_a_number_the_question_states_is_not_its_answer(question, answer, restated):
    from rag.answering.reader.answerer import _given_numbers, _restates
    from rag.language import detect_language

    language = detect_language(question)
    assert _restates(answer, _given_numbers(question, language)) is restated


# --------------------------------------------------------------------------- end to end
PAGES = {
    "village_tour.txt": "# 滨江区考察乡村文化振兴\n\n"
    "5月12日，市文化和旅游局一行到滨江区考察乡村文化振兴工作，先后走访了黄石村文化礼堂和牌楼村非遗工坊。\n\n"
    + TOUR
    + "\n\n刘强介绍，黄石村今年共举办文化活动86场，吸引游客3.2万人次。\n",
    "pilot_scheme.txt": "# 浙江推进社区治理试点\n\n"
    "从2021年起，浙江省启动社区治理创新试点工作，累计开展试点项目264个，带动社会资金2.7亿元。\n\n"
    "目前浙江省建成乡镇（街道）社工站1200个，覆盖率达到90%，服务群众86万人次。\n\n"
    "会上，杭州市、宁波市、温州市分别作了交流发言。\n\n"
    "省民政厅将于今年10月启动第二届“最美社工”评选活动。\n",
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return index_pages(tmp_path_factory.mktemp("neighbours"), PAGES)


@pytest.mark.parametrize(
    "question",
    [
        "牌楼村的党支部书记是谁？",  # only 黄石村's 书记 is named; 陈梅 of 牌楼村 is a villager
        "浙江省开展的264个试点项目中，宁波市占了多少个？",  # not the 264 the question states
        "浙江省宁波市的社工站覆盖率是多少？",  # only the province's 90% is given
        "When was the first 'Most Beautiful Social Worker' selection campaign launched?",  # only the second's date
    ],
)
def test_neighbouring_facts_are_refused(pages, question):
    answer = pages.ask(question)
    assert answer.refused, answer.answer


@pytest.mark.parametrize(
    "question, expected",
    [
        ("黄石村党支部书记是谁？", "刘强"),
        ("浙江省的社工站覆盖率是多少？", "90%"),
        ("浙江省累计开展了多少个试点项目？", "264"),
        ("第二届“最美社工”评选活动什么时候启动？", "10月"),
    ],
)
def test_the_facts_themselves_are_answered(pages, question, expected):
    answer = pages.ask(question)
    assert not answer.refused, answer.answer
    assert expected in answer.short_answer
