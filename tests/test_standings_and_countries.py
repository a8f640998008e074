"""A standing in a ranking, a country's count, a count of things and the holder of an office, as
the reader weighs them: "排第一的是哪个市" is not answered by the city a sentence ranks second,
"德国有多少所职业院校" not by the count of a sentence telling China's, "多少家企业" not by a head count,
and "驻华大使叫什么名字" not by a counsellor of the 大使馆. Unit tests plus a real index of two pages on
other topics (a province's tourism figures, a Sino-German vocational-education forum); none of it
comes from the dev set or the bundled pages."""

from __future__ import annotations

import pytest
from news_pages import index_pages

from rag.answering.question import asked_titles, asks_name, countries_in, names_title
from rag.numbers import standing, standings_in


@pytest.mark.parametrize(
    "text, language, found",
    [
        ("旅游收入居全省第二", "zh", {2}),
        ("在全国同类城市中排名第一", "zh", {1}),
        ("位列全国第3位", "zh", {3}),
        ("获得女子组第一名", "zh", {1}),
        ("名列榜首", "zh", {1}),
        ("居全国第十二", "zh", {12}),
        ("第三届论坛", "zh", set()),  # an edition
        ("全市首家社区书店", "zh", set()),  # a first of its kind
        ("全国第一个以阅读为主题的小镇", "zh", set()),
        ("第二批试点单位", "zh", set()),  # an ordinal item
        ("该系列的第八部作品", "zh", set()),
        ("The city ranked second in the province", "en", {2}),
        ("which team finished in first place?", "en", {1}),
        ("the first city to open a library", "en", set()),
    ],
)
def test_standings_a_text_states(text, language, found):
    assert standings_in(text, language) == frozenset(found)


@pytest.mark.parametrize(
    "question, language, asked",
    [
        ("全省旅游收入排第一的是哪个市？", "zh", 1),
        ("宜昌旅游收入居全省第二，那全省第一是哪个市？", "zh", 1),  # the standing of the clause asking
        ("宜昌旅游收入在全省排第几？", "zh", None),  # asks for the standing itself
        ("Which city ranked first in tourism revenue?", "en", 1),
        ("What place did Yichang take?", "en", None),
    ],
)
def test_the_standing_a_question_names(question, language, asked):
    assert standing(question, language) == asked


def test_an_office_is_not_the_title_it_is_named_after():
    assert asked_titles("德国驻华大使馆教育参赞是谁？") == set()
    assert asked_titles("德国驻华大使叫什么名字？") == {"大使"}
    text = "德国驻华大使馆教育参赞施密特出席论坛并致辞。"
    assert not names_title(text, text.index("施密特"), text.index("施密特") + 3, {"大使"})
    assert asks_name("德国驻华大使叫什么名字？") and asks_name("What is the name of the German ambassador?")
    assert not asks_name("德国驻华大使是哪一年到任的？")


def test_countries_a_text_names():
    assert countries_in("中德职业教育论坛上，德国代表介绍了德国的学徒制") == {"德国"}
    assert countries_in("宜昌市旅游收入居全省第二") == frozenset()


PAGES = {
    "tourism.txt": "# 全省旅游收入公布\n\n"
    "省文化和旅游厅日前公布2025年各市旅游收入。宜昌市全年接待游客8600万人次，旅游收入居全省第二。\n\n"
    "宜昌市文旅局局长周涛介绍，全市共有A级景区52个，今年新增民宿320家。\n",
    "forum.txt": "# 中德职业教育论坛举行\n\n"
    "5月10日，中德职业教育论坛在武汉举行。\n\n"
    "中国目前共有职业院校1.1万所，在校生约3000万人，每年培养毕业生约1000万名。\n\n"
    "据介绍，德国共有约130万名学徒，学徒在企业和学校之间交替学习。\n\n"
    "德国驻华大使馆教育参赞施密特出席论坛并致辞。德方介绍，德国参与双元制培训的企业约有40万家，"
    "企业每年投入培训经费超过80亿欧元。据悉，全德目前约有200万职业教育从业者。\n",
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return index_pages(tmp_path_factory.mktemp("standings"), PAGES)


@pytest.mark.parametrize(
    "question",
    [
        "全省旅游收入排第一的是哪个市？",  # the page ranks 宜昌 second and names no first
        "Which city ranked first in the province for tourism revenue?",
    ],
)
def test_another_standing_does_not_answer(pages, question):
    answer = pages.ask(question)
    assert answer.refused or "宜昌" not in (answer.short_answer or ""), answer.answer


def test_the_standing_itself_is_answered(pages):
    answer = pages.ask("宜昌市旅游收入在全省排第几？")
    assert not answer.refused and "第二" in answer.short_answer, answer.answer


def test_another_countrys_count_does_not_answer(pages):
    answer = pages.ask("德国有多少所职业院校？")  # the page counts China's 1.1万所
    assert answer.refused or "1.1万" not in (answer.short_answer or ""), answer.answer
    answer = pages.ask("How many vocational schools does Germany have?")
    assert answer.refused or "1.1万" not in (answer.short_answer or ""), answer.answer
    answer = pages.ask("中国有多少所职业院校？")
    assert not answer.refused and "1.1万" in answer.short_answer, answer.answer
    answer = pages.ask("德国有多少名学徒？")
    assert not answer.refused and "130万" in answer.short_answer, answer.answer


def test_the_holder_of_an_office_is_not_a_counsellor_of_its_embassy(pages):
    answer = pages.ask("德国驻华大使叫什么名字？")  # only the embassy's 教育参赞 is named
    assert answer.refused or "施密特" not in (answer.short_answer or ""), answer.answer


def test_a_count_of_things_is_not_a_head_count(pages):
    answer = pages.ask("全德目前有多少家职业教育机构？")  # the page counts 200万 people in vocational education
    assert answer.refused or "200万" not in (answer.short_answer or ""), answer.answer
    answer = pages.ask("全德目前约有多少职业教育从业者？")
    assert not answer.refused and "200万" in answer.short_answer, answer.answer
    answer = pages.ask("德国参与双元制培训的企业有多少家？")
    assert not answer.refused and "40万" in answer.short_answer, answer.answer
