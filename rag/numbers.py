"""Numbers as written in Chinese and English news text: 3.9万个, 160多万, 近200名, 三年, 63.7%, 1.3 million.

Used by the extractive answerer (which number answers the question) and by the evaluation
scorer (which numbers an answer states). Offsets always index the caller's original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Measure words and units that may follow a number, longest first when matched.
MEASURE_WORDS: tuple[str, ...] = (
    "个百分点", "百分点", "平方公里", "平方米", "公里", "千米", "千克", "公斤", "公顷", "小时", "分钟",
    "周年", "人次", "户次", "万元",
    "个", "人", "名", "家", "所", "位", "户", "项", "次", "件", "篇", "本", "部", "条", "张", "台",
    "辆", "座", "支", "届", "批", "期", "场", "天", "日", "年", "月", "周", "岁", "元", "块", "角",
    "倍", "种", "类", "套", "处", "间", "栋", "层", "份", "组", "队", "只", "头", "匹", "棵", "株",
    "吨", "斤", "克", "米", "亩", "例", "宗", "轮", "季", "代", "级", "章", "节", "课", "分", "秒",
    "起", "度", "点", "门", "道", "村", "镇", "县", "省", "市", "区", "街", "乡", "国", "校", "园",
    "单", "笔", "册", "首", "幅", "集", "段", "句", "字", "票", "床", "辈", "卷", "篮", "箱", "瓶",
)
# The measure words that count people ("多少人", "how many volunteers"): 13家 or 850个 never do;
# those that measure a stretch of time ("多少天", "how long"): 95篇 never does.
PERSON_MEASURE_WORDS: frozenset[str] = frozenset({"人", "名", "位", "人次"})
DURATION_MEASURE_WORDS: frozenset[str] = frozenset({"天", "日", "年", "月", "个月", "周", "星期", "小时", "分钟", "秒", "周年", "夜"})

# After a Chinese numeral these read as ordinary words far more often than as units
# (十分 "very", 一起 "together", 一点 "a little", 一道 "together", 三国, 一门心思, 一头).
_NOT_AFTER_CHINESE_NUMERAL = frozenset("分起度点门道村镇县省市区街乡国校园单头首句字段集票笔")

# Canonical qualifiers: "" or one of these.
APPROX_QUALIFIERS: tuple[str, ...] = ("多", "余", "近", "超过", "约", "逾")

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10**4, "亿": 10**8}
_CN_MULT = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "亿": 10**8}
_EN_MULT = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_EN_ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_PREFIX_CANON = {
    "超过": "超过", "超": "超过", "逾": "逾", "近": "近", "将近": "近", "接近": "近", "约": "约", "大约": "约",
    "more than": "超过", "over": "超过", "nearly": "近", "almost": "近", "about": "约", "around": "约",
    "approximately": "约", "roughly": "约",
}

# Fullwidth digits and signs map one-to-one, so offsets survive the translation.
_FULLWIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "％": "%", "．": "."})
# Citation markers: [1], [2][3], [1, 2], [1-3], ［4］.
_CITATION = re.compile(r"[\[［]\s*\d+(?:\s*[,，、\-–]\s*\d+)*\s*[\]］]")

_UNIT_ALT = "|".join(re.escape(u) for u in sorted(MEASURE_WORDS, key=len, reverse=True))
_ARABIC = re.compile(
    r"(?<![\d.])(?P<num>\d{1,3}(?:,\d{3})+(?![\d])(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d])"
    r"(?P<a1>多|余)?"
    r"(?P<mult>(?:[百千](?![米克瓦卡分姓])|[万亿])+)?"
    r"(?P<a2>多|余)?"
    r"(?:(?P<pct>\s?(?:%|‰|percent\b|per\s+cent\b))"
    r"|\s?(?P<emult>hundred|thousand|million|billion|trillion)\b"
    rf"|[ \t]?(?P<unit>{_UNIT_ALT}))?",
    re.IGNORECASE,
)
CN_NUMERAL_CHARS = "〇零一二两三四五六七八九十百千万亿"  # the characters Chinese numerals are written with
_CN_CHARS = CN_NUMERAL_CHARS
_CHINESE = re.compile(
    rf"(?P<ord>第)?(?P<run>[{_CN_CHARS}]+)(?P<a1>多|余)?(?P<mult>[万亿](?![{_CN_CHARS}]))?(?P<a2>多|余)?(?P<unit>{_UNIT_ALT})?"
)
_PERCENT_CN = re.compile(rf"百分之(?P<num>\d+(?:\.\d+)?|[{_CN_CHARS}]+(?:点[{_CN_CHARS[:-5]}]+)?)")
_EN_WORD_ALT = "|".join(sorted([*_EN_ONES, *_EN_TENS], key=len, reverse=True))
_ENGLISH = re.compile(
    rf"\b(?P<words>(?:{'|'.join(_EN_TENS)})(?:[-\s](?:{'|'.join(k for k in _EN_ONES if 0 < _EN_ONES[k] < 10)})\b)?|{_EN_WORD_ALT})\b"
    r"(?:\s+(?P<emult>hundred|thousand|million|billion|trillion)\b)?"
    r"(?P<pct>\s?(?:%|percent\b|per\s+cent\b))?",
    re.IGNORECASE,
)
_PREFIX = re.compile(
    r"(?:(?P<zh>超过|将近|接近|大约|超|逾|近|约)|\b(?P<en>more\s+than|over|nearly|almost|about|around|approximately|roughly)\s+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NumberMention:
    """One number found in a text; ``text == source[start:end]``."""

    value: float  # 3.9万 -> 39000.0; 63.7% -> 63.7
    text: str  # surface text including qualifier and unit, e.g. "近3万人"
    start: int
    end: int
    unit: str  # measure word / unit that follows ("个", "%", "年", ...) or ""
    approx: str  # "" or one of APPROX_QUALIFIERS
    is_year: bool  # a 4-digit number followed by 年 ("2021年", "二〇二一年")


def extract_numbers(text: str) -> list[NumberMention]:
    """Every number stated in ``text``, in order; citation markers such as [1] are skipped."""
    return _scan(text, loose=False)


_ANY_NUMERAL = re.compile(rf"[0-9０-９{CN_NUMERAL_CHARS}半几]")


def states_number(text: str) -> bool:
    """Whether ``text`` states a quantity at all, however loosely: digits, a Chinese numeral ("三",
    "十几个", "数百人", "一半") or an English number word. An answer to "how many" that states none
    ("杭州市临安区、绍兴市诸暨市等地") is not one."""
    return bool(_ANY_NUMERAL.search(text)) or bool(extract_numbers(text))


EN_MONTHS: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
_EN_MONTH = "(?:" + "|".join(m[:3] for m in EN_MONTHS) + ")[a-z]*\\.?"  # June, Jun., Sept
_CALENDAR_DATE = re.compile(
    r"(?:(?:\d{4}|[〇零一二三四五六七八九]{4})年)?(?:(?:\d{1,2}|[一二三四五六七八九十]{1,3})月)?"
    r"(?:(?:\d{1,2}|[一二三四五六七八九十]{1,3})[日号])?"
    rf"|{_EN_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?(?:\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_EN_MONTH}(?:\s+\d{{4}})?",
    re.I,
)


def is_calendar_date(text: str) -> bool:
    """Whether ``text`` is nothing but a date ("6月29日", "2023年", "二〇二一年六月", "June 29"): the
    day something happened, not how many or how long."""
    t = text.strip()
    return bool(t) and bool(_CALENDAR_DATE.fullmatch(t)) and bool(re.search(r"[年月日号]|[A-Za-z]", t))


# what a Chinese answer to "when" holds: a number, a numeral of a date, a time word, or an event it
# is dated by ("第一次世界大战前", "四国征伐后", "高二的时候")
_TIME_ZH = re.compile(
    r"\d|[〇零一二两三四五六七八九十百千]+\s*(?:年|月|日|号|世纪|年代|岁|点|时)"
    r"|今年|去年|明年|前年|当年|同年|次年|近日|日前|目前|如今|现在|最近|届时|此前|此后|随后|以来|期间|时期|时代|时候|之际"
    r"|[今昨明前后当次][天日晨早晚夜]"
    r"|年初|年底|年末|年中|月初|月底|月末|[上中下]旬|早上|上午|中午|下午|晚上|傍晚|凌晨|夜间|[春夏秋冬][季天]|春节"
    r"|星期|礼拜|周[一二三四五六日末]|[元明清宋唐汉秦隋晋][朝初末]|王朝|[早中晚末初]期|世纪|纪元|早在"
    r"|(?:前|后|时|起)$"
)


def states_time(text: str) -> bool:
    """Whether a Chinese ``text`` says when: a date or year, a time word, or an event it dates by
    ("1988年", "党的十八大以来", "第一次世界大战前"); "校一地一会" or a clause of who did what does not."""
    return bool(_TIME_ZH.search(text))


# a day, as an answer to "哪天", "which day", "what date": a day of a month, a weekday, a day of a
# festival or of the lunar calendar, or a day told by another ("当天", "次日")
_DAY = re.compile(r"[日号]|\d{1,2}\s*月\s*\d|星期|周[一二三四五六日天]|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|"
                  r"\b\d{1,2}\b|[初十廿][一二三四五六七八九十]|节|当天|次日|同日|前夕|除夕", re.I)


def states_day(text: str) -> bool:
    """Whether ``text`` names a day ("6月29日", "4月26日上午", "国庆节", "当天"); "今年" or "2023年"
    does not."""
    return bool(_DAY.search(text))


_YEAR_RANGE = re.compile(r"(?:\d{4}|[〇零一二三四五六七八九]{4})年?\s*(?:至|到|~|～|－|—|-)\s*(?:\d{4}|[〇零一二三四五六七八九]{4})年?")
_ORDINAL = re.compile(r"第\s*[0-9０-９〇零一二两三四五六七八九十百千]+")


def states_quantity(text: str) -> bool:
    """Whether ``text`` states a quantity besides dates and ordinals: "2023年", "6月29日,2023年" or
    "4月26日上午，作为第一站" answers no "how many" or "how long", "3.9万个", "两天" and the stretch
    "1998年至2002年" do (loosely, as :func:`states_number`)."""
    if is_calendar_date(text):
        return False
    rest = _ORDINAL.sub(" ", text)
    dated = r"[年月日号]|[A-Za-z]" if not _YEAR_RANGE.search(text) else r"[月日号]|[A-Za-z]"  # "1998年至2002年": a stretch
    rest = _CALENDAR_DATE.sub(lambda m: " " if re.search(dated, m.group()) else m.group(), rest)
    return states_number(rest)


def counts_other_than(text: str, family: frozenset[str]) -> bool:
    """Whether every number ``text`` states carries a measure word, none of them one of ``family``
    (people: "13家", "850个", not "近200名", "3万", "3500余人次"; time: "95篇", not "3个月")."""
    units = []
    for m in extract_numbers(text):
        if m.is_year:
            continue
        month = m.unit == "个" and text[m.end :].lstrip("多余").startswith("月")  # 3个月, 两个多月
        units.append("个月" if month else m.unit)
    return bool(units) and all(u and u != "%" and u not in family for u in units)


_SHARE = re.compile(
    r"[%％‰]|百分之|千分之|[0-9０-９一二三四五六七八九十两几]\s*成(?![员为立功果绩本都市])|[0-9０-９一二三四五六七八九十]分之|"
    r"一半|过半|大半|半数|[0-9０-９]+(?:\.[0-9]+)?\s*[:：比]\s*[0-9０-９]|"
    r"\b(?:percent|per\s*cent|half|quarters?|thirds?)\b", re.I)


def states_share(text: str) -> bool:
    """Whether ``text`` states a share or a ratio ("63.7%", "百分之九十", "七成", "三分之一", "一半以上",
    "20比1", "1：7", "half"): the answer to "what share / 比例", which "130万" or "850个" is not."""
    return bool(_SHARE.search(text))


_MONEY = re.compile(r"元|美金|英镑|法郎|卢布|港币|块钱|[$€£¥￥]|\b(?:yuan|rmb|dollars?|euros?|pounds?|francs?|yen)\b", re.I)


def states_money(text: str) -> bool:
    """Whether ``text`` states a sum of money ("400元", "500万美元", "$5 million", "3亿欧元"): the
    answer to "how much funding / what salary", which "超过130万" (people) is not."""
    return bool(_MONEY.search(text))


# measure words that count things or people, as opposed to time, money, shares or sizes
_COUNTING_WORDS = frozenset("个 人 名 位 家 所 项 件 篇 本 部 条 张 台 辆 座 支 批 场 种 类 套 处 间 栋 份 组 队 只 头 例 宗".split())


def is_count(text: str) -> bool:
    """Whether ``text`` is a count of things or people and little else: it opens with a number
    counted by a measure word, after at most one character ("六个街镇", "在六个街镇", "10余人",
    "三个社工站"), not "2022年", "6月", "外冈镇" or an ordinal ("第三个")."""
    text = text.strip()
    found = extract_numbers(text)
    return bool(found) and found[0].start <= 1 and found[0].unit in _COUNTING_WORDS and "第" not in text[: found[0].start + 1]


def counts_only(text: str, units: frozenset[str]) -> bool:
    """Whether ``text`` states a number and every one (years aside) carries one of ``units``
    ("43.3%" for {"%"}; "160多万人", "近200名" for the measure words of people; not "3.9万个")."""
    found = [m.unit for m in extract_numbers(text) if not m.is_year]
    return bool(found) and all(u in units for u in found)


def parse_number(text: str) -> float | None:
    """The value of a string that is one number ("3.9万", "二十七", "1,435", "twelve"), else None."""
    stripped = text.strip()
    if not stripped:
        return None
    mentions = _scan(stripped, loose=True)
    if len(mentions) == 1 and mentions[0].start == 0 and mentions[0].end == len(stripped):
        return mentions[0].value
    return None


def chinese_numeral_value(run: str) -> int | None:
    """Value of a Chinese numeral ("二十七" -> 27, "两百" -> 200, "二〇二〇" -> 2020), None if malformed."""
    if not run or any(ch not in _CN_CHARS for ch in run):
        return None
    if len(run) > 1 and all(ch in _CN_DIGITS for ch in run):  # positional: 二〇二〇
        return int("".join(str(_CN_DIGITS[ch]) for ch in run))
    total = section = digit = 0
    last_small = 10**9  # small units must fall within a section: 三千五百二十
    last_big = 10**13
    prev = ""  # "d" digit, "s" small unit, "b" big unit, "z" zero
    for ch in run:
        if ch in _CN_DIGITS:
            if prev == "d":
                return None
            digit = _CN_DIGITS[ch]
            prev = "z" if digit == 0 else "d"
        elif ch in _CN_SMALL:
            unit = _CN_SMALL[ch]
            if prev == "s" or unit >= last_small:
                return None
            if prev in ("", "b", "z"):
                if ch != "十":
                    if prev != "":
                        return None
                digit = digit or 1
            section += digit * unit
            digit, last_small, prev = 0, unit, "s"
        else:
            unit = _CN_BIG[ch]
            if prev == "":
                return None
            if unit >= last_big and not (ch == "亿" and last_big == 10**4):
                return None
            value = (section + digit) * unit
            total = (total + value) if unit < last_big else (total + section + digit) * unit
            section = digit = 0
            last_small, last_big, prev = 10**9, unit, "b"
    return total + section + digit


_EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
}


def english_ordinal(word: str) -> int | None:
    """The value of an English ordinal word or numeral ("first" -> 1, "3rd" -> 3), else None."""
    low = word.lower()
    if low in _EN_ORDINALS:
        return _EN_ORDINALS[low]
    m = re.fullmatch(r"(\d{1,3})(?:st|nd|rd|th)", low)
    return int(m.group(1)) if m else None


# "the third national anti-drug social work conference", "the 2nd forum": an ordinal before a
# gathering's name (a few words between), not "which came first" nor "the first city to …"
_EDITION_EN = re.compile(
    r"\b(?:the\s+)?(%s|\d{1,3}(?:st|nd|rd|th))\s+(?:[\"'‘“]?[a-z'’-]+[\"'’”]?\s+){0,8}?"
    r"(?:conference|congress|forum|summit|seminar|symposium|expo|exposition|exhibition|festival|games|session|"
    r"meeting|assembly|convention|championships?|tournament|competition|contest|campaign|awards?|olympiad|"
    r"edition|plenary)s?\b" % "|".join(_EN_ORDINALS),
    re.I,
)


def editions_in(text: str, language: str = "zh") -> frozenset[int]:
    """The editions of recurring gatherings ``text`` names: 首届 / "the first … forum" -> 1,
    第三届 / "the third … conference" -> 3."""
    if language == "en":
        return frozenset(_EN_ORDINALS.get(m.group(1).lower()) or int(re.sub(r"\D", "", m.group(1)))
                         for m in _EDITION_EN.finditer(text))
    return frozenset(ordinals_in(text, "届"))


# A standing in a ranking: "居全省第二", "排名第一", "位列全国第3位", "第一名", "全省第一", "名列榜首";
# "ranked second", "in first place". Not an edition (第三届), a first-of-its-kind (首家, 首位带领…) nor
# an ordinal item (第二批).
_STANDING_ZH = re.compile(
    r"(?:(?:排名|排行|排|居|位居|位列|名列|跻身)(?:[全本][国省市区县州]|世界|全球|国内|省内|市内|同类|[^\s，。；、,;]{0,8}?)?"
    r"|[全本][国省市区县州]|世界|全球|国内|省内|市内)"
    rf"第\s*([0-9０-９]{{1,3}}|[{_CN_CHARS[:-2]}]{{1,3}})(?![届批次期轮个家项条章节年天部类场集季代号、])"
    r"|第\s*([0-9０-９]{1,3}|[一二两三四五六七八九十]{1,3})\s*名"
    r"|(?:居|排|位居|位列|名列)(?:[全本][国省市区县州]|世界|全球|国内)?(榜首|首位|之首)"
)
_STANDING_EN = re.compile(
    r"\brank(?:ed|s|ing)?\s+(?:no\.?\s*|number\s+)?(%s|\d{1,3}(?:st|nd|rd|th)?)\b"
    r"|\b(%s|\d{1,3}(?:st|nd|rd|th))\s+place\b"
    r"|\b(?:came|comes?|coming|finish(?:ed|es)?|placed?|places)\s+(%s|\d{1,3}(?:st|nd|rd|th))"
    r"(?=\s+(?:in|among|for|on|overall|nationally|nationwide)\b|\s*[?,.]|$)"  # "came first in the province"
    # "Was Xiangtan first in Hunan …", "second in the country": an ordinal placed in a whole
    r"|\b(%s|\d{1,3}(?:st|nd|rd|th))\s+(?:in|among)\s+(?:the\s+|its\s+|their\s+)?(?:whole\s+)?"
    r"(?:province|country|nation|city|region|state|world|league|rankings?|[a-z]+\s+province|(?-i:[A-Z][a-z]+))\b"
    % ("|".join(_EN_ORDINALS), "|".join(_EN_ORDINALS), "|".join(_EN_ORDINALS), "|".join(_EN_ORDINALS)),
    re.I,
)


def standings_in(text: str, language: str = "zh") -> frozenset[int]:
    """The standings in a ranking ``text`` states: "通过人数…居全省第二" -> 2, "排名第一" / "名列榜首" /
    "ranked first" / "came first" -> 1. Editions (第三届), firsts of a kind (首家) and ordinal items (第二批) are none."""
    values = set()
    if language == "en":
        for m in _STANDING_EN.finditer(text):
            run = (m.group(1) or m.group(2) or m.group(3) or m.group(4)).lower()
            values.add(_EN_ORDINALS.get(run) or int(re.sub(r"\D", "", run)))
        return frozenset(values)
    for m in _STANDING_ZH.finditer(text):
        if m.group(3):
            values.add(1)
            continue
        run = (m.group(1) or m.group(2)).translate(_FULLWIDTH)
        value = int(run) if run.isdigit() else chinese_numeral_value(run)
        if value is not None:
            values.add(value)
    return frozenset(values)


def standing(text: str, language: str) -> int | None:
    """The one standing a question names and does not ask for ("排第一的是哪个市" -> 1; "排第几" and
    "what rank" ask for one: None)."""
    if re.search(r"第几|多少名|哪一?名|\bwhat (?:rank|place|position)\b|\bwhich (?:rank|place|position)\b", text, re.I):
        return None
    found = standings_in(text, language)
    if len(found) > 1:  # "湘潭…居全省第二，那全省第一是哪个市": the standing of the clause asking
        asking = [c for c in re.split(r"[，,；;：:]", text) if re.search(r"哪|谁|什么|何|多少|\b(?:which|who|what)\b", c, re.I)]
        found = standings_in(asking[-1], language) if asking else frozenset()
    return next(iter(found)) if len(found) == 1 else None


def ordinals_in(text: str, counter: str) -> list[int]:
    """The ordinals written with ``counter`` in ``text``, in order: 首站 -> 1, 第三站 -> 3, 第 14 届 -> 14."""
    pattern = rf"首{counter}|第\s*([0-9０-９]{{1,3}}|[{_CN_CHARS[:-2]}]{{1,4}})\s*{counter}"
    values = []
    for m in re.finditer(pattern, text):
        run = (m.group(1) or "").translate(_FULLWIDTH)
        value = 1 if not run else int(run) if run.isdigit() else chinese_numeral_value(run)
        if value is not None:
            values.append(value)
    return values


_ORDINAL_BEFORE = re.compile(r"[第首]\s*$")


def is_ordinal(text: str, mention: NumberMention) -> bool:
    """Whether ``mention`` (found in ``text``) is written as an ordinal: "第四节", "第 4 节"."""
    return mention.text[:1] in "第首" or bool(_ORDINAL_BEFORE.search(text[: mention.start]))


# the Nth of a kind, as a place or body is founded or opened: 首家 / 第二家 / 首个 / 第二所; "the
# second mental health social work station", "Jiading's second station" (an ordinal after "the" or
# a possessive and before a noun, not one of time: "the first time", "the second half")
_NTH_COUNTERS = ("家", "个", "所", "座")
_NTH_EN = re.compile(
    r"(?:\bthe|['’]s)\s+(%s|\d{1,3}(?:st|nd|rd|th))\s+(?!(?:time|times|half|quarter|year|day|week|month|century|"
    r"place|round|edition|session|of|to|and|or|in|on|at|by|with|for|is|was)\b)[a-z]" % "|".join(_EN_ORDINALS),
    re.I,
)


def nths_in(text: str, language: str = "zh") -> frozenset[int]:
    """Which of its kind ``text`` says something is: 首家 / 首个 -> 1, 第二家 -> 2, "the second …
    station" -> 2 (editions of gatherings are :func:`editions_in`; standings :func:`standings_in`)."""
    if language == "en":
        return frozenset(_EN_ORDINALS.get(m.group(1).lower()) or int(re.sub(r"\D", "", m.group(1)))
                         for m in _NTH_EN.finditer(text))
    return frozenset(v for counter in _NTH_COUNTERS for v in ordinals_in(text, counter))


def nth_mentions(text: str) -> list[tuple[int, str, int, int]]:
    """Each "Nth of its kind" of a Chinese ``text`` (首家, 第二个, 第四位 …) as (N, its counter, where it
    starts, where it ends); 首位 is no first of a kind (名列首位 is a standing)."""
    out = []
    for m in re.finditer(rf"首([{''.join(_NTH_COUNTERS)}])|第\s*([0-9０-９]{{1,3}}|[{_CN_CHARS[:-2]}]{{1,4}})\s*([{''.join(_NTH_COUNTERS)}位])", text):
        run = (m.group(2) or "").translate(_FULLWIDTH)
        value = 1 if m.group(1) else int(run) if run.isdigit() else chinese_numeral_value(run)
        if value is not None:
            out.append((value, m.group(1) or m.group(3), m.start(), m.end()))
    return out


def edition_mentions(text: str) -> list[tuple[int, int, int]]:
    """Each edition of a gathering a Chinese ``text`` names (首届, 第二届, 第 14 届) as (N, where it
    starts, where it ends)."""
    out = []
    for m in re.finditer(rf"首\s*届|第\s*([0-9０-９]{{1,3}}|[{_CN_CHARS[:-2]}]{{1,4}})\s*届", text):
        run = (m.group(1) or "").translate(_FULLWIDTH)
        value = 1 if not run else int(run) if run.isdigit() else chinese_numeral_value(run)
        if value is not None:
            out.append((value, m.start(), m.end()))
    return out


def nth_counter(question: str) -> str | None:
    """The counter of the one "Nth of its kind" a Chinese question names (家 of 第二家), else None."""
    found = {counter for _, counter, _, _ in nth_mentions(question)}
    return next(iter(found)) if len(found) == 1 else None


def nth(text: str, language: str) -> int | None:
    """The one "Nth of its kind" a question names (第二家, "the second station"); None when it names
    none or several, or asks which one ("第几家")."""
    if re.search(r"第几|\bwhich (?:number|one)\b", text, re.I):
        return None
    found = nths_in(text, language)
    return next(iter(found)) if len(found) == 1 else None


def edition(text: str, language: str) -> int | None:
    """The one edition of a gathering a question names (None when it names none, or several)."""
    found = editions_in(text, language)
    return next(iter(found)) if len(found) == 1 else None


# ------------------------------------------------------------------------------ scanning
def _scan(text: str, *, loose: bool) -> list[NumberMention]:
    work = _CITATION.sub(lambda m: " " * len(m.group(0)), text.translate(_FULLWIDTH))
    candidates: list[NumberMention] = []
    for finder in (_percent_chinese, _arabic, _chinese, _english):
        candidates.extend(finder(text, work, loose))
    candidates.sort(key=lambda m: (m.start, -(m.end - m.start)))
    chosen: list[NumberMention] = []
    end = -1
    for mention in candidates:
        if mention.start >= end:
            chosen.append(mention)
            end = mention.end
    return chosen


def _with_prefix(text: str, work: str, start: int, end: int, value: Decimal, unit: str, approx: str,
                 is_year: bool = False) -> NumberMention:
    """Build a mention, taking in a qualifier written before the number (近, 超过, about)."""
    m = _PREFIX.search(work, max(0, start - 20), start)
    if m is not None and not approx:
        word = (m.group("zh") or re.sub(r"\s+", " ", m.group("en") or "")).lower()
        shadowed = word == "近" and m.start() > 0 and work[m.start() - 1] in "最附靠邻亲"
        if not shadowed:
            approx = _PREFIX_CANON[word]
            start = m.start()
    return NumberMention(float(value), text[start:end], start, end, unit, approx, is_year)


def _approx(*parts: str | None) -> str:
    return next((p for p in parts if p), "")


def _arabic(text: str, work: str, loose: bool) -> list[NumberMention]:
    found = []
    for m in _ARABIC.finditer(work):
        raw = m.group("num").replace(",", "")
        try:
            value = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            continue
        for ch in m.group("mult") or "":
            value *= _CN_MULT[ch]
        unit = ""
        if m.group("pct"):
            unit = "‰" if "‰" in m.group("pct") else "%"
        elif m.group("emult"):
            value *= _EN_MULT[m.group("emult").lower()]
        elif m.group("unit"):
            unit = m.group("unit")
        is_year = unit == "年" and re.fullmatch(r"\d{4}", m.group("num")) is not None and not m.group("mult")
        found.append(_with_prefix(text, work, m.start(), m.end(), value, unit, _approx(m.group("a1"), m.group("a2")), is_year))
    return found


def _chinese(text: str, work: str, loose: bool) -> list[NumberMention]:
    found = []
    for m in _CHINESE.finditer(work):
        run, unit = m.group("run"), m.group("unit") or ""
        if unit and unit in _NOT_AFTER_CHINESE_NUMERAL and not m.group("ord") and not loose:
            unit = ""
        positional = len(run) > 1 and all(ch in _CN_DIGITS for ch in run)
        value = chinese_numeral_value(run)
        if value is None:
            continue
        approx = _approx(m.group("a1"), m.group("a2"))
        if not loose:
            if positional and not (unit == "年" and len(run) == 4):
                continue
            if run[0] in "百千万亿" and not m.group("ord"):
                continue
            if not (m.group("ord") or unit or len(run) > 1 or m.group("mult") or (approx and run == "十")):
                continue
        end = m.end()
        if not unit and m.group("unit"):  # the unit was refused: stop before it
            end = m.start("unit")
        for ch in m.group("mult") or "":
            value *= _CN_BIG[ch]
        start = m.start("run") if not m.group("ord") else m.start()
        is_year = positional and unit == "年" and len(run) == 4
        found.append(_with_prefix(text, work, start, end, Decimal(value), unit, approx, is_year))
    return found


def _percent_chinese(text: str, work: str, loose: bool) -> list[NumberMention]:
    found = []
    for m in _PERCENT_CN.finditer(work):
        raw = m.group("num")
        if raw[0].isdigit():
            value = Decimal(raw)
        else:
            whole, _, frac = raw.partition("点")
            base = chinese_numeral_value(whole)
            if base is None or any(ch not in _CN_DIGITS for ch in frac):
                continue
            value = Decimal(f"{base}.{''.join(str(_CN_DIGITS[ch]) for ch in frac)}" if frac else base)
        found.append(_with_prefix(text, work, m.start(), m.end(), value, "%", ""))
    return found


def _english(text: str, work: str, loose: bool) -> list[NumberMention]:
    found = []
    for m in _ENGLISH.finditer(work):
        parts = re.split(r"[-\s]+", m.group("words").lower())
        value = Decimal(sum(_EN_TENS.get(p, _EN_ONES.get(p, 0)) for p in parts))
        if m.group("emult"):
            value *= _EN_MULT[m.group("emult").lower()]
        unit = "%" if m.group("pct") else ""
        found.append(_with_prefix(text, work, m.start(), m.end(), value, unit, ""))
    return found


# Comparisons a yes / no question may ask of a number ("是否超过800个", "at least 30 people"):
# the word before the number, or 以上 / 以下 after it, -> the relation the stated number must bear.
_COMPARE_BEFORE = {
    "不超过": "<=", "不多于": "<=", "不高于": "<=", "不大于": "<=", "至多": "<=", "最多": "<=",
    "不少于": ">=", "不低于": ">=", "不小于": ">=", "至少": ">=", "最少": ">=", "达到": ">=",
    "超过": ">", "多于": ">", "高于": ">", "大于": ">", "超出": ">", "逾": ">", "过": ">",
    "少于": "<", "低于": "<", "小于": "<", "不到": "<", "不足": "<",
    "no more than": "<=", "not more than": "<=", "at most": "<=", "no less than": ">=", "not less than": ">=",
    "at least": ">=", "more than": ">", "greater than": ">", "higher than": ">", "over": ">", "above": ">",
    "exceed": ">", "exceeds": ">", "exceeded": ">", "less than": "<", "fewer than": "<", "lower than": "<",
    "under": "<", "below": "<",
}
_COMPARE_AFTER = {"以上": ">=", "以下": "<=", "以内": "<=", "or more": ">=", "or less": "<=", "or fewer": "<="}
_COMPARE_WORD = re.compile(  # 过 alone right before the number ("过70%"), not the 过 of 通过 / 经过
    "(" + "|".join(re.escape(w) if w != "过" else "(?<![通经度跨越路])过" for w in sorted(_COMPARE_BEFORE, key=len, reverse=True))
    + r")\s*$", re.IGNORECASE)
# tenths (八成 = 80%) where a question compares a share: "比例超过八成了吗"
_TENTHS = re.compile(r"([一二三四五六七八九])成(?=了|以上|以下|左右|吗|的|[，。？?]|$)")
_COMPARE_TAIL = re.compile(
    r"^\s*(" + "|".join(re.escape(w) for w in sorted(_COMPARE_AFTER, key=len, reverse=True)) + ")", re.IGNORECASE)


@dataclass(frozen=True)
class Comparison:
    """A number a question compares against: ``relation`` is one of < <= > >=."""

    relation: str
    value: float
    unit: str

    def holds(self, stated: float) -> bool:
        return {"<": stated < self.value, "<=": stated <= self.value,
                ">": stated > self.value, ">=": stated >= self.value}[self.relation]


def asked_comparison(text: str) -> Comparison | None:
    """The comparison a question asks of a number, if any ("是否超过800个" -> > 800 个; "at least 30
    people" -> >= 30; "800个以上" -> >= 800 个; "过70%" -> > 70%). A bare number ("是否有800个") is none.
    Tenths are a share ("超过八成" -> > 80%)."""
    text = _TENTHS.sub(lambda m: f"{chinese_numeral_value(m.group(1)) * 10}%", text)
    for m in _scan(text, loose=False):
        if m.is_year:
            continue
        # the number's own qualifier ("超过800个": text starts with the word) or a word just before it
        before = text[: m.start] if not m.approx else text[: m.start] + _qualifier_word(m)
        word = _COMPARE_WORD.search(before[-16:])
        tail = _COMPARE_TAIL.match(text[m.end :])
        if word and word.group(1).lower() == "over" and _OVER_A_SPAN.match(text, m.start) and not _LASTING.search(before[: -len(word.group(1))]):
            word = None  # "planning … over three years": across them, not more than three
        if word:
            relation = _COMPARE_BEFORE[word.group(1).lower()]
            if relation in (">", ">=") and before[-16:][: word.start()].endswith("不"):  # 不超过 read as 不 + 超过
                relation = "<=" if relation == ">" else "<"
            return Comparison(relation, m.value, m.unit)
        if tail:
            return Comparison(_COMPARE_AFTER[tail.group(1).lower()], m.value, m.unit)
    return None


# "over three years" after a verb of lasting ("last over three days", "run for over a week") or
# before "long" / "old" / "of" ("over 20 years of history") is more than; elsewhere ("stations in six
# towns over three years") it is a span of time
_OVER_A_SPAN = re.compile(r"\s*(?:over\s+)?[\w.-]+\s+(?:years?|months?|weeks?|days?|decades?)\b(?!\s+(?:long|old|of)\b)", re.I)
_LASTING = re.compile(r"\b(?:last(?:s|ed|ing)?|run|runs|ran|running|take|takes|took|taking|for|be|been|is|are|was|were)\s*$", re.I)


def _qualifier_word(m: NumberMention) -> str:
    """The qualifier a mention's text starts with, as written ("超过800个", "超过三天" -> "超过", "more
    than three" -> "more than"); 超 alone is 超过 ("超800个")."""
    number = _ENGLISH.search(m.text) or re.search(r"[\d〇零一二两三四五六七八九十百千]", m.text)
    head = m.text[: number.start()].strip() if number else m.text
    return "超过" if head == "超" else head


