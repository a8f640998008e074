"""Judging answers by the shared rules, and loading golden QA sets."""

from __future__ import annotations

import pytest

from eval.datasets import QAItem, default_dataset_path, load_dataset
from eval.scoring import judge
from rag.errors import InputError

DOC = "004_48b25d9ea022bb79.txt"
OTHER = "000_6b94e12eb1bd86f6.txt"


def answer(text: str, *sources: str, refused: bool = False) -> dict:
    return {
        "answer": text,
        "refused": refused,
        "citations": [{"n": i, "source": s, "text": "…"} for i, s in enumerate(sources, 1)],
    }


def number_item(*values: float) -> QAItem:
    return QAItem("t", "zh", "多少?", "number", values=tuple(values), doc=DOC, evidence="…")


def entity_item(*groups: tuple[str, ...], lang: str = "en") -> QAItem:
    return QAItem("t", lang, "which?", "entity", expect=tuple(groups), doc=DOC, evidence="…")


UNANSWERABLE = QAItem("u", "zh", "西藏自治区已建成多少个社工站？", "unanswerable", note="never mentioned")


# ------------------------------------------------------------------ numbers
def test_number_right_in_chinese_units():
    assert judge(number_item(39000), answer("已建成乡镇（街道）社工站3.9万个[1]。", DOC)).correct


def test_number_right_in_english_words():
    assert judge(number_item(1300000), answer("France has more than 1.3 million social workers [1].", DOC)).correct


def test_number_wrong():
    verdict = judge(number_item(850), answer("全区已建成社工站800个[1]。", DOC))
    assert not verdict.correct
    assert "850" in verdict.reason


def test_number_within_tolerance_only():
    assert judge(number_item(12037000), answer("about 12.04 million volunteers", DOC)).correct  # 0.02 %
    assert not judge(number_item(12037000), answer("about 12.1 million volunteers", DOC)).correct  # 0.5 %


def test_citation_marker_is_not_a_stated_number():
    assert not judge(number_item(1), answer("没有具体数字[1]", DOC)).correct


def test_every_value_of_a_multi_value_question_is_needed():
    item = number_item(1435, 63.7)
    assert judge(item, answer("建成社工站1435家，覆盖率达到63.7%[1]。", DOC)).correct
    verdict = judge(item, answer("建成社工站1435家[1]。", DOC))
    assert not verdict.correct and "63.7" in verdict.reason


# ------------------------------------------------------------------ entities
def test_entity_groups_accept_any_alias_but_need_every_group():
    item = entity_item(("中国社会工作联合会", "China Federation of Social Work"), ("法国驻华大使馆", "French Embassy"))
    assert judge(item, answer("The China Federation of Social Work and the French Embassy [1].", DOC)).correct
    assert judge(item, answer("中国社会工作联合会 and the French Embassy [1].", DOC)).correct
    verdict = judge(item, answer("The China Federation of Social Work [1].", DOC))
    assert not verdict.correct and "French Embassy" in verdict.reason


def test_entity_match_ignores_case_and_whitespace():
    item = entity_item(("Waigang", "外冈镇"),)
    assert judge(item, answer("It opened in WAIGANG town [1].", DOC)).correct
    assert judge(item, answer("在外 冈\n镇揭牌[1]。", DOC)).correct
    assert judge(entity_item(("China Federation of Social Work",)), answer("chinafederation of  social work", DOC)).correct


def test_date_question_uses_expect_groups():
    item = QAItem("d", "en", "when?", "date", expect=(("2020年9月12日", "September 12, 2020"),), doc=DOC)
    assert judge(item, answer("It was unveiled on September 12, 2020 [1].", DOC)).correct
    assert not judge(item, answer("It was unveiled in September 2020 [1].", DOC)).correct


# ------------------------------------------------------------------ refusals and length
def test_refusing_an_answerable_question_is_wrong():
    verdict = judge(number_item(850), answer("资料中没有找到答案。", refused=True))
    assert not verdict.correct and "refused" in verdict.reason


def test_unanswerable_is_right_only_when_refused():
    assert judge(UNANSWERABLE, answer("资料中没有找到答案。", refused=True)).correct
    assert not judge(UNANSWERABLE, answer("已建成850个[1]。", DOC)).correct


def test_answer_over_400_characters_is_wrong():
    body = "全区已建成社工站850个[1]。"
    ok = body + "。" * (400 - len(body))
    assert len(ok) == 400 and judge(number_item(850), answer(ok, DOC)).correct
    verdict = judge(number_item(850), answer(ok + "。", DOC))
    assert not verdict.correct and "401" in verdict.reason


# ------------------------------------------------------------------ citations
def test_citation_hit_and_precision():
    verdict = judge(number_item(850), answer("850个[1][2][3][4]", DOC, OTHER, OTHER, DOC))
    assert verdict.citation_hit is True and verdict.citation_precision == 0.5
    verdict = judge(number_item(850), answer("850个[1]", OTHER))
    assert verdict.citation_hit is False and verdict.citation_precision == 0.0
    verdict = judge(number_item(850), answer("850个"))
    assert verdict.citation_hit is False and verdict.citation_precision is None


def test_unanswerable_has_no_citation_scores():
    verdict = judge(UNANSWERABLE, answer("没有找到。", refused=True))
    assert verdict.citation_hit is None and verdict.citation_precision is None


def test_judge_rejects_something_that_is_not_an_answer():
    with pytest.raises(InputError, match="refused"):
        judge(number_item(1), {"answer": "1"})


# ------------------------------------------------------------------ the real dev set
def test_bundled_dev_set_loads():
    items = load_dataset(default_dataset_path())
    assert len(items) == 30
    assert {i.lang for i in items} == {"zh", "en"}
    by_id = {i.id: i for i in items}
    assert by_id["dev-09"].values == (1435, 63.7)
    assert by_id["dev-06"].expect[1][0] == "法国驻华大使馆"
    assert not by_id["dev-28"].answerable


def test_refusing_everything_scores_zero_on_answerable_dev_questions():
    items = load_dataset(default_dataset_path())
    refusal = answer("资料中没有找到答案。", refused=True)
    answerable = [i for i in items if i.answerable]
    assert len(answerable) == 27
    assert sum(judge(i, refusal).correct for i in answerable) == 0
    assert all(judge(i, refusal).correct for i in items if not i.answerable)


def test_gold_evidence_answers_its_own_single_value_question():
    """Quoting a dev question's evidence states its gold values (number reading agrees with the set)."""
    for item in load_dataset(default_dataset_path()):
        if item.type == "number" and item.id != "dev-25":  # dev-25's evidence holds one of two values
            assert judge(item, answer(item.evidence + "[1]", item.doc)).correct, item.id


def test_bad_lines_are_each_reported_by_number(tmp_path):
    good = '{"id": "a", "lang": "zh", "question": "几个？", "type": "number", "values": [3], "doc": "x.txt"}'
    lines = [
        good,
        "",
        "{not json",
        '{"id": "b", "lang": "fr", "question": "q", "type": "number", "values": [1], "doc": "x.txt"}',
        '{"id": "c", "lang": "en", "question": "q", "type": "entity", "doc": "x.txt"}',
        '{"id": "d", "lang": "en", "question": "q", "type": "guess"}',
        '{"id": "e", "lang": "en", "question": "q", "type": "number", "values": ["3.9万"], "doc": "x.txt"}',
        good,
        '{"id": "f", "lang": "en", "question": "q", "type": "unanswerable"}',
    ]
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_dataset(path)
    message = str(err.value)
    assert "6 bad line(s)" in message
    for number, hint in [(3, "JSON"), (4, "'lang'"), (5, "'expect'"), (6, "'type'"), (7, "'values'"), (8, "repeats line 1")]:
        assert f"line {number}:" in message and hint in message
    assert "line 9" not in message and "line 2" not in message


def test_missing_dataset_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="Cannot read dataset"):
        load_dataset(tmp_path / "none.jsonl")


# ----------------------------------------------------------------------------- span benchmarks
def test_span_f1_counts_chinese_characters_and_english_words():
    from eval.scoring import exact_match, f1_score

    assert exact_match("杰克逊维尔", "杰克逊维尔。") == 1.0  # punctuation ignored
    assert f1_score("杰克逊维尔市", "杰克逊维尔") == pytest.approx(2 * (5 / 6) * 1.0 / (5 / 6 + 1.0))
    assert f1_score("the Denver Broncos", "Denver Broncos") == 1.0  # articles dropped
    assert f1_score("308分", "308") == pytest.approx(2 / 3)
    assert f1_score("", "308") == 0.0


def test_span_accuracy_wants_a_span_not_the_sentence():
    from eval.scoring import span_correct

    assert span_correct("136 次", ["136 次"]) and span_correct("136次擒杀", ["136 次"])
    assert not span_correct("他曾以136次擒杀成为NFL职业生涯中的活跃领袖", ["136 次"])
    assert not span_correct(None, ["136"]) and not span_correct("137", ["136"])


def test_judge_span_scores_short_answer_and_lenient_answer():
    from eval.datasets import parse_dataset
    from eval.scoring import judge_span

    item = parse_dataset(
        '{"id": "s1", "lang": "zh", "question": "多少分？", "type": "entity", "expect": [["308"]], '
        '"doc": "a.txt", "evidence": "丢了308分"}'
    )[0]
    right = judge_span(item, {"answer": "308分 [1]", "refused": False, "short_answer": "308分"})
    assert right.correct and right.em == 0.0 and right.f1 == pytest.approx(2 / 3) and right.lenient
    refused = judge_span(item, {"answer": "资料中没有相关信息。", "refused": True, "short_answer": None})
    assert not refused.correct and refused.f1 == 0.0 and not refused.lenient
