"""When the reader answers with the clause around its span ("建于1988年" rather than "1988年"):
the rule, its calibration entry, and the reader end to end. Passages on several topics, none
from the dev set."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from rag.answering.reader.answerer import ReaderAnswerer
from rag.answering.reader.calibration import Calibration
from rag.answering.reader.extent import ClauseRule, clause_of, letters
from rag.models import Chunk, Passage

TOWER = "富国银行广场是明尼阿波利斯的一座摩天大楼，建于1988年，共有57层，投资约12.5亿元人民币，是该市第二高的建筑。"
FISH = "本鱼分布于西太平洋区，包括菲律宾、印尼、琉球群岛、台湾、中国沿海、马里亚纳群岛等海域，栖息深度可达200米。"
RULE = ClauseRule(chars=8, ratio=1.5)


def _cut(rule: ClauseRule, text: str, span: str, kind: str | None = None) -> str:
    start = text.index(span)
    a, b = rule.extent(text, start, start + len(span), kind)
    return text[a:b]


def test_a_short_clause_is_the_answer():
    assert _cut(RULE, TOWER, "1988年") == "建于1988年"
    assert _cut(RULE, TOWER, "57层") == "共有57层"
    # a clause of more than 8 letters, but at most 1.5 times the span's (11 against 8)
    assert _cut(RULE, TOWER, "12.5亿元人民币") == "投资约12.5亿元人民币"


def test_a_long_clause_leaves_the_span():
    # "是该市第二高的建筑" is 9 letters against the span's 2
    assert _cut(RULE, TOWER, "第二") == "第二"
    # the list's clause is far longer than one place in it
    assert _cut(RULE, FISH, "台湾") == "台湾"
    assert _cut(RULE, FISH, "西太平洋区") == "西太平洋区"  # 10 letters against 5
    assert _cut(RULE, FISH, "200米") == "200米"


def test_the_rule_off_never_widens():
    off = ClauseRule()
    for text, span in ((TOWER, "1988年"), (TOWER, "57层"), (TOWER, "12.5亿元人民币")):
        assert _cut(off, text, span) == span


def test_a_kind_of_question_can_have_a_rule_of_its_own():
    """A list is marked as its whole clause, a reason as its sentence; a name or a number of
    another kind of question keeps the plain rule."""
    rule = ClauseRule(8, 1.5, kinds=(("list", ClauseRule(0, 6.0)), ("why", ClauseRule(0, 0.0, sentence_ratio=4.0))))
    listed = "包括菲律宾、印尼、琉球群岛、台湾、中国沿海、马里亚纳群岛等海域"
    assert _cut(rule, FISH, "菲律宾、印尼、琉球群岛", "list") == listed
    assert _cut(rule, FISH, "菲律宾、印尼、琉球群岛", "where") == _cut(rule, FISH, "菲律宾、印尼、琉球群岛") == "菲律宾、印尼、琉球群岛"
    reason = "因路面大面积结冰，绕城高速东段昨日临时封闭。"
    assert _cut(rule, reason, "路面大面积结冰", "why") == "因路面大面积结冰，绕城高速东段昨日临时封闭"
    assert _cut(rule, reason, "路面大面积结冰", "what") == "因路面大面积结冰"  # the clause, by the plain rule
    assert rule.for_kind("why").sentence_ratio == 4.0 and rule.for_kind("who") == ClauseRule(8, 1.5)


def test_the_clause_stops_at_clause_and_sentence_marks():
    text = "该馆于2005年落成；馆内藏书30万册。"
    start = text.index("30万册")
    a, b = clause_of(text, start, start + len("30万册"))
    assert text[a:b] == "馆内藏书30万册"
    assert letters("《魏夫人集》， 2,100") == len("魏夫人集2100")


def test_the_calibration_file_carries_the_rule(tmp_path):
    shipped = Calibration.load()
    path = tmp_path / "calibration.json"
    replace(shipped, clause=RULE).save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["clause"] == {"chars": 8, "ratio": 1.5}
    assert Calibration.load(path).clause == RULE
    # a file without the entry (an older calibration) never widens
    replace(shipped, clause=ClauseRule()).save(path)
    assert "clause" not in json.loads(path.read_text(encoding="utf-8"))
    assert Calibration.load(path).clause == ClauseRule()


def test_the_calibration_file_carries_the_rules_per_kind(tmp_path):
    rule = ClauseRule(8, 1.4, kinds=(("how", ClauseRule(0, 1.8, 20, 6.0)), ("list", ClauseRule(0, 2.0))))
    path = tmp_path / "calibration.json"
    replace(Calibration.load(), clause=rule).save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["clause"]["kinds"] == {
        "how": {"chars": 0, "ratio": 1.8, "sentence_chars": 20, "sentence_ratio": 6.0}, "list": {"chars": 0, "ratio": 2.0}}
    assert Calibration.load(path).clause == rule


@pytest.mark.parametrize("entry, named", [
    ({"chars": -1, "ratio": 1.5}, "chars=-1"), ({"chars": 8, "ratio": "wide"}, "ratio='wide'"),
    ({"chars": 8, "ratio": 1.4, "kinds": {"list": {"chars": 0, "sentence_ratio": -2}}}, "kind list.*sentence_ratio=-2"),
    ({"chars": 8, "ratio": 1.4, "kinds": ["list"]}, "kinds must map a question kind"),
])
def test_a_bad_rule_is_named(tmp_path, entry, named):
    data = Calibration.load().to_dict()
    data["clause"] = entry
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=named):
        Calibration.load(path)


def _passage(topic: str, text: str) -> Passage:
    chunk = Chunk(f"{topic}.txt#0#0", f"{topic}.txt", 0, topic, "", text, 0, len(text), len(text))
    return Passage(chunk=chunk, score=1.0, rank=1)


@pytest.fixture(scope="module")
def reader():
    return ReaderAnswerer()


def test_the_reader_answers_with_the_short_clause(reader):
    """The shipped rule: "when was it built" over a passage saying "建于1988年" gets that clause,
    cited with the clause highlighted; with the rule off, the bare year."""
    passage = _passage("tower", TOWER)
    shipped = reader.calibration
    try:
        reader.calibration = replace(shipped, clause=RULE)
        answer = reader.answer("富国银行广场建于哪一年？", [passage], language="zh")
        assert answer.short_answer == "建于1988年"
        cited = answer.citations[0]
        assert cited.text[cited.span[0] : cited.span[1]] == "建于1988年"
        reader.calibration = replace(shipped, clause=ClauseRule())
        assert reader.answer("富国银行广场建于哪一年？", [passage], language="zh").short_answer == "1988年"
    finally:
        reader.calibration = shipped


def test_a_list_of_values_is_not_widened(reader):
    text = "该市今年新建公园12个，改造绿道35公里。"
    shipped = reader.calibration
    try:
        reader.calibration = replace(shipped, clause=ClauseRule(chars=30, ratio=10.0))
        answer = reader.answer("新建公园和改造绿道分别是多少？", [_passage("parks", text)], language="zh")
    finally:
        reader.calibration = shipped
    assert not answer.refused
    assert "12个" in answer.short_answer and "35公里" in answer.short_answer
    assert "改造绿道35公里" not in answer.short_answer.split("；")[0]
