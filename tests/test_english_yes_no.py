"""English questions as the reader reads them: a yes / no question after a scene set off by a comma
("During the fair, did …"), "A or B?" asking which (not yes or no), an inflected verb bridged by
its plain form ("presided over" -> 主持), a count of person-times (人次) asked by name, a standing by the place one "came", and a yes / no question the reader is unsure of answered
only when its evidence renders nearly all it asks ("Is the library the first themed library in
Sichuan?" against "…是四川省首个以“非遗”为主题的图书馆"; not "Did the library open with a concert?").
Unit tests plus a real index of pages on other topics (a library, a trade fair); none of it comes
from the dev set or the bundled pages."""

from __future__ import annotations

import pytest
from news_pages import index_pages

from rag.answering.question import asks_yes_no
from rag.crosslingual import Vocabulary, bridge_query
from rag.glossary import Glossary, verb_bases
from rag.numbers import standing


@pytest.mark.parametrize(
    "question, yes_no",
    [
        ("During the Kunming fair, did French companies take part?", True),
        ("In 2025, was the fair held in Kunming?", True),
        ("And is the library in Chengdu?", True),
        ("Was the fair held in Kunming?", True),
        ("Did they hold the fair in Kunming or in Chengdu?", False),  # which of two
        ("Does Sichuan have more libraries or more museums?", False),
        ("During the fair, which companies took part?", False),
        ("Was the fair held in Kunming or not?", True),
    ],
)
def test_what_asks_yes_or_no(question, yes_no):
    assert asks_yes_no(question, "en") is yes_no


def test_a_standing_by_the_place_someone_came():
    assert standing("Which Sichuan city came first in the province for its share of readers?", "en") == 1
    assert standing("Which team finished third in the league?", "en") == 3
    assert standing("Who came first to the meeting?", "en") is None  # an arrival, no ranking
    assert standing("Was Chengdu first in Sichuan for its share of readers?", "en") == 1
    assert standing("Was it second in the province?", "en") == 2 and standing("Was he first in line?", "en") is None


def test_the_total_number_of_people_is_a_count_of_people():
    from rag.answering.question import asked_unit, question_kind

    question = "What's the total number of registered nurses across Sichuan province?"
    assert question_kind(question, "en") == "number" and asked_unit(question, "en") == "人"


def test_plain_forms_of_inflected_verbs():
    assert verb_bases("presided")[0] == "preside"
    assert "chair" in verb_bases("chaired")
    assert verb_bases("studied") == ("study",)
    assert "plan" in verb_bases("planned") and "host" in verb_bases("hosting")
    assert verb_bases("held") == () and verb_bases("open") == ()


def test_an_inflected_verb_reaches_the_chinese_of_its_plain_form():
    vocabulary = Vocabulary.from_texts(["揭牌仪式由锦江区副区长李明主持，区文旅局局长张华介绍了图书馆的建设情况。"])
    groups = bridge_query("Who presided over the unveiling ceremony?", Glossary.load_default(), vocabulary)
    assert any("主持" in g.chinese for g in groups), groups


PAGES = {
    "library.txt": "# 成都锦江区非遗主题图书馆揭牌\n\n"
    "近日，成都市锦江区书院街道非遗图书馆正式揭牌，是四川省首个以“非遗”为主题的图书馆，馆藏图书2万册。\n\n"
    "揭牌仪式由锦江区副区长李明主持，区文旅局局长张华介绍了图书馆的建设情况。\n",
    "fair.txt": "# 中法农产品交流会在昆明举办\n\n"
    "2025年5月12日，中法农产品交流会在昆明举办，交流会采取线上线下相结合的方式举行，两国120家企业参加。\n",
    "reading.txt": "# 成都“书香社区”活动成效明显\n\n"
    "今年以来，成都市累计开展“书香社区”阅读活动36场，覆盖社区120个，参与居民1.5万余人次。\n",
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return index_pages(tmp_path_factory.mktemp("english"), PAGES)


@pytest.fixture(scope="module")
def unsure(pages):
    """The same index read with a refusal threshold no span clears: every English yes / no answer
    then rests on what its evidence renders."""
    from rag.pipeline import Pipeline

    return Pipeline(pages.settings.replace(min_confidence=0.99))


@pytest.mark.parametrize(
    "question", ["How many person-times of residents have joined Chengdu's community reading events?", "成都书香社区活动累计有多少人次参与？"]
)
def test_person_times_asked_are_person_times(pages, question):
    answer = pages.ask(question)  # not the 36 events nor the 120 communities of the same sentence
    assert not answer.refused and "1.5万" in answer.short_answer, answer.answer


def test_who_presided(pages):
    answer = pages.ask("Who presided over the library's unveiling ceremony?")
    assert not answer.refused and "李明" in answer.short_answer, answer.answer


@pytest.mark.parametrize(
    "question",
    ["Is the Jinjiang library the first themed library in Sichuan?", "Is the Shuyuan library in Chengdu's Jinjiang district?"],
)
def test_evidence_that_renders_the_question_answers_it(unsure, question):
    answer = unsure.ask(question)
    assert not answer.refused and answer.answer.startswith("Yes"), answer.answer


@pytest.mark.parametrize(
    "question",
    ["Did the Shuyuan library open with a concert?", "Did the fair last five days?"],
)
def test_evidence_that_does_not_render_the_question_does_not_answer_it(unsure, question):
    answer = unsure.ask(question)
    assert answer.refused, answer.answer
