"""Read a question: its kind (how many, who, where, when, which, list, comparison) and the
concepts it asks about, in Chinese surface forms, whatever language it was asked in."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Sequence

from ..language import HAN, PLACE_SUFFIXES, PLACE_TIERS, PROVINCIAL_CITIES

if TYPE_CHECKING:
    from ..crosslingual import TermGroup, Vocabulary

KINDS = ("number", "who", "where", "when", "which", "list", "comparison", "what")

# Words that only shape a question; they never have to occur in the evidence.
ZH_QUESTION_WORDS = {
    "多少", "几", "几个", "几年", "几天", "几家", "几名", "哪里", "哪儿", "哪", "哪个", "哪些", "哪位", "哪家", "哪年",
    "哪一年", "什么", "何时", "何地", "谁", "是", "有", "的", "了", "吗", "呢", "么", "在", "于", "和", "与", "及",
    "分别", "共", "多", "请问", "一下", "是否", "怎样", "如何", "为", "以", "把", "被", "对", "将", "已", "都",
    "其中", "这", "那", "该", "个", "家", "名", "人", "篇", "所", "次", "项", "万", "亿", "目前", "截至", "以来",
    "时候", "什么时候", "指", "是指", "具体", "哪两个", "哪两家", "两个", "里", "中", "上", "下",
}
EN_STOPWORDS = {
    "how", "many", "much", "what", "which", "who", "whom", "whose", "where", "when", "why", "is", "are", "was",
    "were", "be", "been", "do", "does", "did", "the", "a", "an", "of", "in", "on", "at", "to", "for", "by", "and",
    "or", "with", "from", "there", "that", "this", "these", "those", "it", "its", "has", "have", "had", "so",
    "far", "as", "about", "into", "their", "they", "two", "three",
}
EN_ASK_WORDS = {"people", "persons", "number", "year", "date", "day", "time", "total", "amount", "percentage", "proportion", "share", "rate", "name", "names", "many", "much", "count"}
MEASURE_WORDS = "个家人名所篇次项条位支届期天年月日元岁座处件份场批"

_SUFFIX_ALT = "|".join(PLACE_SUFFIXES)
_PLACE_SUFFIX = re.compile(rf"(?:在|于|到|赴|落户)([{HAN}]{{1,10}}?(?:{_SUFFIX_ALT}))")
_PLACE_TAIL = re.compile(f"(?:{_SUFFIX_ALT})$")
# a year, not a count that looks like one ("超过2000人", "2000 people", "1990元")
_YEAR = re.compile(r"(?<![\d.,])((?:19|20)\d{2})(?![\d.,]\d)(?!\s*(?:[人个名家元万亿次件所篇项条位座只台辆%％多余]))"
                   r"(?!\s*(?:people|persons|members|workers|yuan|dollars|km|meters|metres|tons|times)\b)", re.I)


@dataclass(frozen=True)
class Concept:
    """One thing the question mentions, with the Chinese (or Latin) forms that express it."""

    label: str
    forms: tuple[str, ...]
    weight: float = 1.0
    entity: bool = False  # a named place, person, organisation or year: must be in the evidence
    key: bool = False  # the thing asked about: the answer number must sit next to it


@dataclass(frozen=True)
class ParsedQuestion:
    text: str
    language: str
    kind: str
    concepts: tuple[Concept, ...]
    unit: str = ""  # measure word or unit the answer should carry ("个", "%", "天", ...)
    parts: int = 1  # how many values are asked for (两问 / "and ... respectively")
    wants_year: bool = False

    @property
    def entities(self) -> tuple[Concept, ...]:
        return tuple(c for c in self.concepts if c.entity)

    @property
    def keys(self) -> tuple[Concept, ...]:
        return tuple(c for c in self.concepts if c.key)


# --------------------------------------------------------------------------- kind
# 规模有多大, 有多长, 多久, 多大年纪: a size, a length, a duration or an age, i.e. a number (not 多大的影响,
# 多大程度, 许多大学, 多久…一次: how often)
_HOW_MUCH_ZH = re.compile(
    r"多久(?!.{0,8}一次)|多长时间|有多[大高长远深宽厚重](?![的程])|(?<![许很众诸])多[大高长远深宽厚](?=[？?。！\s]*$|年纪|岁数)")
# "what share of", "比例", "占比": the answer is a share or a ratio (rag.numbers.states_share), unless
# the question asks for a rank ("比例在全省排第几")
_SHARE_EN = re.compile(r"\bwhat (?:percentage|percent|proportion|share|fraction)\b|\bhow many percent\b|"
                       r"\b(?:percentage|proportion|share|fraction) of\b", re.I)
_SHARE_ZH = re.compile(r"百分之几|百分比|比例|占比|比重|几成|覆盖率|(?<![汇频功速])率(?:是|为|达到?|有)?多少")
_RANK = re.compile(r"第几|排名|名次|排第|\brank|\bplace\b|\bposition\b", re.I)


@lru_cache(maxsize=1024)
def places_in(text: str, administrative: bool = False) -> frozenset[str]:
    """The places jieba tags in ``text`` (an English question's bridged Chinese terms included),
    without their administrative suffix (廊坊市 -> 廊坊); ``administrative``: only those written
    with one (河北省, not 苏木, the Mongolian word for a township that jieba also tags as a place)."""
    if not re.search(f"[{HAN}]", text):
        return frozenset()
    words = [p.word for p in _posseg().cut(text) if _is_place(p.word, p.flag) or province_of(p.word)]
    return frozenset(province_of(w) or _PLACE_TAIL.sub("", w) or w for w in words if not administrative or _PLACE_TAIL.search(w))


# a city jieba's dictionary holds as a noun (保定市, 大同市, 焦作市): a name of two letters or more
# and 市, not a kind of city (直辖市, 地级市, 省辖市, 中小城市)
_CITY_NOUN = re.compile(f"[{HAN}]{{2,6}}(?<![级辖城])市")


def _is_place(word: str, flag: str) -> bool:
    """Whether jieba's word and tag name a place: tagged one, or a city it tags a noun; not a kind
    of place it tags one (城市, 省市: one letter before the suffix)."""
    if len(_PLACE_TAIL.sub("", word)) == 1 and _PLACE_TAIL.search(word):
        return False
    return flag == "ns" or (flag in ("n", "nr", "nz") and bool(_CITY_NOUN.fullmatch(word)))


# a question about the whole nation ("全国…多少", "我国", "nationwide"), not a gathering named 全国…会
_NATIONAL_ZH = re.compile(r"全国(?!各地|各省)(?![^，。？?]*?(?:[大年例峰交研讨座谈论]会|会议|比赛|大赛|论坛|评选|奖))|我国|咱们国家|全中国")
_NATIONAL_EN = re.compile(r"\b(?:nationwide|nationally|country-?wide|china-?wide|(?:across|throughout|in) (?:the|the whole|the entire|all of) "
                          r"(?:country|nation)|(?:across|throughout|all over|all of) china|(?:whole|entire) (?:country|nation))\b", re.I)
# a whole below the nation: "全区已建成社工站850个", "全省", "全市"
_REGIONAL_WHOLE = re.compile(r"全(?:省|区|市|县|州|旗|盟|镇|乡)")


_RELATIVE_YEARS = (("今年", re.compile(r"今年|本年|\bthis year\b", re.I)),
                   ("去年", re.compile(r"去年|上一年|上年|(?<!\d)前一年|\b(?:last|the previous|the prior) year\b", re.I)),
                   ("明年", re.compile(r"明年|下一年|\bnext year\b", re.I)), ("前年", re.compile(r"前年|\bthe year before last\b", re.I)))


def relative_years(text: str) -> frozenset[str]:
    """The years ``text`` names relative to its own (今年, 去年, 明年, 前年; "this year" -> 今年)."""
    return frozenset(name for name, pattern in _RELATIVE_YEARS if pattern.search(text))


def asked_years(question: str) -> frozenset[str]:
    """The years a question names: "2022" of "湘潭市2022年…" or "in 2022", 去年 of "湘潭去年…"."""
    return frozenset(_YEAR.findall(question)) | relative_years(question)


def asks_national(question: str, language: str) -> bool:
    """Whether a question asks about the whole nation ("全国现在一共建起了多少个社工站", "How many … nationwide"):
    a count of one province, region or city does not answer it."""
    return bool((_NATIONAL_EN if language == "en" else _NATIONAL_ZH).search(question))


def national_count(clause: str) -> bool:
    """Whether a clause counts the whole nation ("我国虽然已经有150万的专业社工", "全国已建成…"; not
    "来自全国各地的实务案例95篇", nor a gathering named 全国…会)."""
    return bool(_NATIONAL_ZH.search(clause))


def regional_whole(text: str) -> bool:
    """Whether ``text`` counts the whole of a place below the nation (全省, 全区, 全市 …) and not the
    nation (全国, 我国, 中国)."""
    return bool(_REGIONAL_WHOLE.search(text)) and not re.search("全国|我国|中国", text)


def countries_in(text: str) -> frozenset[str]:
    """The countries jieba tags in ``text`` by their Chinese names (中国, 法国, 美国: a place whose
    name ends in 国; an English question's bridged Chinese terms included)."""
    return frozenset(p for p in places_in(text) if len(p) >= 2 and p.endswith("国"))


def place_nesting(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The places of ``text`` (as :func:`places_in` gives them, without their suffix) that no
    place written right after them narrows, and those that one does: in "河北省保定市" or
    "河北石家庄市" the question asks about the city, not the province (a Chinese address runs from
    the larger place to the smaller). Only a place written with its administrative suffix narrows
    the one before it, and counts even when jieba tags it a noun (保定市)."""
    if not re.search(f"[{HAN}]", text):
        return frozenset(), frozenset()
    inner: list[str] = []
    outer: set[str] = set()
    pos, end = 0, None
    for p in _posseg().cut(text):
        start, pos = pos, pos + len(p.word)
        stem = _PLACE_TAIL.sub("", p.word)
        name = stem or p.word
        # narrowed by a place written right after it, with its suffix (石家庄市, not the 锡安 of 东洛锡安)
        narrows = end == start and len(stem) >= 2 and stem != p.word
        if not _is_place(p.word, p.flag) and not narrows:
            continue
        if narrows:
            outer.add(inner.pop())
        inner.append(name)
        end = pos
    return frozenset(inner), frozenset(outer) - set(inner)


_SENTENCE_STOP = re.compile(r"[。！？!?\n]")
_PARTY_COMMITTEE = re.compile("[省市县区旗]委")


def place_tiers(text: str) -> dict[str, int]:
    """The places ``text`` writes with an administrative suffix (as :func:`places_in` gives them,
    without it) and the suffix's tier: {"浙江": 1} for "浙江省", {"绍兴": 2} for "绍兴市", {"上海": 1}
    for "上海市" (a city that is a province)."""
    if not re.search(f"[{HAN}]", text):
        return {}
    tiers: dict[str, int] = {}
    words = list(_posseg().cut(text))
    for i, p in enumerate(words):
        word = p.word
        if p.flag == "nt" and word.endswith("委"):  # 浙江省委: the province's party committee
            word = word[:-1]
        elif p.flag == "ns" and i + 1 < len(words) and _PARTY_COMMITTEE.match(words[i + 1].word):
            word += words[i + 1].word[0]  # 绍兴 + 市委, 宜昌 + 市委书记
        province = province_of(word)
        if province:  # 冀省, 甘方: a province by its one-letter name
            tiers.setdefault(province, 1)
            continue
        m = _PLACE_TAIL.search(word)
        # a name before the suffix (not the 城 of 城市, 省 of 省市)
        if m and (_is_place(p.word, p.flag) or word != p.word) and len(word) > len(m.group()) + 1:
            stem = word[: m.start()]
            tiers.setdefault(stem, 1 if stem in PROVINCIAL_CITIES else PLACE_TIERS[m.group()])
    return tiers


def office_of_another_place(asked: dict[str, int], passage: str, start: int) -> bool:
    """Whether the titles written right before the name at ``passage[start:]`` are those of an
    office of another place, no larger than the one asked: "绍兴市委副书记、政法委书记王涛" holds no office
    of 浙江省 ("浙江省委政法委书记是谁"), "昆山市民政局局长陈鲁勇" none of 江苏省. An office of a larger
    place may serve the one asked (the 嘉定区 centre's therapist at a 外冈镇 station), so it stays.
    ``asked``: the question's places and their tiers (:func:`place_tiers`)."""
    if not asked:
        return False
    run = title_run(passage, start)
    here = place_tiers(run)
    if not here:  # "…太仓市政府副市长顾建康，民政局党委书记、局长黄海": the place its sentence last named
        head = passage[: start - len(run)]
        before = head[max((m.end() for m in _SENTENCE_STOP.finditer(head)), default=0) :]
        named = place_tiers(before)
        if named:
            last = max(named, key=before.rfind)
            here = {last: named[last]}
    if not here or any(h in a or a in h for h in here for a in asked):
        return False
    return all(tier >= min(asked.values()) for tier in here.values())


# What a number counts, written right before it ("已建成社工站850个") or in the question around its
# 多少 ("多少个社工室", "高级社会工作师有多少人"); two counted nouns differing only in their last
# letter (社工站 / 社工室) are two kinds of thing.
_NOUN_STOP = "？?，,。；;：:！!、的是呢吗了在有和与及"
_ASKED_AFTER = re.compile(rf"(?:多少|几)[{MEASURE_WORDS}]?([{HAN}（）()]{{3,16}}?)(?=[{_NOUN_STOP}]|$)")
_ASKED_BEFORE = re.compile(rf"([{HAN}（）()]{{3,16}}?)(?:有|是|为|共有|一共有|总共有|达到|达)?(?:多少|几)")
_NOUN_BEFORE = re.compile(rf"([{HAN}]{{3,}})\s*$")
_FUNCTION_TAIL = re.compile(r"[是为有的在了达到至共约近中里都已超过计]+$")
_NUMBER_START = re.compile(r"[0-9０-９一二三四五六七八九十两百千]")


def asked_counted(question: str) -> str:
    """The words a Chinese "how many" question counts, as written around its 多少 / 几 ("" when
    none): "多少个城乡社区社工室" -> "城乡社区社工室"."""
    m = _ASKED_AFTER.search(question) or _ASKED_BEFORE.search(question)
    return m.group(1) if m else ""


# grades of a qualification or an office, written before the thing graded: 高级社会工作师, 中级职称,
# 助理社会工作师, 首席专家
_GRADE = re.compile(rf"(高级|中级|初级|助理|资深|首席|特级)([{HAN}]{{3,12}})")


def asked_grade(question: str) -> tuple[str, str] | None:
    """The grade a question writes before what it asks about, and the letters after it: "多少人具有高级
    社会工作师职业资格" -> ("高级", "社会工作师职业资格"); None when it writes none."""
    m = _GRADE.search(question)
    return (m.group(1), m.group(2)) if m else None


def grade_dropped(grade: tuple[str, str], text: str) -> bool:
    """Whether ``text`` names the thing a question grades without that grade: "全市具有社会工作师职业资格
    59人" counts all the holders of the qualification, not those of "高级社会工作师"; a list naming each
    grade ("社会工作师200元、高级社会工作师400元") does name it. The thing is the longest start (3 letters
    or more) of the letters after the grade that ``text`` writes."""
    prefix, rest = grade
    flat = re.sub(r"\s+", "", text)
    for n in range(len(rest), 2, -1):
        if rest[:n] in flat:
            return prefix + rest[:n] not in flat
    return False


def counted_before(text: str, start: int) -> str:
    """The letters written right before the number at or after ``text[start:]`` ("全区已建成社工站" of
    "全区已建成社工站850个"); "" when a number does not follow letters."""
    m = _NUMBER_START.search(text, start)
    if m is None:
        return ""
    run = _NOUN_BEFORE.search(text[max(0, m.start() - 20) : m.start()])
    return run.group(1) if run else ""


# the last letters of Chinese nouns of people (社工, 志愿者, 社会工作者, 人才, 学生, 居民, 嘉宾, 教授,
# 妇女, 青少年, 理事, 劳模 …): generous, since a noun read as people only keeps answers
_PEOPLE_NOUN = re.compile(r"(?:人|者|员|师|生|工|士|家|长|民|属|童|才|手|官|兵|客|友|众|队|使|宾|授|女|性|年|事|模|范"
                          r"|子|孩|老|姐|妈|爸|父|母|儿|侣|伴|孙|夫|妻|婆|爷|奶|族|徒|匠|商|农|户)$")


def names_people(noun: str) -> bool:
    """Whether a Chinese noun names people (社工室 does not; 社会工作者, 志愿者, 人数 do)."""
    return "人" in noun or bool(_PEOPLE_NOUN.search(noun))


def counted_head(noun: str) -> str:
    """The last three letters of a counted noun, function letters at its end aside ("人口是" and
    "人口为" -> "人口"; "城乡社区社工室" -> "社工室")."""
    return _FUNCTION_TAIL.sub("", noun)[-3:]


# the last letters that make a noun a kind of place or body (社工站, 社工室, 服务点, 指导中心, 志愿服务队):
# two nouns differing only there name two kinds of one thing, while 服务时长 / 服务时间 are one
_KIND_LETTERS = frozenset("站室点所队院馆会处部组团社厅局校园场厂店库心班")


def counted_after(text: str, end: int) -> str:
    """The noun written right after a number's measure word, the number ending at ``end``: jieba's
    nouns in a row ("小组" of "5个小组参与…", "志愿小组" of "6个志愿小组参与…"); "" when no noun of two
    letters or more follows."""
    noun = ""
    for w in _posseg().cut(text[end : end + 10]):
        if not w.flag.startswith("n"):
            break
        noun += w.word
    return noun if len(noun) > 1 else ""


def counts_bodies(noun: str) -> bool:
    """Whether a counted noun names places or bodies (社工站, 社工室, 服务队, 研究院 …: its last letter, as
    :func:`sibling_nouns` reads it), which are counted as things, never in occurrences (次, 人次).
    Not 会, 场 or 班, which also name meetings, sessions and classes held so many times."""
    head = counted_head(noun)
    return bool(head) and head[-1] in _KIND_LETTERS and head[-1] not in "会场班"


def sibling_nouns(asked: str, counted: str) -> bool:
    """Whether two counted nouns name two kinds of one thing: the same but for the last letter,
    a letter of a kind of place or body in both (社工站 / 社工室; not 服务时长 / 服务时间), function
    letters at their ends aside (人口是 / 人口为 are one noun)."""
    a, b = counted_head(asked), counted_head(counted)
    return (len(a) == 3 and len(b) == 3 and a[:2] == b[:2] and a[2] != b[2]
            and a[2] in _KIND_LETTERS and b[2] in _KIND_LETTERS)


@lru_cache(maxsize=1024)
def _modified_noun(noun: str) -> bool:
    """Whether jieba reads a noun as ending in a two-letter modifier (a noun, verb, adjective or
    distinguishing word) and a two-letter noun: 持证社工, 派驻社工, 向乡镇派驻社工; not 苏格兰选民 (a
    three-letter word before 选民), nor 占地球雨林的."""
    words = list(_posseg().cut(noun))[-2:]
    return (len(words) == 2 and all(len(w.word) == 2 for w in words) and words[1].flag[:1] == "n"
            and words[0].flag[:1] in "nvabj")


def modified_otherwise(asked: str, counted: str) -> bool:
    """Whether the noun written before a number (``counted``) names the thing a question counts
    (``asked``) with another modifier: "派驻社工300余名" counts the social workers sent to the
    villages, not the "持证社工" (certified ones) asked. Both end in the same two-letter noun after a
    two-letter modifier (:func:`_modified_noun`), the modifiers differ, and ``counted`` does not
    write the question's."""
    a, b = _FUNCTION_TAIL.sub("", asked), _FUNCTION_TAIL.sub("", counted)
    if len(a) < 4 or len(b) < 4 or a[-2:] != b[-2:] or a[-4:-2] == b[-4:-2] or a[-4:-2] in b:
        return False
    return _modified_noun(a) and _modified_noun(b)


# A nominee is not a winner: "推荐14个单位和个人参评第十二届中华慈善奖" does not say how many won it
_NOMINATED = re.compile(r"推荐|参评|提名|申报|候选|入围|\bnominat\w*|\bshortlist\w*|\brecommend\w*", re.I)
_WON = re.compile(r"获奖|获得|荣获|获评|获颁|拿到|得奖|当选|评为|夺得|\bwin\b|\bwins\b|\bwon\b|\bawarded\b", re.I)
_NOMINATION_ASKED = re.compile(r"获得提名|获提名|被提名|\bnominated\b", re.I)


def award_stage(text: str, asked: bool = False) -> str | None:
    """"won" when ``text`` speaks of winning an award or title (获得, 荣获, won), "nominated" when
    of being put forward for one (推荐…参评, 提名, nominated), else None. A clause speaking of both
    says neither; a question (``asked``) asking who won its nominees ("How many of the nominees
    won") asks "won", and one asking who got a nomination (获得提名) "nominated"."""
    if asked:
        if _NOMINATION_ASKED.search(text):
            return "nominated"
        return "won" if _WON.search(text) else ("nominated" if _NOMINATED.search(text) else None)
    nominated, won = bool(_NOMINATED.search(text)), bool(_WON.search(text))
    if nominated != won:
        return "nominated" if nominated else "won"
    return None


# A thing being built is not one built: "在建社工站47个" does not answer "建成了多少个"
# ("现在建了多少家" is "now built"; "所在建筑" is where a building is)
_BUILDING = re.compile(r"(?<![现所存])在建(?!筑)|正在建|建设中|施工中|under construction|being built", re.I)
_BUILT = re.compile(r"建成|已建|建了|落成|竣工|\b(?:built|completed|set up|established)\b", re.I)


def building_stage(text: str) -> str | None:
    """"building" when ``text`` speaks of something being built (在建, under construction),
    "built" when of something built (建成, built), else None."""
    if _BUILDING.search(text):
        return "building"
    return "built" if _BUILT.search(text) else None


def asks_rank(text: str) -> bool:
    """Whether the question asks for a rank (第几, 排名, what place): an ordinal is its answer."""
    return bool(_RANK.search(text))


def asks_share(text: str, language: str) -> bool:
    """Whether the question asks for a share, a percentage or a ratio."""
    pattern = _SHARE_EN if language == "en" else _SHARE_ZH
    return bool(pattern.search(text)) and not asks_rank(text)


def asks_count(text: str, language: str) -> bool:
    """Whether the question counts things ("how many levels", "多少个", "几支"): a share ("83%") is
    no count of them. "How much", "有多少碳" or "人口是多少" may be answered with one."""
    if asks_share(text, language):
        return False
    if language == "en":
        return bool(re.search(r"\bhow many\b", text, re.I))
    return bool(re.search(rf"(?:多少|几)[{MEASURE_WORDS}]", text))


_EN_WHEN = re.compile(r"^\s*when\b(?![^?]*,\s*(?:what|which|who|whom|whose|how|where)\b)"
                      r"|\b(?:what|which)\s+(?:year|date|day|month|decade|century)\b", re.I)


_ASKS_DAY = re.compile(r"哪一?天|几号|几月几[日号]|什么日期|哪个日期|哪日|\b(?:which|what) (?:day|date)\b", re.I)


def asks_day(text: str) -> bool:
    """Whether the question asks for a day ("哪天考", "几月几号", "On what date …"), not a year."""
    return bool(_ASKS_DAY.search(text))


def asks_time(text: str, language: str) -> bool:
    """Whether the question asks when ("哪一年", "什么时候", "When did …", "in what year"), not what
    happens when ("When many people are arrested, what is …")."""
    if language == "en":
        return bool(_EN_WHEN.search(text))
    return question_kind(text, language) == "when"


def extent_kind(text: str, language: str) -> str:
    """The kind of question as the clause rule reads it (``extent.ClauseRule.kinds``): "why" or
    "how" for a reason or a manner, else :func:`question_kind`."""
    return asks_reason(text, language) or question_kind(text, language)


def question_kind(text: str, language: str) -> str:
    """The kind of answer the question wants."""
    t = text.lower()
    if language == "en":
        # a question opened by who / where asks that, whatever its clauses say: "Who was the leader
        # when …", "Who is the president of Dali University, where … was set up?"
        lead = re.match(r"\s*(who|whom|whose|where)\b", t)
        if lead:
            return "where" if lead.group(1) == "where" else "who"
        if re.search(r"\b(more|fewer|less|larger|smaller|higher|lower|compare|compared|versus|vs\.?)\b.*\bthan\b|\bcompare", t):
            return "comparison"
        if re.search(r"\bhow (many|much)\b|\bwhat (percentage|proportion|share|number|rate|fraction)\b|"
                     r"\bthe (?:total |overall |combined )?number of\b|"
                     r"\bhow (long|old|big|large|far|tall|high|deep|wide|heavy)\b", t):
            return "number"
        if re.search(r"\b(in )?which year\b|\bwhat year\b", t):
            return "when"
        if re.search(r"\bwhen\b|\bwhat (date|day|month)\b|\bon which (date|day)\b", t):
            return "when"
        if re.search(r"\bwhere\b|\b(in|at) which (city|town|province|place|county|district|village|country|region)\b|\bwhich (city|town|province|place|county|district|village|country|region)\b", t):
            return "where"
        if re.search(r"\bwho\b|\bwhose\b|\bwhom\b", t):
            return "who"
        if re.search(r"\b(list|name all|what are)\b", t):
            return "list"
        if re.search(r"\bwhich\b", t):
            return "which"
        if re.search(r"\b(monthly|annual|yearly)\b.*\b(allowance|salary|subsidy|pay|wage|fee|cost|budget)\b|\bwhat(?:'s|’s| is| was) the (average|total)\b", t):
            return "number"
        return "what"
    # 比 as "than", not the 比 of 占比, 比例, 比重, 比率, 比赛, 比分, 比较 ("占比是多少" asks a share)
    if re.search(r"(?<![占对无])比(?![例重率赛分较])(?!.*比例).*(多|少|高|低|大|小)|相比|哪个更|谁更", text):
        return "comparison"
    # an era or a period is a when ("在哪个世纪", "什么时期", "哪个年代"), not a where; a dynasty is named
    # ("哪个朝代": 北宋), not dated
    if re.search(r"哪一?年|何时|什么时候|哪天|哪一天|几月|何年|日期|(?:哪一?个?|什么|何)(?:时代|时期|世纪|年代)", text):
        return "when"
    if re.search(r"多少|(?<!哪)几[个家人名所篇次项条位年天月届期岁座处件份场批万]|几\b|比例是|百分之几", text) or _HOW_MUCH_ZH.search(text):
        return "number"
    if re.search(r"哪里|哪儿|何地|在哪|哪个(城市|省|市|县|区|镇|地方)|哪座城市", text):
        return "where"
    if re.search(r"谁|哪位|哪些人", text):
        return "who"
    if re.search(r"哪些|是指什么|包括什么|有哪", text):
        return "list"
    if re.search(r"哪[个家两]", text):
        return "which"
    return "what"


_REASON_ZH = (("why", re.compile(r"为什么|为何|何以|缘何|什么原因|原因是什么|原因为何|原因何在")),
              ("how", re.compile(r"怎么|怎样|如何")))
_REASON_EN = (("why", re.compile(r"\bwhy\b", re.I)),
              ("how", re.compile(r"\bhow\b(?!\s+(?:many|much|long|old|far|big|large|tall|often|soon|high|deep|wide)\b)", re.I)))


def asks_reason(text: str, language: str) -> str:
    """``"why"`` or ``"how"`` when the question asks for a reason or a manner (为什么, 如何, why, how
    did …), whose answer is a clause or a sentence rather than a name or a number; else ``""``."""
    for kind, pattern in _REASON_EN if language == "en" else _REASON_ZH:
        if pattern.search(text):
            return kind
    return ""


# "…过70%了没有？", "…去过没？": the A-not-A tag at a question's end asks, it does not deny
_NO_TAG_ZH = re.compile(r"(?:(?:了|过)没有?|没有?(?=\s*[？?]))[\s？?。]*$")
_YES_NO_ZH = re.compile(rf"是否|是不是|有没有|能否|可否|会不会|能不能|可不可以|对不对|吗[\s？?。]*$|{_NO_TAG_ZH.pattern}")
_WH_ZH = re.compile(r"什么|谁|哪|多少|几[个家人名所篇次项条位年天月届期岁座处件份场批万]|怎|为何|为什么|何时|何地|何处|如何")
_YES_NO_EN = re.compile(
    # after a scene set off by a comma ("During its Zhejiang trip, did …") or a joining word ("And is …")
    r"^\s*(?:[^,?]{1,80},\s*|(?:and|so|but|also|then)\s+)?"
    r"(?:is|are|was|were|am|do|does|did|has|have|had|can|could|will|would|shall|should|may|might|must)\b"
    r"(?!\s+(?:what|who|whom|which|where|when|why|how)\b)"
    r"(?!.*\bor\b(?!\s+not\b))", re.I)  # "Did they go to A or to B first?" asks which
_WH_EN = re.compile(r"\b(?:what|who|whom|whose|which|where|when|why|how)\b", re.I)
# negation: words that turn a statement round (jieba words; English words and n't)
NEGATION_ZH = frozenset(
    "不 没 没有 未 未能 未曾 无 无法 无从 非 并非 绝非 不是 并不 并未 并没有 不能 不会 不可 不得 不再 不曾 从未 从不 "
    "决不 绝不 决非 毫无 毫不 别 勿 莫 不用 不必 无需 无须 不足 不到 不够 尚未 还未 还没 还没有 从没 从没有".split()
)
NEGATION_EN = frozenset("not no never none neither nor nobody nothing nowhere without cannot".split())
# "not just", "not only": a question adding to its claim, not denying it
_NOT_ONLY_EN = re.compile(r"\bnot\s+(?:just|only|merely|simply|solely)\b", re.I)
# a claim of all of something: "是否全部覆盖", "每个乡镇都…", "Are all …", "every township", "fully covered"
_ALL_ZH = re.compile(r"全部|所有|每个|每一个|每一|各个|全都|一律|全覆盖|全面覆盖")
_ALL_EN = re.compile(r"\b(?:all|every|each|fully|entire(?:ly)?|completely|100\s*%)\b", re.I)


def claims_all(question: str, language: str) -> bool:
    """Whether a yes / no question claims something of all of a group ("河北的乡镇社工站是不是已经全部
    覆盖了", "Does every township have a station?"): a share under 100% in the evidence says no."""
    return bool((_ALL_EN if language == "en" else _ALL_ZH).search(question))


# a request for information worded as a yes / no question: "能告诉我…吗", "Can you tell me …"
_REQUEST_ZH = re.compile(
    r"^\s*(?:请问)?(?:你们|你|您)?(?:能否|能不能|可不可以|可以|可否|能|请|麻烦)?(?:你们|你|您)?(?:帮我)?"
    r"(?:告诉|说说|讲讲|谈谈|介绍|说明|解释|列出|列举|知道|了解)(?:一下)?(?:我们|我)?(?:一下)?")
_REQUEST_EN = re.compile(
    r"^\s*(?:(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?(?:tell|show|give|list|explain|describe|name)"
    r"|(?:do|does)\s+(?:you|anyone|anybody)\s+know)\b", re.I)
_WHETHER_ZH = re.compile(r"是否|是不是|有没有|会不会|对不对")
_WHETHER_EN = re.compile(r"\b(?:whether|if)\b", re.I)


def asks_yes_no(text: str, language: str) -> bool:
    """Whether the question asks for a yes or a no (是否…, …吗？ without a question word; "Is …",
    "Did …" and the like, without a question word: "Can you tell me how many …" is no yes / no).
    A request worded as a question ("能告诉我社工站的数量吗", "Can you tell me the number of …",
    "Do you know the date of …") asks for what it names, unless what it names is itself a
    whether ("你知道…是否…吗", "Can you tell me whether …")."""
    en = language == "en"
    wh, request_words, whether, yes_no = (
        (_WH_EN, _REQUEST_EN, _WHETHER_EN, _YES_NO_EN) if en else (_WH_ZH, _REQUEST_ZH, _WHETHER_ZH, _YES_NO_ZH))
    if wh.search(text):
        return False
    request = request_words.search(text)
    if request:
        return bool(whether.search(text, request.end()))
    return bool(yes_no.search(text))


_A_NOT_A = re.compile(r"是否|是不是|有没有|能否|可否|会不会|能不能|可不可以")


def yes_no_predicate(text: str) -> str:
    """What a Chinese yes / no question asks of its subject: the words after 是否 (有没有, 能否 …),
    else from its first verb on ("四加亭有桥梁吗" -> "有桥梁"); the whole question when neither is found."""
    body = re.sub(r"[吗呢][\s？?。]*$|[\s？?。]+$", "", _NO_TAG_ZH.sub("", text))
    m = _A_NOT_A.search(body)
    if m:
        return body[m.end() :]
    pos = 0
    for pair in _posseg().lcut(body):
        if pair.flag.startswith("v") and pos > 0:
            return body[pos:]
        pos += len(pair.word)
    return body


def predicate_tail(predicate: str) -> list[str]:
    """The letter pairs of the last four letters of a Chinese yes / no question's predicate, less its
    final particles, as patterns allowing two letters between the pair's two: what the question says
    of its subject ("是只在线下举行的" -> 线下, 下举, 举行; "有毒" -> 有…毒, found in "有轻微毒性"; "涨工资了"
    -> 涨工, 工资). Of "A，还是B" (A or B), A's. Letter pairs, not jieba's words: jieba cuts "在线下开"
    as 在线 / 下开."""
    first = re.split(r"[，,]?还是", predicate)[0]
    body = re.sub("[了的吗呢啊呀么]+$", "", re.sub(f"[^{HAN}]", "", first))[-4:]
    return [f"{re.escape(body[i])}.{{0,2}}{re.escape(body[i + 1])}" for i in range(len(body) - 1)]


# a claim that something is so only in one way: "是只在线下开的吗", "Was it held purely online?"
_ONLY_EN = re.compile(r"\b(?:only|purely|solely|exclusively|just)\b", re.I)
# a clause joining two ways or things: "线上线下相结合", "both … and …"
_COMBINED_ZH = re.compile(r"相结合|结合|兼顾|并重|同时|以及|既.{1,12}又")
_COMBINED_EN = re.compile(r"\bboth\b|\bas well as\b|\bcombin", re.I)


def claims_only(question: str, language: str) -> bool:
    """Whether a yes / no question claims that something is so in one way only ("是只在线下开的吗",
    "held purely online"), and not the "not just" that adds to a claim."""
    if language == "en":
        return bool(_ONLY_EN.search(_NOT_ONLY_EN.sub(" ", question)))
    return bool(re.search(r"(?<![不非])(?:只|仅|单纯|纯粹)", question))


def combined(text: str) -> bool:
    """Whether a clause joins two ways or things ("会议采取线上线下相结合的方式进行")."""
    return bool(_COMBINED_ZH.search(text) or _COMBINED_EN.search(text))


def negated(text: str, language: str) -> bool:
    """Whether ``text`` (a clause) holds a negation word (不, 没有, 并非, … / not, never, n't, …; not
    the "not" of "not just", "not only", nor the 没有 of a question's closing "…了没有？")."""
    if language == "en":
        words = re.findall(r"[a-z]+(?:'t)?", _NOT_ONLY_EN.sub(" ", text).lower())
        return any(w in NEGATION_EN or w.endswith("n't") for w in words)
    return any(w in NEGATION_ZH for w in _posseg().tokenizer.lcut(_NO_TAG_ZH.sub("", text)))


# titles of office written before a name in Chinese news (副总裁马康, 院长雷兴山); a deputy is 副-
OFFICE_TITLES = re.compile(
    r"(?P<full>董事长|理事长|秘书长|总经理|总裁|主席|书记|主任|总监|主编|总编|总统|总理|首相|大使|教练)"
    r"|(?P<core>[会院校部局厅处科社行团队站所馆州市县省区镇乡村]长)"
)
# a title followed by one of these letters names an office's organisation, not its holder (大使馆,
# 书记处, 主席团, 校长室, 院长办公室)
_OFFICE_OF_TITLE = frozenset("馆处团室办")
DEPUTY_MARKERS = ("副", "代理", "助理", "前任", "原任")
_TITLE_MODIFIERS = ("执行", "常务", "名誉", "荣誉")  # another office than the plain title


# English titles of office -> the Chinese titles a news passage writes before the holder's name
EN_OFFICE_TITLES = {
    "president": ("总裁", "主席", "会长", "总统", "校长", "院长", "行长", "社长"),
    "chairman": ("主席", "董事长", "会长", "理事长"), "chairwoman": ("主席", "董事长", "会长", "理事长"),
    "chair": ("主席", "董事长", "会长", "理事长", "主任"), "ceo": ("总裁", "总经理"),
    "general manager": ("总经理",), "director": ("主任", "局长", "厅长", "处长", "所长", "馆长", "院长", "总监"),
    "dean": ("院长",), "principal": ("校长",), "mayor": ("市长",), "governor": ("省长", "州长", "行长"),
    "minister": ("部长",), "secretary": ("书记", "秘书长"), "head coach": ("主教练",), "coach": ("教练", "主教练"),
    "editor-in-chief": ("主编", "总编"), "ambassador": ("大使",), "prime minister": ("总理", "首相"),
    "secretary-general": ("秘书长",),
    # "the head of the department", "who heads the bureau": whoever leads it, by its kind
    "head": ("厅长", "局长", "主任", "处长", "部长", "院长", "校长", "会长", "所长", "馆长", "站长", "科长"),
}
# a title joined to another word by a hyphen is another office ("minister-counsellor" is no 部长)
_EN_TITLE = re.compile(r"\b(?:(vice|deputy|assistant|acting|former|executive)[\s-]+)?("
                       + "|".join(sorted(map(re.escape, EN_OFFICE_TITLES), key=len, reverse=True)) + r")s?\b(?!-)", re.I)


# English modifiers of a title that make another office, and how a passage writes them (as 执行院长)
_EN_TITLE_MODIFIERS = {"executive": "执行", "acting": "代理"}

_ENGLISH_START = re.compile(r"\W*[A-Za-z]")


def asked_titles(text: str) -> set[str]:
    """The titles of office a question names as such, not as a deputy ("苏宁控股集团总裁是谁" ->
    {"总裁"}; "副总裁是谁" asks for the deputy and gives none; "Who is the president of …" ->
    总裁, 主席, 会长 …, "the vice president" none)."""
    out = set()
    for m in _EN_TITLE.finditer(text):
        if not m.group(1):
            out.update(EN_OFFICE_TITLES[m.group(2).lower()])
        elif m.group(1).lower() in _EN_TITLE_MODIFIERS:  # "executive dean": 执行院长, not the 院长
            out.update(_EN_TITLE_MODIFIERS[m.group(1).lower()] + t for t in EN_OFFICE_TITLES[m.group(2).lower()])
    if _ENGLISH_START.match(text):
        return out  # the Chinese of an English question is its bridged terms ("副 代表 市长" of "deputy mayor")
    for m in OFFICE_TITLES.finditer(text):
        title = m.group("full") or m.group("core")
        if text[m.end() : m.end() + 1] in _OFFICE_OF_TITLE:  # "大使馆的参赞是谁": no 大使 asked
            continue
        before = text[max(0, m.start() - 2) : m.start()]
        if not any(before.endswith(d) for d in DEPUTY_MARKERS):
            out.add(before + title if before in _TITLE_MODIFIERS else title)  # 执行院长: not the 院长
    return out


_NAME_ASKED = re.compile(r"叫什么|什么名字|姓名|名字是|\bname of\b|\bwhat is (?:the )?name\b|\bnamed\b|\bcalled\b", re.I)


def asks_name(text: str) -> bool:
    """Whether the question asks for a name ("法国驻华大使叫什么名字", "What is the name of …"): asked
    of a title of office, it asks for the holder, as "who" does."""
    return bool(_NAME_ASKED.search(text))


def asked_deputy_titles(text: str) -> set[str]:
    """The deputies' titles a question asks for ("哪位副院长" -> {"副院长"}; "Who is the vice
    president of …" -> 副总裁, 副主席 …): the holder is named with that title, not with another one
    (the centre's 心理治疗师 is not its 副院长)."""
    out = set()
    for m in _EN_TITLE.finditer(text):
        if m.group(1) and m.group(1).lower() in ("vice", "deputy"):
            out.update("副" + t for t in EN_OFFICE_TITLES[m.group(2).lower()])
    if _ENGLISH_START.match(text):
        return out
    for m in OFFICE_TITLES.finditer(text):
        if text[: m.start()].endswith("副"):
            out.add("副" + (m.group("full") or m.group("core")))
    return out


def deputy_spans(passage: str, titles: set[str]) -> list[tuple[int, int]]:
    """Where ``passage`` introduces a deputy (副, 代理 …) of one of ``titles``: each stretch from the
    deputy's title to the end of the name after it ("副总裁马康")."""
    out = []
    for title in titles:
        for m in re.finditer(re.escape(title), passage):
            head = passage[max(0, m.start() - 6) : m.start()]
            marker = next((d for d in DEPUTY_MARKERS if head.endswith(d)), None)
            loose = re.search(r"副[^、，,；;：:\s]{0,3}$", head)
            if marker is None and loose is None:
                continue
            begin = m.start() - (len(marker) if marker else len(head) - loose.start())
            words = _posseg().tokenizer.lcut(passage[m.end() : m.end() + 8])
            out.append((begin, m.end() + (len(words[0]) if words else 0)))
    return out


@dataclass(frozen=True)
class Alternatives:
    """Two things a question weighs against each other ("硕士点和博士点，哪个更多", "more master's
    or doctoral programmes"): each with the question that asks for its number, and whether the
    larger (``more``) or the smaller one is asked for."""

    first: str
    second: str
    first_question: str
    second_question: str
    more: bool
    # the two are whose count is weighed ("which country has more social workers, China or
    # France?"), not what is counted: the answer names the one, not "more China"
    subjects: bool = False


_ZH_WHICH_MORE = re.compile(
    r"^(?P<head>.*?)(?P<a>[^，,。？?；;：:、]{1,24}?)[，,]?(?:和|与|跟|同|还是)(?P<b>[^，,。？?；;：:]{1,24}?)[，,]?\s*(?:相比[，,]?\s*)?"
    r"(?:哪个|哪一个|哪一项|哪项|谁|哪种)(?:的)?(?:数量|数目|人数|规模|金额|数字)?(?:更|较|比较|最)?(?P<d>多|少|大|小|高|低)"
)
_ZH_OR_MORE = re.compile(
    r"^(?P<head>.*?)(?P<a>[^，,。？?；;：:、]{1,24}?)(?:更|较)?(?P<d>多|少)还是(?P<b>[^，,。？?；;：:、]{1,24}?)(?:更|较)?(?:多|少)"
)
_EN_MORE_OR = re.compile(
    r"\b(?P<d>more|fewer|less)\s+(?P<a>[\w'’\-() ]{2,40}?)\s+or\s+(?:(?:more|fewer|less)\s+)?(?P<b>[\w'’\-() ]{2,40}?)"
    r"(?=\s*(?:[?,.;:]|$)|\s+(?:in|at|on|for|during|across|among|within|by|under|over|of|this|last|next|that|so|than|since|after|before)\b)",
    re.I,
)
# "which is larger, A or B", "which is there more of: A or B", "which number is bigger: the A, or
# the B …", "which have been built in larger numbers: A or B"
_EN_WHICH_MORE = re.compile(
    r"\bwhich(?:\s+(?:one|number|figure|count|total))?\s+(?:is|was|are|were|has\s+been|have\s+been)\s+(?:there\s+)?"
    r"(?:(?P<verb>built|set\s+up|established|opened|created)\s+in\s+)?(?:the\s+)?(?P<d>more|larger|bigger|greater|higher|fewer|less|smaller|lower)"
    r"(?:\s+(?:numerous|common|plentiful|number|numbers|figure|count|one))?(?:\s+of)?\s*[,:]?\s+(?:the\s+)?"
    r"(?P<a>[\w'’\-/ ]{2,60}?),?\s+or\s+(?:the\s+)?(?P<b>[\w'’\-/ ]{2,60}?)\s*(?=[?.]|$)",
    re.I,
)


# "What does China have more of: service organisations or universities …?"
_EN_MORE_OF = re.compile(
    r"\bwhat\s+(?P<aux>do|does|did)\s+(?P<subject>.+?)\s+(?P<verb>have|has|had|count|build|built|run)\s+(?P<d>more|fewer|less)\s+of\s*[:,]?\s*"
    r"(?:the\s+)?(?P<a>[\w'’\- ]{2,60}?)\s+or\s+(?:the\s+)?(?P<b>[\w'’\- ]{2,60}?)\s*(?=[?.]|$)",
    re.I,
)
# "Which country has more social workers, China or France?" ("Who has more …"): the two are whose
# count is weighed
_EN_WHICH_HAS_MORE = re.compile(
    r"\b(?:which\s+(?:[a-z]+\s+){0,2}?|who\s+)(?P<verb>has|had|have|employs|employed|counts|counted)\s+(?P<d>more|fewer|less)\s+"
    r"(?P<x>[\w'’\- ]{2,60}?)\s*[,:]\s*(?:the\s+)?(?P<a>[\w'’\- ]{2,40}?)\s+or\s+(?:the\s+)?(?P<b>[\w'’\- ]{2,40}?)\s*(?=[?.]|$)",
    re.I,
)
# "中国和法国，哪个国家的社会工作者更多？"
_ZH_WHICH_HAS_MORE = re.compile(
    r"^(?P<head>.*?)(?P<a>[^，,。？?；;：:、]{1,12}?)(?:和|与|跟|同|还是)(?P<b>[^，,。？?；;：:]{1,12}?)[，,]?\s*"
    r"(?:哪个|哪一个|哪)(?:[^的，,。？?]{1,4}?)的(?P<x>[^，,。？?]{1,16}?)(?:更|较|比较)?(?P<d>多|少)"
)


def _how_many(lead: str, things: str, aux: str, subject: str, verb: str) -> str:
    """"{lead}, how many {things} {aux} {subject} {verb}?", its first letter capitalised."""
    asked = f"how many {things} {aux} {subject} {verb}?"
    asked = f"{lead}, {asked}" if lead else asked
    return asked[0].upper() + asked[1:]


# "…，哪个更多？分别有多少？", "…, China or France, and how many does each have?": the weighing
# answer gives both numbers anyway
_ZH_EACH = re.compile(r"[，,？?]\s*(?:它们|两者|二者|两个|两项)?(?:分别|各自|各)(?:有|是|为|达到)?(?:多少|几)[个家人名所项条位]?呢?[？?]?\s*$")
_EN_EACH = re.compile(
    r"[,;]?\s*(?:and\s+)?(?:how\s+(?:many|much)\s+(?:[a-z]+\s+)?(?:does|do|did)\s+each(?:\s+one)?\s+(?:have|has|had|employ|count)"
    r"|what\s+(?:are|were)\s+(?:the|their)\s+(?:two\s+)?(?:numbers|figures|counts))\s*[?.]*\s*$",
    re.I,
)


def without_each_request(text: str, language: str) -> str:
    """A which-is-more question without its request for each thing's number ("哪个数量更多？分别有
    多少？" -> "哪个数量更多？"): the answer to the rest names the larger one with both numbers."""
    pattern = _EN_EACH if language == "en" else _ZH_EACH
    m = pattern.search(text)
    if m is None or m.start() == 0:
        return text
    return text[: m.start()].rstrip(" ,，;；") + ("?" if language == "en" else "？")


def asked_alternatives(text: str, language: str) -> Alternatives | None:
    """The two things a "which is more" question weighs, or None. The answer is the one with the
    larger number (the smaller for 少 / fewer / less), each number read by its own question."""
    text = without_each_request(text, language)
    if language == "en":
        m = _EN_MORE_OF.search(text)
        if m:  # "what does China have more of: A or B": how many A / B does China have
            lead = text[: m.start()].strip().rstrip(",")
            a, b = (re.sub(r"^(?:the\s+)?(?:(?:number|amount|count|total)\s+of\s+)?", "", m.group(g).strip(), flags=re.I) for g in ("a", "b"))

            aux, subject, verb = m["aux"].lower(), m["subject"], m["verb"].lower()
            return Alternatives(a, b, _how_many(lead, a, aux, subject, verb), _how_many(lead, b, aux, subject, verb),
                                m["d"].lower() == "more")
        m = _EN_WHICH_HAS_MORE.search(text)
        if m:  # "which country has more X, A or B": how many X does A / B have
            lead = text[: m.start()].strip().rstrip(",")
            verb = {"has": "have", "had": "have", "employs": "employ", "employed": "employ", "counts": "count",
                    "counted": "count"}.get(m["verb"].lower(), m["verb"].lower())
            aux = "did" if m["verb"].lower() in ("had", "employed", "counted") else "does"
            x, a, b = m["x"].strip(), m["a"].strip(), m["b"].strip()
            return Alternatives(a, b, _how_many(lead, x, aux, a, verb), _how_many(lead, x, aux, b, verb),
                                m["d"].lower() == "more", subjects=True)
        m = _EN_MORE_OR.search(text) or _EN_WHICH_MORE.search(text)
        if not m:
            return None
        a, b = (re.sub(r"^(?:the\s+)?(?:(?:number|amount|count|total)\s+of\s+)?(?:the\s+)?", "", m.group(g).strip(), flags=re.I)
                for g in ("a", "b"))
        if a.lower() == b.lower() or a.lower() in EN_STOPWORDS or b.lower() in EN_STOPWORDS:
            return None
        tail = text[m.end() :].strip(" ?.!")
        head = text[: m.start()]
        lead = head[: head.rfind(",") + 1].strip() if "," in head else ""  # "In Inner Mongolia's …, were there"

        # "Does Dingxi have more X or more Y": each count is asked of the same subject
        asked = re.fullmatch(r"\s*(?:[^,]*,\s*)?(?P<aux>do|does|did|will|would|can|could)\s+(?P<subject>.+?)\s+(?P<verb>[a-z]+)\s*",
                             head, re.I)

        made = (m.groupdict().get("verb") or "").lower()  # "which have been built in larger numbers"

        def ask(thing: str) -> str:
            if asked:
                text = f"{lead} how many {thing} {asked['aux'].lower()} {asked['subject']} {asked['verb']} {tail}"
            elif made:
                text = f"{lead} how many {thing} have been {made} {tail}"
            else:
                text = f"{lead} how many {thing} {tail}"
            text = re.sub(r"\s+", " ", text).strip().rstrip(",") + "?"
            return text[0].upper() + text[1:]

        more = m.group("d").lower() not in ("fewer", "less", "smaller", "lower")
        return Alternatives(a, b, ask(a), ask(b), more)
    m = _ZH_WHICH_HAS_MORE.search(text)
    if m and not _ZH_WHICH_MORE.search(text):  # "中国和法国，哪个国家的社工更多": 中国的社工有多少
        a, b, x = m["a"].strip(), m["b"].strip(), m["x"].strip()
        if a and b and a != b:
            head = m["head"]
            return Alternatives(a, b, f"{head}{a}的{x}有多少？", f"{head}{b}的{x}有多少？", m["d"] == "多", subjects=True)
    m = _ZH_WHICH_MORE.search(text) or _ZH_OR_MORE.search(text)
    if not m:
        return None
    a, b = m.group("a").strip(), m.group("b").strip()
    a = re.sub(r"^(?:请问|那么|那)", "", a)
    if not a or not b or a == b:
        return None
    head = m.group("head")
    more = m.group("d") in ("多", "大", "高")
    return Alternatives(a, b, f"{head}{a}有多少？", f"{head}{b}有多少？", more)


@dataclass(frozen=True)
class Order:
    """Two things an order question asks about ("which came first: Kunshan or Taicang?",
    "先去了苏宁还是如愿社工村？"), as written, and whether the earlier one is asked for."""

    first: str
    second: str
    earlier: bool


_EN_ORDER = (
    re.compile(r"\b(?P<w>first|earlier|last|later)\s*[:,]\s*(?:the\s+)?(?P<a>.+?),?\s+or\s+(?:the\s+)?(?P<b>.+?)[\s?.!]*$", re.I),
    re.compile(r"\b(?:go|went|get|got|travel(?:l?ed)?|visit(?:ed)?|inspect(?:ed)?|tour(?:ed)?|stop(?:ped)?|arrive[sd]?)\s+"
               r"(?:at\s+|to\s+|in\s+)?(?:the\s+)?(?P<a>.+?),?\s+or\s+(?:at\s+|to\s+|in\s+)?(?:the\s+)?(?P<b>.+?)\s+"
               r"(?P<w>first|earlier|last|later)[\s?.!]*$", re.I),
)
_ZH_ORDER = (
    re.compile(r"(?P<w>先|后)(?:去|到|考察|调研|参观|走访|视察|访问)?了?(?P<a>[^，,？?]+?)还是(?P<b>[^，,？?]+?)[？?]?$"),
    re.compile(r"(?P<a>[^，,？?]+?)(?:和|与|还是)(?P<b>[^，,？?]+?)[，,]?(?:哪个|哪一个|哪里|哪儿|哪站)(?:在)?(?P<w>先|后)"),
)


def asked_order(text: str, language: str) -> Order | None:
    """The two things whose order the question asks, or None."""
    for pattern in _EN_ORDER if language == "en" else _ZH_ORDER:
        m = pattern.search(text)
        if m:
            a, b = m.group("a").strip(), m.group("b").strip()
            if a and b and a.lower() != b.lower():
                return Order(a, b, m.group("w").lower() in ("first", "earlier", "先"))
    return None


_SENTENCE_END = re.compile(r"[。！？!?\n]")


def names_title(passage: str, start: int, end: int, titles: set[str]) -> bool:
    """Whether the sentence of ``passage[start:end]`` names one of ``titles`` other than as a
    deputy's, and not as the title of another person named right after it: the holder of an office
    is named with it ("任命罗伯特•金特纳为美国广播公司总裁", "院长雷兴山", "…，目前担任…总经理"), while in
    "黄龙岘村党支部书记唐国庆、牌坊村村民潘超" the 书记 is 唐国庆's, and "云南师范大学党委书记张祖武"
    says nothing of who is 校长."""
    begin = max((m.end() for m in _SENTENCE_END.finditer(passage, 0, start)), default=0)
    stop = _SENTENCE_END.search(passage, end)
    sentence = passage[begin : stop.start() if stop else len(passage)]
    person = passage[start:end].strip()
    for title in titles:
        for m in re.finditer(re.escape(title), sentence):
            if any(sentence[: m.start()].endswith(d) for d in DEPUTY_MARKERS):
                continue
            if sentence[m.end() : m.end() + 1] in _OFFICE_OF_TITLE:  # "大使馆公使衔参赞白美燕": no 大使
                continue
            after = sentence[m.end() :].lstrip()
            if person and after.startswith(person):
                return True
            if after.startswith("、"):  # "会长陈存根，党委书记、副会长周惠": the titles run on to their holder
                run = re.split(r"[，,；;：:。！？!?\s]", after[1:], maxsplit=1)[0][:12]
                if person and person in run:
                    return True
                if any(w.flag.startswith("nr") for w in _posseg().lcut(run)):
                    continue
            if not _names_person_first(after[:8]):
                return True
    return False


def _names_person_first(text: str) -> bool:
    """Whether ``text`` starts with a person's name (jieba's tagger)."""
    if not text or not re.match(f"[{HAN}]", text):
        return False
    words = _posseg().lcut(text)
    if not words:
        return False
    # "局长黄海，副局长…": one word of 2-4 letters between the title and the clause's end is the
    # name, however jieba tags it (黄海 as the sea); "主任委员慕平，" starts with another title
    run = re.match(f"[{HAN}·•]{{2,4}}(?=[，,、；;。（(]|$)", text)
    return words[0].flag.startswith("nr") or (run is not None and words[0].word == run.group())


# the last word of an organisation's name (民政局, 联合会, 师范大学, 市委) and the party organs
# written between an organisation and its officer's title (昆山市民政局党委书记)
_ORG_UNIT = re.compile(r"(?:局|厅|部|处|科|办|委|院|校|大学|学院|会|中心|公司|集团|医院|站|所|行|馆|社|村|镇|乡|街道|区|县|市|省)$")
_PARTY_ORGAN = re.compile(r"(?:党委|党组|党工委|党总支|党支部|纪委)$")
_BEFORE_TITLE = re.compile(r"[、，,；;：:。！？!?\s“”\"（）()]")


def office_elsewhere(question: str, passage: str, start: int, end: int, titles: set[str]) -> bool:
    """Whether the office of ``titles`` nearest before the end of ``passage[start:end]`` (the
    holder's name, or a cut that runs over the title) belongs to an organisation the question does
    not name: "昆山市民政局党委书记、局长陈鲁勇" is the civil affairs bureau's party secretary, not
    Kunshan's; "云南师范大学党委书记张祖武" is the university's when the question asks about 云南师范大学."""
    lo = max(0, start - 16)
    found = [(m.start(), m.end()) for t in titles for m in re.finditer(re.escape(t), passage[lo:end])]
    if not found:
        return False
    title_start = lo + max(found)[0]
    head = passage[max(0, title_start - 24) : title_start]
    cut = max((m.end() for m in _BEFORE_TITLE.finditer(head)), default=0)
    owner = _PARTY_ORGAN.sub("", head[cut:])
    words = _posseg().tokenizer.lcut(owner) if owner else []
    unit = words[-1] if words else ""
    if len(unit) == 1 and len(words) > 1:  # 交通运输 + 局
        unit = words[-2] + unit
    kind = _ORG_UNIT.search(unit)
    if len(unit) < 2 or not kind:
        return False
    # named in the question, or its kind is (师范大学 for an English "Normal University" bridged as 大学)
    return not (unit in question or unit[:-1] in question or (len(kind.group()) >= 2 and kind.group() in question))


_TITLE_RUN_END = re.compile(r"[，,；;：:。！？!?\s“”\"（）()]")  # titles run on across 、: "党委书记、局长陈鲁勇"


def title_run(passage: str, start: int) -> str:
    """The titles written right before the name at ``passage[start:]``, back to the clause's start
    ("北京大学教授" of "…;北京大学教授刘志民", "副校长、研究院院长" of "首都师范大学副校长、研究院院长雷兴山")."""
    head = passage[max(0, start - 24) : start]
    return head[max((m.end() for m in _TITLE_RUN_END.finditer(head)), default=0) :]


def titled_otherwise(passage: str, start: int, titles: set[str]) -> bool:
    """Whether the name at ``passage[start:]`` comes right after titles of office none of which is
    one of ``titles``: "咨询委员会主任委员慕平" is no 院长, "副校长、研究院院长雷兴山" is."""
    run = title_run(passage, start)
    return bool(OFFICE_TITLES.search(run)) and not any(t in run for t in titles)


def asked_unit(text: str, language: str) -> str:
    """The measure word or unit the answer should carry, when the question shows it."""
    if language == "en":
        t = text.lower()
        if re.search(r"percent|percentage|proportion|share|rate\b|%", t):
            return "%"
        for pattern, unit in (
            (r"\bhow many days\b|\bhow long\b", "天"),
            (r"\bhow many years\b", "年"),
            (r"\b(?:how many|number of) (?:(?!(?:do|does|did|are|is|was|were|have|has|had|will|can|could|would|in|on|at|of|for|to|by|with|from|than|there)\b)[a-z'-]+ ){0,3}(people|persons|volunteers|workers|staff|students|graduates|members|experts|participants|residents|employees|teachers|doctors|nurses|children|patients|visitors|delegates|representatives|runners|athletes|players|soldiers|officials)\b", "人"),
            (r"\b(yuan|rmb|allowance|salary|subsidy|wage|pay|fund|funds|funding|budget|money|raised|donations?|spent|invested|investment|cost)\b", "元"),
            (r"\b(?:how many|number of) (cases|articles|papers)\b", "篇"),
            (r"\bhow many times\b", "次"),
        ):
            if re.search(pattern, t):
                return unit
        return ""
    if re.search(r"百分之|比例|覆盖率|占比|率是|率为|率达", text):
        return "%"
    if _MONEY_ASKED_ZH.search(text):  # "帮扶资金一共多少", "每月多少钱": a sum of money
        return "元"
    m = re.search(rf"(?:多少|几)([{MEASURE_WORDS}])", text)
    if m:
        return m.group(1)
    return ""


_MONEY_ASKED_ZH = re.compile(
    r"(资金|经费|金额|善款|款项|投资额|预算|费用|工资|薪酬|薪水|津贴|补贴|奖金|票价|售价|价格|收入|钱)[^，。？?、]{0,6}"
    r"(?:多少|(?<!第)几)(?!倍|成|%|人|个|名)|多少万?(?:钱|元|资金|经费|善款|费用)")

_NOT_COUNTED = (  # words after "how many" that are not the thing counted
    r"of|more|less|fewer|do|does|did|are|is|was|were|have|has|had|will|can|could|would|should|there|in|on|at|for|"
    r"to|by|with|from|than|and|or|that|which|who|the|a|an|its|their|[a-z'-]+ly"
)


def counted_phrase(text: str) -> str:
    """The words an English "how many" question counts: those after "how many" up to its verb
    ("How many social work stations does …" -> "social work stations"; "how many departments
    jointly issued …" -> "departments"); "" for other questions."""
    m = re.search(r"\bhow many ((?:[a-z][a-z'-]*\s*){1,5})", text.lower())
    if not m:
        return ""
    words = []
    for w in m.group(1).split():
        if re.fullmatch(_NOT_COUNTED, w):
            break
        words.append(w)
    return " ".join(words)


# the end of the noun phrase an English "how many" counts: its verb or a preposition
_COUNTED_NP_END = re.compile(
    r"\bhow many\s+(.+?)\s+(?:has|have|had|does|do|did|is|are|was|were|will|can|could|would|already"
    r"|built|in|at|of|on|from|with|by|among|across|for|under|during)\b",
    re.I,
)


def counted_noun_phrase(text: str) -> str:
    """The whole noun phrase an English "how many" counts, whose last term is the thing counted
    ("How many village and community social work rooms has …" -> "village and community social
    work rooms"; "how many guests attended the dinner …" -> "guests"; "how many person-times of
    services" -> "person-times"). :func:`counted_phrase` stops at its first "and" or article, for
    the words a clause must name; this one keeps them, to find the head."""
    m = _COUNTED_NP_END.search(text)
    if m is None:
        return ""
    return re.split(r"\s(?=[a-z]{2,}ed\b)", m.group(1).lower(), maxsplit=1)[0]  # up to an "-ed" verb


def count_parts(text: str) -> int:
    """How many separate values the question asks for."""
    asks = len(re.findall(r"多少|几[个家人名所篇次项条位年天月届期]", text))
    if re.search(r"分别", text):
        asks = max(asks, 2)
    if re.search(r"\brespectively\b|\band how many\b", text, re.I):
        asks = max(asks, 2)
    return max(1, asks)


# --------------------------------------------------------------------------- concepts
@lru_cache(maxsize=1)
def _posseg():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    return jieba.posseg.dt  # shares jieba's default dictionary with the BM25 analyzer


def _is_named(word: str) -> bool:
    """Whether jieba tags a Chinese word as a place, person or organisation name."""
    tags = [p.flag for p in _posseg().cut(word)]
    return len(tags) == 1 and tags[0][:2] in ("ns", "nr", "nt")


# One-character abbreviations used in news text ("在京", "沪甘", "赴浙").
PROVINCE_ABBREVIATIONS = {
    "北京": "京", "上海": "沪", "天津": "津", "重庆": "渝", "河北": "冀", "山西": "晋", "内蒙古": "蒙", "辽宁": "辽",
    "吉林": "吉", "黑龙江": "黑", "江苏": "苏", "浙江": "浙", "安徽": "皖", "福建": "闽", "江西": "赣", "山东": "鲁",
    "河南": "豫", "湖北": "鄂", "湖南": "湘", "广东": "粤", "广西": "桂", "海南": "琼", "四川": "川", "贵州": "黔",
    "云南": "滇", "西藏": "藏", "陕西": "陕", "甘肃": "甘", "青海": "青", "宁夏": "宁", "新疆": "新", "香港": "港",
    "澳门": "澳", "台湾": "台",
}
_ABBR_CHARS = "".join(PROVINCE_ABBREVIATIONS.values())
_PROVINCE_OF = {abbr: name for name, abbr in PROVINCE_ABBREVIATIONS.items()}
_ABBREVIATED = re.compile(f"([{_ABBR_CHARS}])(?:省|方)")


def province_of(word: str) -> str | None:
    """The province a word names by its one-letter name and 省 or 方 ("冀省" -> 河北, "甘方" -> 甘肃,
    the Gansu side: jieba tags it a person)."""
    m = _ABBREVIATED.fullmatch(word)
    return _PROVINCE_OF[m.group(1)] if m else None


def abbreviation_pattern(forms: Sequence[str]) -> "re.Pattern[str] | None":
    """A pattern for a province's one-character form where news text uses it (在京, 沪甘两地)."""
    chars = {PROVINCE_ABBREVIATIONS[f] for f in forms if f in PROVINCE_ABBREVIATIONS}
    if not chars:
        return None
    c = "".join(sorted(chars))
    return re.compile(rf"(?:(?<=[在进赴来抵驻返离])[{c}])|(?:[{c}](?=[{_ABBR_CHARS}]两地))|(?:(?<=[{_ABBR_CHARS}])[{c}](?=两地))")


def place_stems(word: str) -> tuple[str, ...]:
    """内蒙古自治区 -> (内蒙古自治区, 内蒙古); 湘潭市 -> (湘潭市, 湘潭)."""
    forms = [word]
    for suffix in ("特别行政区", "自治区", "自治州", "省", "市", "县", "区", "镇"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            forms.append(word[: -len(suffix)])
            break
    return tuple(dict.fromkeys(forms))


class Weights:
    """Inverse-frequency weights from the corpus vocabulary (rare words count more)."""

    def __init__(self, vocabulary: "Vocabulary | None") -> None:
        self._freq = getattr(vocabulary, "frequencies", None) or {}
        self._total = max(1, sum(self._freq.values())) if self._freq else 1

    def __call__(self, forms: Iterable[str]) -> float:
        if not self._freq:
            return 1.0
        best = 0.0
        for form in forms:
            f = self._freq.get(form, 0)
            idf = math.log(1 + self._total / (1 + f))
            best = max(best, idf)
        return max(0.3, best / math.log(1 + self._total))


def zh_concepts(text: str, weights: Weights) -> list[Concept]:
    """Concepts of a Chinese question from jieba words (with parts of speech)."""
    concepts: list[Concept] = []
    words = [(p.word, p.flag) for p in _posseg().cut(text)]
    ask_positions = [
        i
        for i, (w, _) in enumerate(words)
        if w in ("多少", "几", "什么", "哪些", "哪里", "哪个", "哪", "谁", "何时", "哪位", "是指") or w.startswith("几")
    ]
    years = set(_YEAR.findall(text))  # read in place: "2000" of "超过2000人" is a count, no year
    for i, (word, flag) in enumerate(words):
        if not re.search(f"[{HAN}0-9A-Za-z]", word) or word in ZH_QUESTION_WORDS:
            continue
        if len(word) == 1 and word in MEASURE_WORDS:
            continue
        entity = flag[:2] in ("ns", "nr", "nt") or word in years
        forms = place_stems(word) if flag.startswith("ns") else (word,)
        province = province_of(word)
        if province:  # "冀省", "甘方" (jieba: a person): the province as the passages write it
            entity, forms = True, (word, province)
        if len(word) == 1 and not entity:
            # single characters (站, 街, 镇) join their neighbour instead of standing alone
            continue
        key = not entity and any(abs(i - j) <= 3 for j in ask_positions)
        weight = weights(forms) * (1.5 if entity or flag.startswith("v") else 1.0) * (1.6 if key else 1.0)
        concepts.append(Concept(label=word, forms=forms, weight=weight, entity=entity, key=key))
    # Neighbouring single characters glued back (社工 + 站 -> 社工站) as an extra, stronger concept.
    for (a, _), (b, _) in zip(words, words[1:]):
        if len(b) == 1 and b in "站室镇街村县区所院会局厅" and len(a) >= 2 and a not in ZH_QUESTION_WORDS:
            concepts.append(Concept(label=a + b, forms=(a + b,), weight=weights((a + b,)) * 1.2))
    for year in sorted(years):
        if not any(c.label == year for c in concepts):
            concepts.append(Concept(label=year, forms=(year,), weight=1.5, entity=True))
    return concepts


def _is_verb(word: str) -> bool:
    tags = [p.flag for p in _posseg().cut(word)]
    return len(tags) == 1 and tags[0].startswith("v")


def en_concepts(text: str, groups: Sequence["TermGroup"], weights: Weights, kind: str = "what") -> list[Concept]:
    """Concepts of an English question from the glossary/pinyin/dictionary bridge."""
    lowered = text.lower()
    ask = None if kind in ("when", "where", "who") else re.search(r"\bhow (many|much)\b|\bwhat (percentage|proportion|share|number|rate)\b|\b(what|which|who|whom|where|when)\b", lowered)
    ask_end = ask.end() if ask else -1
    # The noun phrase after "how many" runs to the verb: "social work master's programmes".
    np_end = -1
    if ask_end >= 0:
        stop = re.search(r"\b(are|is|was|were|do|does|did|has|have|had|will|can|could|in|on|at|of|for|by|with|to|from|than|there)\b", lowered[ask_end:])
        np_end = ask_end + (stop.start() if stop else len(lowered) - ask_end)
    concepts: list[Concept] = []
    years = set(_YEAR.findall(text))  # read in place: "2000" of "more than 2000 people" is no year
    for group in groups:
        forms = tuple(dict.fromkeys(f for f in group.chinese if f))
        if not forms:
            continue
        english = (group.english or "").lower()
        if english and all(w in EN_STOPWORDS or w in EN_ASK_WORDS for w in re.findall(r"[a-z]+", english)):
            continue  # "how many", "what year": shape of the question, not its content
        if group.source == "literal":
            entity = forms[0] in years or any(_is_named(f) for f in forms[:1])
        elif group.source == "pinyin":
            entity = True
        else:
            entity = any(_is_named(f) for f in forms[:2])
        if entity:
            forms = tuple(dict.fromkeys(s for f in forms for s in place_stems(f)))
        pos = lowered.find(english) if english else -1
        key = not entity and ask_end >= 0 and pos >= ask_end and (pos < np_end or pos - ask_end <= 40)
        # The question's verb (hosted, founded, built) tells the answer clause from one that
        # merely names the same topic.
        boost = 1.5 if entity else (1.5 if _is_verb(forms[0]) else 1.0)
        concepts.append(
            Concept(label=group.english or forms[0], forms=forms, weight=weights(forms) * boost, entity=entity, key=key)
        )
    for year in sorted(years):
        if not any(year in c.forms for c in concepts):
            concepts.append(Concept(label=year, forms=(year,), weight=1.5, entity=True))
    # The asked thing: every concept inside the noun phrase after "how many" (its head last),
    # else the first concept after the question word.
    in_phrase = [i for i, c in enumerate(concepts) if c.key and 0 <= lowered.find(c.label.lower()) < np_end]
    chosen = set(in_phrase) or {next((i for i, c in enumerate(concepts) if c.key), -1)}
    return [
        Concept(c.label, c.forms, c.weight * 1.6, c.entity, True) if i in chosen
        else Concept(c.label, c.forms, c.weight, c.entity, False)
        for i, c in enumerate(concepts)
    ]


def parse_question(
    text: str,
    language: str,
    groups: Sequence["TermGroup"] = (),
    vocabulary: "Vocabulary | None" = None,
) -> ParsedQuestion:
    """Everything the extractive answerer needs to know about a question."""
    weights = Weights(vocabulary)
    kind = question_kind(text, language)
    concepts = zh_concepts(text, weights) if language == "zh" else en_concepts(text, groups, weights, kind)
    wants_year = kind == "when" and bool(re.search(r"year|年", text, re.I)) and not re.search(r"date|day|哪天|日期|几月", text, re.I)
    return ParsedQuestion(
        text=text,
        language=language,
        kind=kind,
        concepts=tuple(concepts),
        unit=asked_unit(text, language),
        parts=count_parts(text),
        wants_year=wants_year,
    )


def place_after_preposition(clause: str) -> str | None:
    """A place name governed by 在/于/到 with an administrative suffix (在外冈镇 -> 外冈镇)."""
    m = _PLACE_SUFFIX.search(clause)
    return m.group(1) if m else None


def named_places(clause: str) -> list[str]:
    """Place names jieba finds in a clause, in order."""
    return [p.word for p in _posseg().cut(clause) if p.flag.startswith("ns") and len(p.word) >= 2]
