"""Follow-up questions in the default (extractive) mode: "那河北呢？" / "What about Hebei?" after a
question about Inner Mongolia are rewritten by rules and answered from the Hebei article."""

from __future__ import annotations

import pytest

from rag.answering.followup import follow_up_subject, rewrite_by_rules

IM_ZH = "内蒙古全区已建成多少个社工站？"
IM_EN = "How many social work stations are there in Inner Mongolia?"
HEBEI_SOURCE = "001_4ffd5773b4f85cfa.txt"


@pytest.mark.parametrize(
    "question,subject",
    [
        ("那河北呢？", "河北"),
        ("湘潭市呢", "湘潭市"),
        ("那么河北省的情况呢？", "河北省"),
        ("What about Hebei?", "Hebei"),
        ("and in Inner Mongolia?", "Inner Mongolia"),
        ("How about for the Hebei province", "Hebei province"),
        (IM_ZH, None),
        (IM_EN, None),
    ],
)
def test_bare_follow_ups_are_recognised(question, subject):
    assert follow_up_subject(question) == subject


def test_the_place_of_the_previous_question_is_replaced():
    assert rewrite_by_rules("那河北呢？", [(IM_ZH, "850")]) == "河北已建成多少个社工站？"
    finder = lambda text: ["Inner Mongolia"] if "Inner Mongolia" in text else []  # noqa: E731
    assert rewrite_by_rules("What about Hebei?", [(IM_EN, "850")], finder) == IM_EN.replace("Inner Mongolia", "Hebei")
    # a capitalised name after "in" needs no glossary
    assert rewrite_by_rules("And in Dingxi?", [(IM_EN, "850")]) == IM_EN.replace("Inner Mongolia", "Dingxi")


def test_follow_ups_chain_and_other_questions_stay_as_asked():
    history = [(IM_ZH, "850"), ("那河北呢？", "1435")]
    assert rewrite_by_rules("湘潭市呢？", history) == "湘潭市已建成多少个社工站？"
    assert rewrite_by_rules("那么通过人数呢？", [(IM_ZH, "850")]) == "那么通过人数呢？"  # not a place
    assert rewrite_by_rules("what about the pass rate?", [(IM_EN, "850")]) == "what about the pass rate?"
    assert rewrite_by_rules("那河北呢？", []) == "那河北呢？"
    assert rewrite_by_rules("那河北呢？", [("社工是什么？", "…")]) == "那河北呢？"  # nothing to replace


def test_hostile_history_is_ignored():
    huge = "内蒙古全区已建成多少个社工站" * 50_000  # 700,000 characters sent as a "question"
    assert rewrite_by_rules("那河北呢？", [(huge, "x")]) == "那河北呢？"
    assert rewrite_by_rules("那河北呢？", [("\x00\ufffd\x7f", "\x00")] * 10_000) == "那河北呢？"
    assert rewrite_by_rules("那河北呢？", [(IM_ZH, "850"), (huge, "x")]) == "那河北呢？"  # the huge turn is the last


@pytest.mark.parametrize(
    "first,follow_up",
    [(IM_ZH, "那河北呢？"), (IM_EN, "What about Hebei?")],
)
def test_extractive_follow_up_is_answered_from_the_right_article(pipeline, first, follow_up):
    answer = pipeline.ask(follow_up, history=[(first, pipeline.ask(first).answer)])
    assert answer.question == follow_up and not answer.refused
    assert answer.standalone_question and answer.to_dict()["standalone_question"] == answer.standalone_question
    assert "standalone_question" not in pipeline.ask(first).to_dict()  # only where a rewrite happened
    assert "1435" in answer.answer.replace(",", ""), answer.answer
    assert HEBEI_SOURCE in {c.source for c in answer.citations}


def test_the_chat_shows_what_a_follow_up_was_searched_as():
    from rag.models import Answer
    from ui.render import answer_html

    answer = Answer("那河北呢？", "1435家[1]", False, "zh", "extractive", standalone_question="河北已建成<多少>个社工站？")
    page = answer_html(answer, "u1")
    assert "按此问题检索：河北已建成&lt;多少&gt;个社工站？" in page
    assert "rag-standalone" not in answer_html(Answer("q", "a", False, "en", "extractive"), "u2")
