"""Reading numbers the way Chinese and English news text writes them."""

from __future__ import annotations

import pytest

from rag.numbers import MEASURE_WORDS, chinese_numeral_value, extract_numbers, parse_number


def values(text: str) -> list[float]:
    return [m.value for m in extract_numbers(text)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3.9万", 39000),
        ("160多万", 1600000),
        ("1.21万余", 12100),
        ("三年", 3),
        ("六个", 6),
        ("两百余", 200),
        ("1203.7万", 12037000),
        ("63.7%", 63.7),
        ("83％", 83),
        ("百分之八十", 80),
        ("1,435", 1435),
        ("12,037,000", 12037000),
        ("１２３", 123),
        ("3千", 3000),
        ("300余名", 300),
        ("近200名", 200),
        ("近3万人", 30000),
        ("十二", 12),
        ("二十七", 27),
        ("三十多万人", 300000),
        ("二〇二〇年", 2020),
        ("twelve", 12),
        ("twenty-seven", 27),
        ("1.3 million", 1300000),
        ("12 thousand", 12000),
        ("3.9 billion", 3900000000),
        ("63.7 percent", 63.7),
    ],
)
def test_single_number_values(text, value):
    assert values(text) == [pytest.approx(value)]
    assert parse_number(text) == pytest.approx(value)


def test_surface_text_unit_and_qualifier():
    (m,) = extract_numbers("持证社工总数1.21万余人。")
    assert (m.text, m.unit, m.approx, m.value) == ("1.21万余人", "人", "余", 12100)
    (m,) = extract_numbers("已建成乡镇（街道）社工站3.9万个")
    assert (m.text, m.unit) == ("3.9万个", "个")
    (m,) = extract_numbers("法国共有超过130万社会工作者")
    assert (m.text, m.approx, m.value) == ("超过130万", "超过", 1300000)
    (m,) = extract_numbers("more than 1.3 million social workers")
    assert (m.text, m.approx) == ("more than 1.3 million", "超过")


def test_offsets_index_the_original_text():
    text = "目前河北省建成乡镇（街道）社工站１４３５家，覆盖率达到63.7%[1]"
    for m in extract_numbers(text):
        assert text[m.start : m.end] == m.text
    assert values(text) == [1435, 63.7]


def test_ordinals_take_their_measure_word():
    (m,) = extract_numbers("2023年第三届全国禁毒社会工作发展交流会")[1:]
    assert (m.value, m.unit, m.text) == (3, "届", "第三届")


def test_dates_stay_as_parts_and_years_are_marked():
    found = extract_numbers("于2020年9月12日正式揭牌")
    assert [(m.value, m.unit, m.is_year) for m in found] == [(2020, "年", True), (9, "月", False), (12, "日", False)]
    assert not extract_numbers("报名人数为1705人")[0].is_year


def test_citation_markers_are_not_numbers():
    assert values("[1]") == []
    assert values("社工站850个[2][3]。") == [850]
    assert values("about 850 stations [1, 2]") == [850]


@pytest.mark.parametrize("text", ["一些", "统一", "一线", "一体化", "三社联动", "十分重要", "一起", "万一", "千万不要", "六化"])
def test_numerals_inside_ordinary_words_are_not_numbers(text):
    assert extract_numbers(text) == []


@pytest.mark.parametrize(("text", "value", "unit"), [("三年", 3, "年"), ("六个", 6, "个"), ("两天", 2, "天"), ("十二届", 12, "届")])
def test_small_chinese_numerals_before_a_measure_word(text, value, unit):
    (m,) = extract_numbers(f"计划{text}里")
    assert (m.value, m.unit) == (value, unit)


def test_a_sentence_with_several_numbers():
    text = "嘉定区计划三年里在六个街镇建立精神健康社工站，两百余名专家学者参会。"
    assert values(text) == [3, 6, 200]


def test_chinese_numeral_grammar():
    assert chinese_numeral_value("一亿三千万") == 130_000_000
    assert chinese_numeral_value("一千零五") == 1005
    assert chinese_numeral_value("十万") == 100_000
    assert chinese_numeral_value("一百十") is None


def test_parse_number_refuses_text_that_is_not_one_number():
    assert parse_number("三") == 3
    assert parse_number("3 个人") is None
    assert parse_number("850个和13家") is None
    assert parse_number("abc") is None
    assert parse_number("") is None


def test_measure_words_are_a_public_constant():
    assert {"个", "人", "家", "届", "年", "天", "篇", "元"} <= set(MEASURE_WORDS)


@pytest.mark.parametrize("text", ["3万多名", "十几个", "数百人", "一半", "189个", "twenty", "五分之一"])
def test_a_quantity_however_loose_is_stated(text):
    from rag.numbers import states_number

    assert states_number(text)


@pytest.mark.parametrize("text", ["杭州市临安区、绍兴市诸暨市等地", "无人驾驶的", "约翰·埃尔维"])
def test_no_quantity_is_stated(text):
    from rag.numbers import states_number

    assert not states_number(text)


@pytest.mark.parametrize("text, other", [("13家", True), ("850个", True), ("近200名", False), ("3万", False), ("3500余人次", False)])
def test_counts_of_organisations_are_told_from_counts_of_people(text, other):
    from rag.numbers import PERSON_MEASURE_WORDS, counts_other_than

    assert counts_other_than(text, PERSON_MEASURE_WORDS) is other


@pytest.mark.parametrize("text, share", [("43.3%", True), ("百分之五十", True), ("2023年的43.3%", True),
                                         ("68,511", False), ("3.9万个", False), ("43.3%的家庭，共6万户", False), ("社工站", False)])
def test_a_span_that_states_only_a_share(text, share):
    from rag.numbers import counts_only

    assert counts_only(text, frozenset({"%"})) is share


@pytest.mark.parametrize(
    "question, phrase",
    [
        ("How many social work stations does the archive mention?", "social work stations"),
        ("How many departments jointly issued the guidelines?", "departments"),
        ("How many registered volunteers are there in Shanghai?", "registered volunteers"),
        ("how many of them won medals?", ""),
        ("What is the number of stations?", ""),
    ],
)
def test_what_a_how_many_question_counts(question, phrase):
    from rag.answering.question import counted_phrase

    assert counted_phrase(question) == phrase


@pytest.mark.parametrize("text, other", [("95篇", True), ("20个", True), ("3个月", False), ("两个多月", False), ("两天", False), ("48小时", False)])
def test_counts_of_things_are_told_from_stretches_of_time(text, other):
    from rag.numbers import DURATION_MEASURE_WORDS, counts_other_than

    assert counts_other_than(text, DURATION_MEASURE_WORDS) is other


@pytest.mark.parametrize("text, date", [("6月29日", True), ("2023年", True), ("二〇二一年六月", True), ("June 29", True),
                                        ("3年", False), ("三年", False), ("两天", False), ("189个", False)])
def test_a_date_is_told_from_a_duration_or_a_count(text, date):
    from rag.numbers import is_calendar_date

    assert is_calendar_date(text) is date


@pytest.mark.parametrize("text, share", [
    ("63.7%", True), ("百分之九十", True), ("七成以上", True), ("三分之一", True), ("一半以上", True), ("20比1", True),
    ("约为1：7", True), ("about half of them", True), ("12 percent", True),
    ("130万", False), ("850个", False), ("建成了社工站", False), ("3.9万个成员", False),
])
def test_a_share_is_told_from_a_count(text, share):
    from rag.numbers import states_share

    assert states_share(text) is share


@pytest.mark.parametrize("text, quantity", [
    ("两天", True), ("3.9万个", True), ("1998年至2002年", True), ("约22平方公里", True),
    ("2023年", False), ("4月26日上午，作为本次调研活动的第一站", False), ("June 29", False), ("第二", False),
])
def test_a_quantity_is_more_than_a_day_or_an_ordinal(text, quantity):
    from rag.numbers import states_quantity

    assert states_quantity(text) is quantity


@pytest.mark.parametrize("question, language, share, rank", [
    ("What share of the nurses are men?", "en", True, False), ("What percentage of voters turned out?", "en", True, False),
    ("What does an MSP share with the Commons?", "en", False, False), ("男护士占比是多少？", "zh", True, False),
    ("通过人数的比例在全省排第几？", "zh", False, True), ("How many nurses are there?", "en", False, False),
])
def test_questions_asking_a_share_or_a_rank(question, language, share, rank):
    from rag.answering.question import asks_rank, asks_share

    assert asks_share(question, language) is share and asks_rank(question) is rank


@pytest.mark.parametrize("text, money", [
    ("400元", True), ("500万美元的现金", True), ("$5 million", True), ("3亿欧元", True), ("2 million yuan", True),
    ("超过130万", False), ("850个", False), ("12 percent", False),
])
def test_a_sum_of_money_is_told_from_a_count(text, money):
    from rag.numbers import states_money

    assert states_money(text) is money


@pytest.mark.parametrize(
    "text, says_when",
    [
        ("1988年", True), ("党的十八大以来", True), ("第一次世界大战前", True), ("四国征伐后", True),
        ("高二的时候拍了MV", True), ("星期三", True), ("上白垩纪早期", True), ("唐末藩镇混战", True),
        ("今年年底", True), ("6月29日上午", True), ("今晨", True), ("自今晨起", True), ("昨夜", True),
        ("校一地一会", False), ("中国社会工作联合会医务社会工作委员会总干事关冬生", False), ("前往北京参加会议", False),
    ],
)
def test_a_time_is_told_from_a_clause_that_says_no_time(text, says_when):
    from rag.numbers import states_time

    assert states_time(text) is says_when


@pytest.mark.parametrize(
    "question, language, asks",
    [
        ("大学的社会工作专业是哪一年开设的？", "zh", True), ("研讨会是什么时候召开的？", "zh", True),
        ("When did the museum open?", "en", True), ("In what year was the bridge completed?", "en", True),
        ("When many people are arrested, what is a common tactic?", "en", False),
        ("Who opened the museum?", "en", False), ("谁主持了研讨会？", "zh", False),
        # an era or a period is asked as a when, not a where; a dynasty is asked by name (北宋)
        ("在哪个世纪，传教士建立了这所学校？", "zh", True), ("这种陶器流行于什么时期？", "zh", True),
        ("这座城市在哪个年代迎来了移民潮？", "zh", True), ("这位诗人生活在哪个朝代？", "zh", False),
    ],
)
def test_questions_asking_when(question, language, asks):
    from rag.answering.question import asks_time

    assert asks_time(question, language) is asks


@pytest.mark.parametrize(
    "text, ordinal",
    [("在第四节中还剩多久", [True]), ("第 4 节还剩几分钟", [True]), ("264个项目中", [False]), ("第1站有24个", [True, False])],
)
def test_a_number_written_as_an_ordinal(text, ordinal):
    from rag.numbers import extract_numbers, is_ordinal

    assert [is_ordinal(text, m) for m in extract_numbers(text)] == ordinal
