"""The reader's learned ranker: what it sees of a candidate (type, overlap with the question,
closeness to the question's words, the unit a number carries), the per-language scorers of
``calibration.json``, and answers a user would notice change. Passages and questions are our own,
on several topics (weather, a court case, sport, business), not from the dev set."""

from __future__ import annotations

import json

import pytest

from rag.answering.reader.answerer import ReaderAnswerer
from rag.answering.reader.calibration import CALIBRATION, Calibration, Scorer
from rag.answering.reader.ranking import FEATURES, QuestionView, candidate_features, span_type
from rag.errors import InputError
from rag.models import Chunk, Passage

PLAIN = CALIBRATION.with_name("calibration-plain.json")


def _passage(text: str, name: str = "news.txt", rank: int = 1) -> Passage:
    chunk = Chunk(f"{name}#0#{rank}", name, 0, "news", "", text, 0, len(text), len(text))
    return Passage(chunk=chunk, score=1.0, rank=rank)


@pytest.fixture(scope="module")
def model():
    from rag.answering.reader.model import load_span_model

    return load_span_model()


@pytest.mark.parametrize(
    "span, kind",
    [("2015年", "time"), ("7月12日", "time"), ("340英里", "number"), ("三万人", "number"), ("杭州", "place"),
     ("王建国", "person"), ("《山河》", "title"), ("经济学家", "other")],
)
def test_a_general_tagger_types_the_spans(span, kind):
    assert span_type(span) == kind


def test_features_see_what_the_question_already_says_and_what_sits_next_to_its_words():
    text = "受强降雨影响，该市12条道路积水，暴雨导致35人受伤，2人失踪。"
    q = QuestionView.of("暴雨导致多少人受伤？", "zh")
    assert q.kind == "number" and q.unit == "人"

    def feats(span: str) -> dict[str, float]:
        start = text.index(span)
        return candidate_features(q, text, start, start + len(span), probability=0.3, margin=1.0, rank=1)

    near, far, echo = feats("35"), feats("12"), feats("暴雨导致")
    assert set(near) == set(FEATURES)
    assert near["unit_match"] == 1.0 and far["unit_miss"] == 1.0  # 35人 carries the unit asked for, 12条 does not
    assert near["near_distance"] < far["near_distance"] and near["near_share_10"] > far["near_share_10"]
    assert echo["in_question"] == 1.0 and near["in_question"] == 0.0  # the question's own words are no answer


@pytest.mark.parametrize(
    "question, text, right, wrong",
    [
        # the number next to the question's words, carrying the unit asked for
        ("暴雨导致多少人受伤？", "受强降雨影响，该市12条道路积水，暴雨导致35人受伤，2人失踪。", "35", "12"),
        ("该市有多少条道路积水？", "受强降雨影响，该市12条道路积水，暴雨导致35人受伤，2人失踪。", "12", "35"),
        ("谁在1987年创办了这家公司？", "这家公司由王建国在1987年创办，总部设在深圳，目前有员工三万人。", "王建国", "深圳"),
        ("决赛在哪座城市举行？", "本届锦标赛的决赛将于7月在杭州举行，共有十六支队伍参赛。", "杭州", "十六"),
        ("被告人被判处有期徒刑几年？", "法院审理认为，被告人张某犯诈骗罪，判处有期徒刑五年，并处罚金十万元。", "五年", "十万元"),
    ],
)
def test_chinese_answers_are_the_span_a_reader_would_pick(model, question, text, right, wrong):
    answer = ReaderAnswerer(model=model, min_confidence=0.0).answer(question, [_passage(text)], language="zh")
    assert not answer.refused and right in answer.short_answer and wrong not in answer.short_answer
    assert 0.0 < answer.confidence <= 1.0


def test_the_ranker_raises_confidence_where_the_answer_fits_the_question(model):
    """Same passage, same reader: the answer that fits its question (a person for "who", next to
    the question's words) is more confident under the ranker than under the reader's score alone."""
    text = "这家公司由王建国在1987年创办，总部设在深圳，目前有员工三万人。"
    question = "谁在1987年创办了这家公司？"
    ranked = ReaderAnswerer(model=model, min_confidence=0.0).answer(question, [_passage(text)], language="zh")
    plain = ReaderAnswerer(model=model, calibration=Calibration.load(PLAIN), min_confidence=0.0).answer(
        question, [_passage(text)], language="zh"
    )
    assert ranked.short_answer == plain.short_answer == "王建国"
    assert ranked.confidence > plain.confidence


def test_the_shipped_file_ranks_chinese_questions_and_keeps_the_plain_score_for_english():
    cal = Calibration.load(CALIBRATION)
    assert cal.scorer("zh").ranker and set(cal.scorer("zh").ranker) <= set(FEATURES)
    assert not cal.scorer("en").ranker  # English questions: the reader's own score (README: measured no better)
    assert "Listwise ranker" in cal.source


def test_per_language_scorers_round_trip(tmp_path):
    cal = Calibration(0.2, 0.1, -3.0, 2.0, threshold=0.12, source="test",
                      languages={"zh": Scorer(a=0.5, c=-2.0, ranker={"lp": 0.4, "unit_match": 2.0})})
    cal.save(tmp_path / "c.json")
    again = Calibration.load(tmp_path / "c.json")
    assert again == cal
    f = {"lp": 0.0, "margin": 1.0, "inv_rank": 1.0, "unit_match": 1.0}
    assert again.score(f, "zh") == pytest.approx(2.0) and again.score(f, "en") == pytest.approx(0.1 + 2.0)
    assert again.confidence(f, "zh") != again.confidence(f, "en")


def test_a_file_naming_unknown_features_says_how_to_refit(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"threshold": 0.1, "languages": {"zh": {"a": 1.0, "ranker": {"colour": 1.0}}}}))
    with pytest.raises(ValueError, match="colour.*eval.calibrate"):
        Calibration.load(path)


def test_rag_calibration_points_the_reader_at_another_file(tmp_path, monkeypatch):
    import rag.answering.reader.model as model_module
    from types import SimpleNamespace

    from rag.answering.factory import create_answerer
    from rag.settings import load_settings

    monkeypatch.setattr(model_module, "load_span_model", lambda *a, **k: object())  # no weights needed here
    own = tmp_path / "mine.json"
    Calibration(threshold=0.33, source="mine").save(own)
    settings = load_settings({"home": tmp_path}, environ={"RAG_CALIBRATION": str(own)})
    reader = create_answerer("extractive", SimpleNamespace(settings=settings, question_context=None))
    assert reader.calibration.source == "mine" and reader.threshold("zh") == 0.33
    missing = load_settings({"home": tmp_path}, environ={"RAG_CALIBRATION": "nope.json"})
    with pytest.raises(InputError, match="'nope.json'.*eval.calibrate"):
        create_answerer("extractive", SimpleNamespace(settings=missing, question_context=None))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    bad = load_settings({"home": tmp_path}, environ={"RAG_CALIBRATION": str(broken)})
    with pytest.raises(InputError, match="cannot be read"):
        create_answerer("extractive", SimpleNamespace(settings=bad, question_context=None))


def test_eval_calibrate_learns_the_ranking_from_candidates(tmp_path):
    """Made-up candidates where the right one is never the question's own words and always carries
    the asked unit: the fitted ranker weighs those two features the right way round and ranks the
    right candidate first."""
    import random

    from eval.calibrate import _best, fit

    rng = random.Random(3)
    questions = []
    for i in range(160):
        rows = []
        for j in range(5):
            right = j == 0
            f = {k: 0.0 for k in FEATURES}
            f.update(lp=rng.gauss(0, 1), margin=rng.gauss(1, 1), inv_rank=1.0,
                     in_question=float(not right and rng.random() < 0.5),
                     unit_match=float(right or rng.random() < 0.2))
            rows.append({"f": f, "right": right})
        rng.shuffle(rows)
        questions.append({"lang": "zh", "article": i % 4, "answerable": True, "rows": rows})
        questions.append({"lang": "zh", "article": i % 4, "answerable": False, "rows": [dict(r, right=False) for r in rows]})
    cal = fit(questions, language_bias=False, per_language=False, ranker=("zh",))
    weights = cal.scorer("zh").ranker
    assert weights["in_question"] < 0 < weights["unit_match"]
    answered = [_best(cal, q) for q in questions if q["answerable"]]
    assert sum(ok for _, ok in answered) / len(answered) > 0.8


def test_each_part_of_a_two_part_question_gets_its_own_value(model):
    text = "本届展会共吸引参展企业1200家，其中境外企业350家，成交额达到86亿元。"
    answer = ReaderAnswerer(model=model, min_confidence=0.0).answer(
        "本届展会共吸引多少家参展企业？其中境外企业多少家？", [_passage(text)], language="zh"
    )
    parts = answer.short_answer.split("；")
    assert len(parts) == 2 and parts[0] != parts[1]
    assert "1200" in answer.short_answer and "350" in answer.short_answer


def test_a_number_keeps_its_unit(model):
    text = "这座大桥于2018年建成通车，全长1200米，连接两岸的两个城市。"
    answer = ReaderAnswerer(model=model, min_confidence=0.0).answer("大桥全长多少米？", [_passage(text)], language="zh")
    assert answer.short_answer == "1200米"


def test_the_candidate_pool_size_travels_with_its_scorer(tmp_path):
    cal = Calibration(threshold=0.1, languages={"zh": Scorer(a=0.5, ranker={"lp": 1.0}, spans=20)})
    cal.save(tmp_path / "c.json")
    again = Calibration.load(tmp_path / "c.json")
    assert again.scorer("zh").spans == 20 and again.scorer("en").spans == 8  # older files: 8 spans per window
    (tmp_path / "bad.json").write_text(json.dumps({"languages": {"zh": {"spans_per_window": 0}}}))
    with pytest.raises(ValueError, match="spans_per_window"):
        Calibration.load(tmp_path / "bad.json")
