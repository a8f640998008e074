"""Which language a question is in: Chinese characters against English words."""

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
