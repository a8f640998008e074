"""Tokens for BM25: jieba search-mode words for Chinese, lowercased Latin words, numbers."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

from .language import HAN

if TYPE_CHECKING:
    import jieba

# Bump when the analysis changes: stored tokens of older indexes are then recomputed.
ANALYZER_VERSION = 1

STOPWORDS = frozenset(
    """
    的 了 和 是 在 与 及 等 也 就 都 而 着 或 之 其 对 于 把 被 从 并 但 还 又 个 这 那 该 此 各
    以及 一个 这个 那个 我们 他们 已经 进行 有关 关于 通过
    the of a an in on at to and or is are was were be been being by for with as from that this
    these those it its into than then there their which who whom what when where how do does did
    not no but if so such can will would should may might has have had
    """.split()
)

_HAN = HAN
# Chinese runs go to jieba; Latin words and numbers (63.7, 1,200 -> 1200) are taken as they are.
_TOKEN = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<num>\d+(?:[.,]\d+)*)|(?P<word>[A-Za-z]+)")


@functools.lru_cache(maxsize=1)
def _tokenizer() -> "jieba.Tokenizer":
    """jieba's shared tokenizer, initialised quietly (its dictionary loads once per process,
    ~0.5 s, and is shared with cleaning, the vocabulary and question parsing)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.initialize()
    return jieba.dt


def analyze(text: str) -> list[str]:
    """BM25 tokens of ``text``: 内蒙古自治区 gives 内蒙古, 自治区 and the whole word too."""
    text = unicodedata.normalize("NFKC", text)
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        value = match.group()
        if kind == "han":
            words = _tokenizer().cut_for_search(value)
        elif kind == "num":
            words = _split_number(value)
        else:
            words = [value.lower()]
        tokens.extend(w for w in words if w and w not in STOPWORDS)
    return tokens


def _split_number(value: str) -> list[str]:
    """``1,200`` -> ``1200`` (thousands separators); ``63.7`` stays; ``2,3`` is two numbers."""
    if "," not in value:
        return [value]
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", value):
        return [value.replace(",", "")]
    return value.split(",")
