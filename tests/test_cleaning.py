"""OCR repair: what a reader of the cleaned page would notice."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.cleaning import clean_text

CORPUS = sorted((Path(__file__).resolve().parents[1] / "rag" / "data" / "corpus").glob("*.txt"))


def test_lines_broken_mid_word_are_rejoined_into_one_paragraph():
    raw = "陈存根在致辞中表示，中法\n\n友谊源远流长，两国政府和人民\n\n长期以来保持密切联系。\n\n她希望双方加强\n合作交流。\n"
    assert clean_text(raw) == "陈存根在致辞中表示，中法友谊源远流长，两国政府和人民长期以来保持密切联系。\n她希望双方加强合作交流。"


def test_spaces_between_cjk_and_digits_are_dropped_latin_spaces_kept():
    assert clean_text("已有专业社会工作者 160多万人， 8 月 16 日召开。") == "已有专业社会工作者160多万人，8月16日召开。"
    assert clean_text("The ESG report  was  published in 2023.") == "The ESG report was published in 2023."


def test_replacement_and_control_characters_are_dropped():
    assert clean_text("“\ufffd \ufffd4月26 日，活动\x07开启。") == "“4月26日，活动开启。"


def test_markers_titles_and_bylines_stay_on_their_own_lines():
    raw = "负责同志等 10 余人参加座谈。\n\n中国社会工作联合会会长陈存根一行\n调研北京青少年社会工作研究院\n■ 本报记者 张明敏\n会议强调要加强\n人才培养。 （据河北省民政厅）\n"
    assert clean_text(raw).split("\n") == [
        "负责同志等10余人参加座谈。",
        "中国社会工作联合会会长陈存根一行调研北京青少年社会工作研究院",
        "■本报记者张明敏",
        "会议强调要加强人才培养。",
        "（据河北省民政厅）",
    ]


def test_markdown_headings_keep_their_marker():
    assert clean_text("# 标题 一\n\n正文第一句。\n### 小标题\n") == "# 标题一\n正文第一句。\n### 小标题"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_cleaning_the_corpus_is_idempotent_and_drops_no_text(path):
    raw = path.read_text(encoding="utf-8")
    once = clean_text(raw)
    assert clean_text(once) == once
    assert "\ufffd" not in once and "\n\n" not in once
    kept = [ch for ch in raw if "\u4e00" <= ch <= "\u9fff"]
    assert [ch for ch in once if "\u4e00" <= ch <= "\u9fff"] == kept


def test_cleaning_is_deterministic_and_handles_empty_text():
    assert clean_text("") == ""
    assert clean_text(" \n\n ") == ""
    sample = "甲乙丙丁\n戊己庚辛。"
    assert clean_text(sample) == clean_text(sample) == clean_text(clean_text(sample))
