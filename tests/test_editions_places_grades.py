"""An edition named a sentence before, the smaller of two places asked, a grade of a qualification,
a share beside a count, English counts of things, claims of all, "not just", and English questions
asking two things, as the reader weighs them: "第二届…有多少名选手参加" is not answered by the attendance
of a paragraph about the third, "How many … has Datong built in Shanxi" not by Shanxi's count,
"高级工程师有多少人" not by the count of all 工程师, "what share …" gets the share of the sentence the
reader found, "是不是全部…" is answered no by a share under 100%, "not just" is no negation, and
"Which city …, and when …" gets both. Unit tests plus a real index of pages on other topics (a
science contest, a province's city reading rooms, a city's engineers and nurses, French care
homes); none of it comes from the dev set or the bundled pages."""

from __future__ import annotations

import pytest
from news_pages import index_pages

from rag.answering.question import (
    asked_grade,
    claims_all,
    grade_dropped,
    modified_otherwise,
    negated,
    place_tiers,
    places_in,
    sibling_nouns,
)


def test_a_city_jieba_tags_as_a_noun_is_a_place():
    assert "大同" in places_in("大同市建成城市书房40家")
    assert place_tiers("大同市和山西省") == {"大同": 2, "山西": 1}
    assert places_in("全国的直辖市和地级市") == frozenset()  # kinds of city, not cities
    assert place_tiers("城市书房") == {}  # the 城 of 城市 is no place


def test_a_city_that_is_a_province_has_a_provinces_tier():
    assert place_tiers("上海市和甘肃省") == {"上海": 1, "甘肃": 1}


@pytest.mark.parametrize(
    "question, text, dropped",
    [
        ("全市有多少人具有高级工程师职称？", "全市具有工程师职称的技术人员860人。", True),
        ("全市有多少人具有高级工程师职称？", "全市具有高级工程师职称的技术人员120人。", False),
        ("高级工程师每月补贴多少元？", "按照助理工程师100元、工程师200元、高级工程师400元每月的标准发放补贴。", False),
        ("全市有多少人具有高级工程师职称？", "全市共有技术人员5600人。", False),  # names no 工程师: not judged
    ],
)
def test_a_grade_asked_and_dropped(question, text, dropped):
    assert grade_dropped(asked_grade(question), text) is dropped


@pytest.mark.parametrize(
    "asked, counted, other",
    [
        ("持证护士", "向乡镇卫生院派驻护士", True),  # certified nurses are not the nurses sent
        ("派驻护士", "向乡镇卫生院派驻护士", False),
        ("护士", "向乡镇卫生院派驻护士", False),  # the question writes no modifier
        ("社区护理站", "全市共建成社区护理站", False),
    ],
)
def test_a_noun_modified_otherwise(asked, counted, other):
    assert modified_otherwise(asked, counted) is other


def test_siblings_are_kinds_of_a_place_or_body():
    assert sibling_nouns("社区护理站", "社区护理室")  # two kinds of one thing
    assert not sibling_nouns("服务时长", "记录服务时间")  # one thing, two words for it


def test_not_just_is_no_negation():
    assert not negated("Is the contest open to pupils, not just high school students?", "en")
    assert negated("Is the contest not open to pupils?", "en")


def test_a_claim_of_all():
    assert claims_all("山西省的乡镇是不是全部建成了城市书房？", "zh")
    assert claims_all("Does every township in Shanxi have a reading room?", "en")
    assert not claims_all("山西省城市书房覆盖率超过70%了吗？", "zh")


def test_no_grade_asked():
    assert asked_grade("全市有多少人具有工程师职称？") is None


PAGES = {
    "contest.txt": "# 第三届全国青少年科技创新大赛开幕\n\n"
    "8月2日，2025年第三届全国青少年科技创新大赛在合肥开幕。来自全国28个省份的1200名选手参加比赛，"
    "展出作品900余件。\n\n"
    "大赛组委会介绍，本届大赛设立小学、初中、高中三个组别，评出一等奖60个。\n",
    "reading.txt": "# 山西城市书房建设提速\n\n"
    "记者从山西省文化和旅游厅获悉，目前山西省已建成城市书房860家，覆盖率达到72.5%，"
    "年接待读者1500万人次，其中太原、晋中实现县区全覆盖。\n\n"
    "大同市图书馆馆长李明介绍，大同市今年将新建城市书房40家。\n",
    "engineers.txt": "# 宜宾市专业技术人才队伍持续壮大\n\n"
    "宜宾市人社局日前发布数据，全市具有工程师职称的专业技术人员8600人，每年新增专业技术人员1200人。\n\n"
    "按照助理工程师100元、工程师200元、高级工程师400元每月的标准发放人才补贴。\n",
    "nurses.txt": "# 宜宾市护理队伍持续壮大\n\n"
    "宜宾市卫健委介绍，全市共建成社区护理站85个，向乡镇卫生院派驻护士300余名。\n\n"
    "据介绍，目前全省超九成乡镇已建成护理站，基本实现护理服务全覆盖。\n",
    "care.txt": "# 中法养老服务交流会在成都举行\n\n"
    "中方介绍，中国目前共有养老机构4万家，养老床位500万张。\n\n"
    "法国养老协会代表介绍，法国共有超过60万养老护理从业者，分布在法国全境。\n",
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return index_pages(tmp_path_factory.mktemp("editions"), PAGES)


@pytest.mark.parametrize(
    "question",
    [
        "第二届全国青少年科技创新大赛有多少名选手参加？",
        "How many contestants took part in the second national youth science and technology innovation contest?",
    ],
)
def test_the_attendance_of_another_edition_does_not_answer(pages, question):
    answer = pages.ask(question)  # the paragraph tells of the third contest only
    assert answer.refused or "1200" not in (answer.short_answer or ""), answer.answer


def test_the_attendance_of_the_edition_asked_is_answered(pages):
    answer = pages.ask("第三届全国青少年科技创新大赛有多少名选手参加？")
    assert not answer.refused and "1200" in answer.short_answer, answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "大同市在山西省建成了多少家城市书房？",  # the smaller place is asked
        "山西省大同市已建成多少家城市书房？",
    ],
)
def test_the_count_of_the_larger_place_does_not_answer(pages, question):
    answer = pages.ask(question)
    assert answer.refused or "860" not in (answer.short_answer or ""), answer.answer


def test_the_count_of_the_place_asked_is_answered(pages):
    answer = pages.ask("山西省已建成多少家城市书房？")
    assert not answer.refused and "860" in answer.short_answer, answer.answer


def test_a_share_beside_a_count(pages):
    answer = pages.ask("山西省城市书房覆盖率是多少？")
    assert not answer.refused and "72.5%" in answer.short_answer, answer.answer


def test_a_grade_dropped_does_not_answer(pages):
    answer = pages.ask("宜宾市有多少人具有高级工程师职称？")  # the page counts all 工程师
    assert answer.refused or "8600" not in (answer.short_answer or ""), answer.answer
    answer = pages.ask("宜宾市有多少人具有工程师职称？")
    assert not answer.refused and "8600" in answer.short_answer, answer.answer
    answer = pages.ask("宜宾市高级工程师每月的人才补贴是多少元？")  # the list names each grade
    assert not answer.refused and "400元" in answer.short_answer, answer.answer


def test_a_count_of_another_kind_does_not_answer(pages):
    answer = pages.ask("宜宾市有多少名持证护士？")  # the page counts the nurses sent to township clinics
    assert answer.refused or "300" not in (answer.short_answer or ""), answer.answer
    answer = pages.ask("宜宾市向乡镇卫生院派驻了多少名护士？")
    assert not answer.refused and "300余名" in answer.short_answer, answer.answer


def test_a_share_does_not_answer_how_many(pages):
    answer = pages.ask("全省已建成多少个乡镇护理站？")  # the page says 九成 of townships have one
    assert answer.refused or "九成" not in (answer.short_answer or ""), answer.answer


def test_an_english_count_of_things_is_not_a_head_count(pages):
    answer = pages.ask("How many elderly care institutions are there in France?")  # 60万 care workers
    assert answer.refused or "60万" not in (answer.short_answer or ""), answer.answer
    answer = pages.ask("How many elderly care institutions are there in China?")
    assert not answer.refused and "4万" in answer.short_answer, answer.answer


def test_a_claim_of_all_against_a_share_under_all(pages):
    answer = pages.ask("山西省的乡镇是不是全部建成了城市书房？")  # 覆盖率达到72.5%
    assert not answer.refused and answer.answer.startswith("否"), answer.answer
    answer = pages.ask("山西省城市书房覆盖率超过70%了吗？")
    assert not answer.refused and answer.answer.startswith("是"), answer.answer


def test_not_just_does_not_turn_a_yes_into_a_no(pages):
    answer = pages.ask("Is the contest open to primary school pupils, not just high school students?")
    assert answer.refused or answer.answer.startswith("Yes"), answer.answer


def test_an_english_question_asking_two_things(pages):
    answer = pages.ask("Which city hosted the third national youth science and technology innovation contest, "
                       "and when did it open?")
    assert not answer.refused and "合肥" in answer.short_answer and "8月2日" in answer.short_answer, answer.answer
