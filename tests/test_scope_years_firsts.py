"""The whole nation against a province's whole, a year asked against a sentence's 今年, the second of
a kind against an article on the first, "only" against "both", yes / no questions the reader is
unsure of, a claim of all about one place of a list, "the head of …", the label a count carries,
the whole (全市) of the place an article's title names, a province by its one-letter name (晋省), a
day asked (not a year), a standing asked yes or no, and "Who has more …, A or B", as the reader
weighs them:
"全国…建成了多少家" is not answered by "全省已建成860家", "2022年…多少人通过" not by "今年…通过人数为1800人",
"第二家…设在哪个区" not from an article on the 首家, "是只在线下举行的吗" is answered no by "线上线下相结合",
and "交流会期间下雨了吗" is refused. Unit tests plus a real index of pages on other topics (reading
rooms, a nursing exam, elderly care stations, a trade fair, a health commission); none of it comes
from the dev set or the bundled pages."""

from __future__ import annotations

import re

import pytest
from news_pages import index_pages

from rag.answering.question import (
    asked_alternatives,
    asked_titles,
    asked_years,
    asks_national,
    claims_only,
    combined,
    places_in,
    predicate_tail,
    province_of,
    regional_whole,
    relative_years,
    yes_no_predicate,
)
from rag.numbers import nth, nths_in, states_day


@pytest.mark.parametrize(
    "question, language, national",
    [
        ("全国一共建成了多少家城市书房？", "zh", True),
        ("我国现在有多少名注册护士？", "zh", True),
        ("第三届全国青少年科技创新大赛有多少名选手参加？", "zh", False),  # a gathering's name
        ("How many reading rooms have been built nationwide?", "en", True),
        ("How many reading rooms are there across the country?", "en", True),
        ("How many reading rooms has Shanxi built?", "en", False),
    ],
)
def test_a_question_about_the_whole_nation(question, language, national):
    assert asks_national(question, language) is national


def test_a_whole_below_the_nation():
    assert regional_whole("目前,全省已建成城市书房860家")
    assert regional_whole("全区共有养老驿站300个")
    assert not regional_whole("全国已建成城市书房2.1万家")
    assert not regional_whole("城市书房860家")


def test_years_asked_and_years_relative():
    assert asked_years("宜宾市2022年有多少人通过护士执业资格考试？") == {"2022"}
    assert asked_years("宜宾去年有多少人通过考试？") == {"去年"}
    assert asked_years("How many passed the exam last year?") == {"去年"}
    assert asked_years("宜宾市有多少人通过考试？") == frozenset()
    assert relative_years("今年全市共有3200人报名") == {"今年"}
    assert relative_years("2022年共增加岗位200余个") == frozenset()


def test_the_nth_of_a_kind():
    assert nth("成都第二家社区养老驿站设在哪个区？", "zh") == 2
    assert nth("Where is Chengdu's second community elderly care station?", "en") == 2
    assert nth("成都第几家社区养老驿站设在锦江区？", "zh") is None  # asks which one
    assert nth("Who scored in the second half?", "en") is None  # a time, not one of a kind
    assert nth("第三届全国青少年科技创新大赛在哪里举行？", "zh") is None  # an edition
    assert nths_in("近日，成都首家社区养老驿站在锦江区揭牌成立") == {1}


def test_the_end_of_a_yes_no_predicate():
    assert any(re.search(p, "线下") for p in predicate_tail(yes_no_predicate("交流会是只在线下举行的吗？")))
    assert any(re.search(p, "有轻微毒性") for p in predicate_tail(yes_no_predicate("这种颜料有毒吗？")))
    assert not any(re.search(p, "驿站为老人提供助餐服务") for p in predicate_tail(yes_no_predicate("驿站今年是否涨工资了？")))
    assert predicate_tail("") == []


def test_a_claim_of_one_way_only():
    assert claims_only("交流会是只在线下举行的吗？", "zh")
    assert claims_only("Was the fair held purely online?", "en")
    assert not claims_only("Is the contest open to pupils, not just students?", "en")
    assert not claims_only("交流会是在线下举行的吗？", "zh")
    assert combined("交流会采取线上线下相结合的方式举行")
    assert not combined("交流会在线下举行")


def test_the_head_of_an_office():
    assert "局长" in asked_titles("Who heads the Yibin Civil Affairs Bureau?")
    assert "主任" in asked_titles("Who is the head of the Yibin health commission?")
    assert asked_titles("Who is the deputy head of the Yibin health commission?") == set()


PAGES = {
    "reading.txt": "# 山西城市书房建设提速\n\n"
    "记者从山西省文化和旅游厅获悉，目前,全省已建成城市书房860家，覆盖率达到72.5%，"
    "年接待读者1500万人次，其中太原、晋中实现县区全覆盖。\n",
    "nursing.txt": "# 宜宾市护士执业资格考试通过人数创新高\n\n"
    "今年宜宾市护士执业资格考试报名人数为3200人，通过人数为1800人，通过率居全省第二。\n\n"
    "2022年，宜宾市新增护理岗位300余个。\n",
    "care.txt": "# 成都首家社区养老驿站揭牌\n\n"
    "近日，成都首家社区养老驿站在锦江区揭牌成立，为周边老人提供助餐、助浴和康复服务。\n\n"
    "驿站成立后，老人在家门口就能得到日间照料服务。该模式计划三年内在十个街道推广。\n",
    "fair.txt": "# 中法农产品交流会在昆明举办\n\n"
    "2025年5月12日，中法农产品交流会在昆明举办，交流会采取线上线下相结合的方式举行，两国120家企业参加。\n",
    "health.txt": "# 宜宾市卫健委部署夏季防汛工作\n\n"
    "宜宾市卫健委副主任王强在会上介绍了全市医疗机构的防汛准备情况。\n",
    "homes.txt": "# 中法养老服务交流会在成都举行\n\n"
    "中方介绍，中国目前共有养老机构4万家。\n\n法国养老协会代表介绍，法国共有养老机构7000家。\n",
    "volunteers.txt": "# 四川宜宾：护理志愿服务走进社区\n\n"
    "目前全市已组建护理志愿服务队45支，开展上门护理服务3000余次。\n",
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return index_pages(tmp_path_factory.mktemp("scope"), PAGES)


def test_a_provinces_whole_does_not_answer_the_nation(pages):
    answer = pages.ask("全国一共建成了多少家城市书房？")  # the page counts 全省's
    assert answer.refused or "860" not in (answer.short_answer or ""), answer.answer
    answer = pages.ask("山西省一共建成了多少家城市书房？")
    assert not answer.refused and "860" in answer.short_answer, answer.answer


def test_a_count_of_this_year_does_not_answer_another(pages):
    answer = pages.ask("宜宾市2021年护士执业资格考试有多少人通过？")  # the page gives 今年's
    assert answer.refused or "1800" not in (answer.short_answer or ""), answer.answer
    answer = pages.ask("How many people passed Yibin's nurse licensing exam last year?")
    assert answer.refused or "1800" not in (answer.short_answer or ""), answer.answer
    answer = pages.ask("宜宾市今年护士执业资格考试有多少人通过？")  # the 通过人数, not the 报名人数
    assert not answer.refused and "1800" in answer.short_answer, answer.answer
    answer = pages.ask("宜宾市今年护士执业资格考试有多少人报名？")
    assert not answer.refused and "3200" in answer.short_answer, answer.answer
    answer = pages.ask("宜宾市2022年新增了多少个护理岗位？")  # dated as asked
    assert not answer.refused and "300" in answer.short_answer, answer.answer


@pytest.mark.parametrize(
    "question",
    ["成都第二家社区养老驿站设在哪个区？", "Where is Chengdu's second community elderly care station?"],
)
def test_the_second_of_a_kind_is_not_the_first(pages, question):
    answer = pages.ask(question)  # the article tells of the first (首家) only
    assert answer.refused, answer.answer


def test_the_first_of_a_kind_is_answered(pages):
    answer = pages.ask("成都首家社区养老驿站设在哪个区？")
    assert not answer.refused and "锦江区" in answer.short_answer, answer.answer


def test_only_one_way_against_both(pages):
    answer = pages.ask("中法农产品交流会是只在线下举行的吗？")
    assert not answer.refused and answer.answer.startswith("否"), answer.answer
    answer = pages.ask("中法农产品交流会是线上线下相结合的吗？")
    assert not answer.refused and answer.answer.startswith("是"), answer.answer


def test_a_yes_no_question_the_pages_say_nothing_of(pages):
    answer = pages.ask("中法农产品交流会期间昆明下雨了吗？")
    assert answer.refused, answer.answer


def test_a_claim_of_all_about_one_place_of_a_list(pages):
    answer = pages.ask("太原的县区是否已经全覆盖了？")  # "其中太原、晋中实现县区全覆盖"
    assert not answer.refused and answer.answer.startswith("是"), answer.answer
    answer = pages.ask("山西省的县区是不是全部覆盖了？")  # the province's 72.5%
    assert not answer.refused and answer.answer.startswith("否"), answer.answer


def test_the_head_is_not_the_deputy(pages):
    answer = pages.ask("Who heads the Yibin health commission?")  # the page names its deputy head
    assert answer.refused or "王强" not in answer.answer, answer.answer


def test_a_whole_is_the_whole_of_the_place_its_article_names(pages):
    answer = pages.ask("泸州全市有多少支护理志愿服务队？")  # 全市 of an article on 宜宾
    assert answer.refused or "45" not in (answer.short_answer or ""), answer.answer
    answer = pages.ask("宜宾全市有多少支护理志愿服务队？")
    assert not answer.refused and "45支" in answer.short_answer, answer.answer


def test_a_yes_no_question_of_another_year(pages):
    answer = pages.ask("中法农产品交流会是2024年在昆明举办的吗？")  # the page's sentence is of 2025
    assert answer.refused, answer.answer
    answer = pages.ask("中法农产品交流会是2025年在昆明举办的吗？")
    assert not answer.refused and answer.answer.startswith("是"), answer.answer


def test_a_province_by_its_one_letter_name():
    assert province_of("冀省") == "河北" and province_of("甘方") == "甘肃"
    assert province_of("中方") is None and province_of("冀") is None
    assert "河北" in places_in("冀省乡镇社工站的覆盖率是多少？")
    assert asked_years("湘潭上一年社工考试有多少人通过？") == {"去年"}


def test_a_day_asked_is_a_day():
    assert states_day("2025年5月12日") and states_day("4月26日上午") and states_day("当天")
    assert not states_day("今年宜宾市") and not states_day("2023年")


def test_who_has_more_is_a_comparison():
    alternatives = asked_alternatives("Who has more elderly care homes, China or France?", "en")
    assert alternatives is not None and (alternatives.first, alternatives.second) == ("China", "France")


def test_a_province_named_by_its_one_letter(pages):
    answer = pages.ask("晋省已建成多少家城市书房？")  # 晋 = 山西
    assert not answer.refused and "860" in answer.short_answer, answer.answer


def test_a_day_is_not_answered_with_a_year(pages):
    answer = pages.ask("宜宾市今年护士执业资格考试是哪天考的？")  # the page says 今年, no day
    assert answer.refused, answer.answer
    answer = pages.ask("中法农产品交流会是哪天在昆明举办的？")
    assert not answer.refused and "5月12日" in answer.short_answer, answer.answer


def test_a_yes_no_question_of_a_standing(pages):
    answer = pages.ask("宜宾市护士执业资格考试通过率是不是全省第一？")  # "通过率居全省第二"
    assert not answer.refused and answer.answer.startswith("否"), answer.answer


def test_who_has_more(pages):
    answer = pages.ask("Who has more elderly care institutions, China or France?")
    assert not answer.refused and answer.short_answer.startswith("China"), answer.answer
