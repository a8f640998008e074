"""Language tables and which language a question is in: Chinese characters against English words."""

from __future__ import annotations

import re

# The one table of Chinese (Han) characters: CJK unified ideographs, extension A and the
# compatibility ideographs, as the body of a regex character class; every module builds on it.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_CHAR = re.compile(f"[{HAN}]")
HAN_RUN = re.compile(f"[{HAN}]+")
_CJK = HAN_CHAR
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_BRACKETED = re.compile(r"\([^()]*\)|（[^（）]*）|“[^“”]*”|\"[^\"]*\"|《[^《》]*》")

# English words that carry no concept of their own (what the English -> Chinese bridge skips).
ENGLISH_FUNCTION_WORDS = frozenset(
    """a an the and or but if of in on at to for from by with without into onto about as than then
    this that these those there here is are was were be been being am do does did done doing have has
    had having will would shall should can could may might must it its it's they them their theirs
    he him his she her hers we us our you your i me my mine what which who whom whose when where why
    how whether not no nor so such too very also just only any all each every some many much more most
    other another both either neither same own per via up down out off over under again further once
    s t ve ll re d m don't doesn't didn't isn't aren't wasn't weren't get got gets give given let
    say said says tell told according far still yet ever""".split()
)

# Administrative suffixes of Chinese place names and their tiers: a province holds cities, a city
# counties and districts, they towns and subdistricts, and those villages.
PLACE_TIERS = {"特别行政区": 1, "自治区": 1, "省": 1, "自治州": 2, "市": 2, "州": 2, "盟": 2,
               "自治县": 3, "县": 3, "区": 3, "旗": 3, "街道": 4, "镇": 4, "乡": 4, "村": 5}
# Cities written with 市 that are provinces in their own right (直辖市): tier 1, like 省.
PROVINCIAL_CITIES = frozenset({"北京", "上海", "天津", "重庆"})
PLACE_SUFFIXES = tuple(sorted(PLACE_TIERS, key=len, reverse=True))  # longest first
# The suffixes whose stem an English name may name alone ("Waigang" -> 外冈镇, "Pudong" -> 浦东新区,
# "Jingrui" -> 景瑞社区), first match wins: the index's pinyin map is built with them.
NAME_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "街道", "社区", "新区", "省", "市", "县", "区", "镇", "乡", "村")


def is_cjk(ch: str) -> bool:
    """Whether the character ``ch`` is a Chinese (CJK unified) ideograph."""
    return bool(_CJK.match(ch))


def detect_language(text: str) -> str:
    """"zh" or "en". Two Chinese characters weigh as much as one English word (ties go to the
    script the text starts with); Chinese terms in brackets or quotes inside an English sentence
    ("... worker (高级社会工作师)?") do not count."""
    outside = _BRACKETED.sub(" ", text)
    if _LATIN_WORD.search(outside):
        text = outside
    cjk = len(_CJK.findall(text)) / 2
    latin = len(_LATIN_WORD.findall(text))
    if cjk != latin:
        return "zh" if cjk > latin else "en"
    first = re.search(f"[A-Za-z{HAN}]", text)
    return "zh" if first and _CJK.match(first.group(0)) else "en"
