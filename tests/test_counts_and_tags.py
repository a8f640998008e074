"""Chinese yes / no questions closed by "…了没有？" (a question, not a denial), shares compared in
tenths ("超过八成") or after a bare 过 ("过70%"), and counts of places or bodies (服务站, 社工室) that a
count of occurrences ("累计40次") or of another body ("6个志愿小组") does not answer, a number compared
read from its own item of a list, money asked by its noun ("投入了多少资金"), and a first edition not
answered from an article on the second. Unit tests plus a
real index of pages on other topics (elderly care stations in two cities); none of it comes from the
dev set or the bundled pages."""

from __future__ import annotations

import pytest
from news_pages import index_pages

from rag.answering.question import asks_yes_no, counted_after, counts_bodies, negated, yes_no_predicate
from rag.numbers import asked_comparison


def test_a_closing_tag_asks_and_does_not_deny():
    for question in ("养老服务站的覆盖率过70%了没有？", "食堂建成了没有", "他去过没？"):
        assert asks_yes_no(question, "zh"), question
        assert not negated(question, "zh"), question
    assert negated("他们今年没有涨工资吗？", "zh")  # a denial inside the question stays one
    assert yes_no_predicate("养老服务站建成了没有？").endswith("建成")


def test_shares_compared_in_tenths_and_after_a_bare_guo():
    over = asked_comparison("服务站数量占社区总数的比例超过八成了吗？")
    assert over is not None and (over.relation, over.value, over.unit) == (">", 80.0, "%")
    bare = asked_comparison("覆盖率过70%了没有？")
    assert bare is not None and (bare.relation, bare.value) == (">", 70.0)
    assert asked_comparison("有没有通过70人？") is None  # the 过 of 通过
    days = asked_comparison("交流会为期超过三天吗？")  # a Chinese numeral after its qualifier
    assert days is not None and (days.relation, days.value, days.unit) == (">", 3.0, "天")
    words = asked_comparison("Did the fair run for more than three days?")  # an English number word
    assert words is not None and (words.relation, words.value) == (">", 3.0)
    assert asked_comparison("Did it last no more than five days?").relation == "<="
    assert asked_comparison("Is the city planning stations in six towns over three years?") is None  # a span
    assert asked_comparison("Did the fair last over three days?").relation == ">"
    assert asked_comparison("这是一成不变的吗？") is None


def test_places_and_bodies_counted():
    assert counts_bodies("养老服务站") and counts_bodies("社工室") and counts_bodies("志愿小组")
    assert not counts_bodies("培训班") and not counts_bodies("座谈会") and not counts_bodies("人次")
    assert counted_after("6个志愿小组参与送餐活动累计40次", 2) == "志愿小组"
    assert counted_after("养老服务站120个，覆盖率达到75%", 9) == ""  # a clause mark, no noun


PAGES = {
    "yibin.txt": "# 宜宾市养老服务站建设提速\n\n"
    "目前，宜宾市已建成养老服务站120个，覆盖率达到75%，其中翠屏区实现全覆盖。\n",
    "luzhou.txt": "# 泸州市养老服务站开展助餐服务\n\n"
    "泸州市养老服务站开展助餐服务，6个志愿小组参与送餐活动累计40次。\n",
    "zigong.txt": "# 自贡市养老服务体系建设情况\n\n"
    "自贡市着力完善养老服务体系，全市共建成县级养老指导中心3个、乡镇养老服务站45个、村级养老服务点210个，"
    "2023年投入养老服务资金860余万元。\n\n截至目前，全市养老服务人才总数近3000人，持证养老护理员1200余人。\n",
    "fest.txt": "# 川南养老服务交流会将办第二届\n\n"
    "记者获悉，主办方将于明年5月在自贡举办第二届川南养老服务交流会，届时将邀请各地养老机构参会。\n",
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return index_pages(tmp_path_factory.mktemp("counts"), PAGES)


@pytest.mark.parametrize(
    "question, verdict",
    [
        ("宜宾市养老服务站的覆盖率过70%了没有？", "是"),
        ("宜宾市养老服务站的覆盖率超过八成了吗？", "否"),
        ("宜宾市养老服务站建成了没有？", "是"),
    ],
)
def test_yes_no_questions_of_a_share(pages, question, verdict):
    answer = pages.ask(question)
    assert not answer.refused and answer.answer.startswith(verdict), answer.answer


@pytest.mark.parametrize(
    "question, verdict",
    [
        ("Does Zigong have more than 40 township elderly care stations?", "Yes"),  # the list's 45, not its 3
        ("自贡的村级养老服务点超过300个了吗？", "否"),
        ("自贡持证养老护理员有没有超过2000人？", "否"),  # its own clause's 1200, not the 3000 before it
        ("自贡养老服务人才总数有没有超过2000人？", "是"),
    ],
)
def test_a_number_compared_is_read_from_its_own_item_of_a_list(pages, question, verdict):
    answer = pages.ask(question)
    assert not answer.refused and answer.answer.startswith(verdict), answer.answer


def test_money_asked_is_money(pages):
    answer = pages.ask("自贡市2023年投入了多少养老服务资金？")
    assert not answer.refused and "860" in answer.short_answer, answer.answer


def test_the_first_edition_is_not_the_second(pages):
    answer = pages.ask("首届川南养老服务交流会是在哪里举办的？")  # the page announces the second only
    assert answer.refused, answer.answer
    answer = pages.ask("第二届川南养老服务交流会将在哪里举办？")
    assert not answer.refused and "自贡" in answer.short_answer, answer.answer


def test_a_count_of_stations_is_not_a_count_of_occurrences(pages):
    answer = pages.ask("泸州市一共建成了多少个养老服务站？")  # the page counts groups and deliveries only
    assert answer.refused or not any(n in (answer.short_answer or "") for n in ("6个", "40次")), answer.answer
    answer = pages.ask("宜宾市一共建成了多少个养老服务站？")
    assert not answer.refused and "120" in answer.short_answer, answer.answer
