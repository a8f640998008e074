"""The reader's calibration per question language: one refusal threshold (and an optional logit
term) for Chinese and one for English questions, old single-threshold files still read, and
``RAG_MIN_CONFIDENCE`` overriding both. Passages and questions are not from the dev set."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from rag.answering.reader.answerer import ReaderAnswerer
from rag.answering.reader.calibration import CALIBRATION, Calibration
from rag.models import Chunk, Passage
from rag.settings import load_settings

WEATHER = (
    "中央气象台预计，受冷空气影响，未来三天华北地区气温将下降8至12℃，北京最低气温将降至零下5℃。"
    "气象专家提醒公众注意防寒保暖。"
)
QUESTIONS = {"zh": "华北地区气温将下降多少？", "en": "How much will temperatures in north China drop?"}


def _passage(text: str = WEATHER) -> Passage:
    chunk = Chunk("weather.txt#0#0", "weather.txt", 0, "weather", "", text, 0, len(text), len(text))
    return Passage(chunk=chunk, score=1.0, rank=1)


@pytest.fixture(scope="module")
def model():
    from rag.answering.reader.model import load_span_model

    return load_span_model()


def _reader(model, calibration: Calibration, min_confidence: float | None = None) -> ReaderAnswerer:
    return ReaderAnswerer(model=model, calibration=calibration, min_confidence=min_confidence)


def test_an_old_single_threshold_file_applies_to_both_languages(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"a": 0.23, "b": 0.13, "c": -3.8, "d": 2.5, "threshold": 0.11, "source": "old"}))
    cal = Calibration.load(path)
    assert cal.threshold_for("zh") == cal.threshold_for("en") == cal.threshold_for(None) == 0.11
    assert not cal.language_bias and not cal.thresholds
    assert cal(0.4, 1.0, 1, "en") == cal(0.4, 1.0, 1, "zh") == cal(0.4, 1.0, 1)


def test_per_language_file_round_trips(tmp_path):
    cal = Calibration(0.2, 0.1, -3.0, 2.0, threshold=0.11, source="test", thresholds={"zh": 0.12, "en": 0.07}, language_bias={"en": -0.3})
    path = tmp_path / "calibration.json"
    cal.save(path)
    again = Calibration.load(path)
    assert again == cal
    assert again.threshold_for("en") == 0.07 and again.threshold_for("zh") == 0.12
    assert again.threshold_for("fr") == 0.11  # a language without its own threshold: the single one
    assert again(0.4, 1.0, 1, "en") < again(0.4, 1.0, 1, "zh") == again(0.4, 1.0, 1)


def test_the_shipped_file_gives_each_language_a_threshold():
    cal = Calibration.load(CALIBRATION)
    assert cal.source != "uncalibrated"
    for language in ("zh", "en"):
        assert 0.0 < cal.threshold_for(language) < 1.0


def test_calibrate_fits_one_threshold_per_language_when_asked(tmp_path):
    """eval.calibrate on made-up candidate rows: Chinese answers right from a low score, English
    ones only from a high one; --per-language gives each its own threshold, saved and read back."""
    import random

    from eval.calibrate import fit

    rng = random.Random(7)
    questions = []
    for i in range(400):
        lang = "zh" if i % 2 else "en"
        answerable = i % 4 < 2
        logit = rng.uniform(-6, 2)
        right = answerable and logit > (-3.0 if lang == "zh" else -0.5)
        features = {"lp": logit, "margin": logit + 2, "inv_rank": 1.0}
        questions.append({"lang": lang, "article": i % 8, "answerable": answerable, "rows": [{"f": features, "right": right}]})
    single = fit(questions, language_bias=False, per_language=False, ranker=())
    per = fit(questions, language_bias=False, per_language=True, source="synthetic", ranker=())
    assert not single.thresholds and set(per.thresholds) == {"zh", "en"}
    assert per.threshold_for("zh") < per.threshold_for("en")
    per.save(tmp_path / "calibration.json")
    assert Calibration.load(tmp_path / "calibration.json").threshold_for("en") == per.threshold_for("en")


def test_near_misses_raise_the_threshold_without_moving_the_scorer():
    """Unanswerable questions over pages of another topic get low scores and are refused at any
    threshold; near-misses (written to look answerable from their paragraph) score like answers.
    A near-miss set read with --near-miss weighs as much as the other set in the 20% of
    unanswerable questions, so the threshold rises; the scorer itself is fitted without them."""
    import random

    from eval.calibrate import fit, summary

    rng = random.Random(11)
    questions = []
    for i in range(300):  # answerable: right when the reader's score is high
        logit = rng.uniform(-4, 3)
        questions.append({"lang": "zh", "article": i % 6, "answerable": True, "set": "xquad",
                          "rows": [{"f": {"lp": logit, "margin": logit, "inv_rank": 1.0}, "right": logit > -1.0}]})
    for i in range(100):  # another topic: very low scores
        logit = rng.uniform(-8, -5)
        questions.append({"lang": "zh", "article": i % 6, "answerable": False, "set": "bundled",
                          "rows": [{"f": {"lp": logit, "margin": logit, "inv_rank": 1.0}, "right": False}]})
    near = []
    for i in range(500):  # near-misses: scores like a middling answer
        logit = rng.uniform(-2, 1)
        near.append({"lang": "zh", "article": -1, "answerable": False, "set": "near-misses", "role": "near-miss",
                     "rows": [{"f": {"lp": logit, "margin": logit, "inv_rank": 1.0}, "right": False}]})
    without = fit(questions, language_bias=False, per_language=True, ranker=())
    with_near = fit(questions + near, language_bias=False, per_language=True, ranker=())
    assert (with_near.a, with_near.b, with_near.c) == (without.a, without.b, without.c)  # the scorer is the same
    assert with_near.threshold_for("zh") > without.threshold_for("zh")
    refused = summary(with_near, questions + near)["zh"]["refused_by_set"]
    assert refused["bundled"] == 1.0 and refused["near-misses"] > summary(without, questions + near)["zh"]["refused_by_set"]["near-misses"]


def test_the_threshold_of_the_question_language_decides(model):
    """The same passage and the same fact asked in both languages: with a threshold that only
    English answers must clear, the English one is refused (its confidence kept), the Chinese one
    answered; the other way round, the opposite."""
    passages = [_passage()]
    strict_en = _reader(model, Calibration(thresholds={"zh": 0.0, "en": 0.999}))
    zh = strict_en.answer(QUESTIONS["zh"], passages, language="zh")
    en = strict_en.answer(QUESTIONS["en"], passages, language="en")
    assert not zh.refused and "8至12" in zh.short_answer
    assert en.refused and en.short_answer is None and 0.0 < en.confidence < 0.999
    strict_zh = _reader(model, Calibration(thresholds={"zh": 0.999, "en": 0.0}))
    assert strict_zh.answer(QUESTIONS["zh"], passages, language="zh").refused
    assert not strict_zh.answer(QUESTIONS["en"], passages, language="en").refused


def test_min_confidence_overrides_both_languages(model):
    passages = [_passage()]
    cal = Calibration(thresholds={"zh": 0.999, "en": 0.999})
    loose = _reader(model, cal, min_confidence=0.0)
    assert loose.threshold("zh") == loose.threshold("en") == 0.0
    for language, question in QUESTIONS.items():
        assert not loose.answer(question, passages, language=language).refused
    strict = _reader(model, Calibration(thresholds={"zh": 0.0, "en": 0.0}), min_confidence=1.0)
    for language, question in QUESTIONS.items():
        assert strict.answer(question, passages, language=language).refused


def test_rag_min_confidence_reaches_the_reader_for_both_languages(tmp_path, monkeypatch):
    import rag.answering.reader.model as model_module
    from rag.answering.factory import create_answerer

    monkeypatch.setattr(model_module, "load_span_model", lambda *a, **k: object())  # no weights needed here
    settings = load_settings({"home": tmp_path}, environ={"RAG_MIN_CONFIDENCE": "0.42"})
    reader = create_answerer("extractive", SimpleNamespace(settings=settings, question_context=None))
    assert reader.threshold("zh") == reader.threshold("en") == 0.42
    unset = create_answerer("extractive", SimpleNamespace(settings=load_settings({"home": tmp_path}, environ={}), question_context=None))
    shipped = Calibration.load(CALIBRATION)
    assert unset.threshold("zh") == shipped.threshold_for("zh") and unset.threshold("en") == shipped.threshold_for("en")


def test_language_term_moves_only_that_language(model):
    passages = [_passage()]
    plain = _reader(model, Calibration(a=0.3, c=-1.0), min_confidence=0.0)
    lowered = _reader(model, Calibration(a=0.3, c=-1.0, language_bias={"en": -1.0}), min_confidence=0.0)
    en0 = plain.answer(QUESTIONS["en"], passages, language="en")
    en1 = lowered.answer(QUESTIONS["en"], passages, language="en")
    assert en1.confidence < en0.confidence and en1.short_answer == en0.short_answer
    zh0 = plain.answer(QUESTIONS["zh"], passages, language="zh")
    zh1 = lowered.answer(QUESTIONS["zh"], passages, language="zh")
    assert zh1.confidence == zh0.confidence


@pytest.mark.parametrize("content", [b"", b"\x00\xd9\xff binary", "{\"id\": \"a\"}\n".encode("gbk")])
def test_a_bad_near_miss_file_is_named_before_anything_is_read(tmp_path, capsys, content):
    from eval.calibrate import main

    (tmp_path / "nm" / "corpus").mkdir(parents=True)
    (tmp_path / "nm" / "qa.jsonl").write_bytes(content)
    answerable = tmp_path / "bench" / "qa.jsonl"
    answerable.parent.mkdir()
    answerable.write_text('{"id":"q","lang":"zh","question":"华沙是哪国首都？","type":"entity","expect":[["波兰"]],'
                          '"doc":"x.txt","evidence":"波兰"}\n', encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["--home", str(tmp_path / "home"), "--answerable", str(answerable),
              "--near-miss", str(tmp_path / "nm" / "qa.jsonl"), "--out", str(tmp_path / "cal.json")])
    assert "--near-miss" in capsys.readouterr().err
    assert not (tmp_path / "home").exists() and not (tmp_path / "cal.json").exists()
