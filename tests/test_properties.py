"""Property-based tests: cleaning, segmentation, chunking, numbers and question parsing never crash.

Random Unicode (controls, surrogates, CJK, numerals, punctuation) and 1 MB lines; chunk offsets
always map back to the article text.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eval.reliability import record
from rag.models import Document

MAX_EXAMPLES = 60
INTERESTING = list(
    "内蒙古已建成社工站个万亿百千十一二三四五六七八九零〇两%％.。，、！？；：“”《》()（）【】[]"
    "0123456789０１２３４５６７８９ \t\n\r\x00\x0b\x0c\x1b\u2028\u2029\u200b\ufeff\u3000\ufffd"
    "é\u0301ﬁ😀#-—–·…abcXYZ年月日约近超过逾余多"
)
TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(INTERESTING), st.characters(blacklist_categories=())), max_size=400
)
LINES = st.lists(TEXT, max_size=12).map("\n".join)
COUNTS: dict[str, int] = {}
SETTINGS = settings(
    max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def _report_cases():
    yield
    total = sum(COUNTS.values())
    if total:
        record("property_cases", total, total, ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items())))


def _pipeline_text(raw: str, source: str = "p.txt"):
    from rag.chunking import chunk_article
    from rag.cleaning import clean_text
    from rag.segmentation import segment

    text = clean_text(raw)
    assert isinstance(text, str)
    articles = segment(Document(source=source, path="/p.txt", raw_text=raw, text=text, sha256="0"))
    chunks = []
    for article in articles:
        for chunk in chunk_article(article, max_tokens=64, overlap_sentences=1):
            assert article.text[chunk.start : chunk.end] == chunk.text
            assert chunk.text.strip() == chunk.text and chunk.text
            assert chunk.source == source and chunk.article_ordinal == article.ordinal
            chunks.append(chunk)
    return text, articles, chunks


@SETTINGS
@given(LINES)
def test_clean_segment_chunk_never_crash_and_offsets_map_back(raw: str) -> None:
    _count("clean+segment+chunk")
    _pipeline_text(raw)


@SETTINGS
@given(st.lists(st.sampled_from(["# 标题", "## 小标题", "记者 王明", "正文第一句。", "（据新华社）", ""]) | LINES, max_size=30))
def test_newspaper_shaped_pages_segment_and_chunk(parts) -> None:
    _count("page-shaped")
    raw = "\n".join(parts) if isinstance(parts, list) else parts
    _pipeline_text(raw)


@SETTINGS
@given(TEXT)
def test_cleaning_is_stable(raw: str) -> None:
    from rag.cleaning import clean_text

    _count("cleaning")
    once = clean_text(raw)
    assert "\x00" not in once or "\x00" in raw
    assert isinstance(clean_text(once), str)


@SETTINGS
@given(TEXT)
def test_numbers_are_read_without_crashing_and_point_into_the_text(text: str) -> None:
    from rag.numbers import extract_numbers

    _count("numbers")
    for mention in extract_numbers(text):
        assert text[mention.start : mention.end] == mention.text
        assert mention.value == mention.value  # not NaN


@SETTINGS
@given(TEXT)
def test_questions_parse_in_either_language(text: str) -> None:
    from rag.answering.question import parse_question
    from rag.language import detect_language

    _count("questions")
    language = detect_language(text)
    assert language in ("zh", "en")
    parsed = parse_question(text, language)
    assert parsed.language == language
    assert parsed.parts >= 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "line",
    [
        "内蒙古已建成社工站" * 111_112,  # 1 MB of CJK with no punctuation
        "社工站，" * 250_000,  # commas only
        "1234567890" * 100_000,
        "一二三四五六七八九十百千万亿" * 71_429,
        "\x00\x01\x0b\x1b\u2028\u200b" * 166_667,
        "word " * 200_000,
    ],
    ids=["cjk", "commas", "digits", "numerals", "controls", "words"],
)
def test_one_megabyte_lines_do_not_crash_or_hang(line: str) -> None:
    import time

    from rag.language import detect_language
    from rag.numbers import extract_numbers

    _count("1MB lines")
    started = time.monotonic()
    _, _, chunks = _pipeline_text(line)
    extract_numbers(line)
    detect_language(line)
    assert time.monotonic() - started < 60
    if any(ch.isalnum() for ch in line[:100]):
        assert sum(len(c.text) for c in chunks) >= len(line) // 2  # the text is kept, not dropped
