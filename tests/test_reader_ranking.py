"""The reader's learned ranker: what it sees of a candidate (type, overlap with the question,
closeness to the question's words, the unit a number carries), the per-language scorers of
``calibration.json``, and answers a user would notice change. Passages and questions are our own,
on several topics (weather, a court case, sport, business), not from the dev set."""

from __future__ import annotations

import json

import pytest

from rag.answering.reader.answerer import Candidate, ReaderAnswerer
from rag.answering.reader.calibration import CALIBRATION, Calibration, Scorer
from rag.answering.reader.ranking import FEATURES, SUPPORT, QuestionView, candidate_features, span_type, support
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


def test_support_is_what_the_other_proposed_cuts_say_for_a_candidate():
    """A final the reader proposes as "3比1", "以3比1" and "3比1战胜对手" has the agreement of the
    other cuts; a time it proposes once, apart from them, has none. A whole sentence offered
    around a span is a candidate but casts no vote (it would agree with everything inside it)."""
    texts = ["3比1", "以3比1", "3比1战胜对手", "周六晚", "主队周日以3比1战胜对手。"]
    probs = [0.4, 0.2, 0.1, 0.3, 0.5]
    spans = [True, True, True, True, False]
    got = support(texts, probs, spans)
    assert all(set(g) == set(SUPPORT) for g in got)
    core, longer, apart, sentence = got[0], got[2], got[3], got[4]
    assert core["support_around"] == pytest.approx(0.3)  # "以3比1" and "3比1战胜对手" hold it (0.2 + 0.1 of 1.0)
    assert longer["support_inside"] == pytest.approx(0.4)  # "3比1" lies inside it
    assert apart["support_overlap"] == 0.0 and apart["support_inside"] == apart["support_around"] == 0.0
    assert core["support_overlap"] > apart["support_overlap"]
    assert sentence["support_inside"] == pytest.approx(0.7)  # the three cuts of the score inside it (not the evening)
    assert support([], [], []) == [] and support(["甲"], [0.0], [True]) == [dict.fromkeys(SUPPORT, 0.0)]


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


def test_the_ranker_keeps_a_fitting_answer_confident(model):
    """Same passage, same reader: the answer that fits its question (a person for "who", next to
    the question's words) is the ranker's answer too, and it is confident under both scores (with
    the reader fine-tuned through all its layers, the reader's score alone is already high here;
    the ranker must not talk it down)."""
    text = "这家公司由王建国在1987年创办，总部设在深圳，目前有员工三万人。"
    question = "谁在1987年创办了这家公司？"
    ranked = ReaderAnswerer(model=model, min_confidence=0.0).answer(question, [_passage(text)], language="zh")
    plain = ReaderAnswerer(model=model, calibration=Calibration.load(PLAIN), min_confidence=0.0).answer(
        question, [_passage(text)], language="zh"
    )
    assert ranked.short_answer == plain.short_answer == "王建国"
    assert ranked.confidence >= 0.5 and plain.confidence >= 0.5


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
    # the unit kept; the short clause around it ("全长1200米") may come with it (extent.ClauseRule)
    assert answer.short_answer.endswith("1200米")


def test_the_candidate_pool_size_travels_with_its_scorer(tmp_path):
    cal = Calibration(threshold=0.1, languages={"zh": Scorer(a=0.5, ranker={"lp": 1.0}, spans=20)})
    cal.save(tmp_path / "c.json")
    again = Calibration.load(tmp_path / "c.json")
    assert again.scorer("zh").spans == 20 and again.scorer("en").spans == 8  # older files: 8 spans per window
    (tmp_path / "bad.json").write_text(json.dumps({"languages": {"zh": {"spans_per_window": 0}}}))
    with pytest.raises(ValueError, match="spans_per_window"):
        Calibration.load(tmp_path / "bad.json")


@pytest.mark.parametrize(
    "question, language, kind",
    [("高速公路为什么临时封闭？", "zh", "why"), ("这家工厂是如何降低能耗的？", "zh", "how"),
     ("法院为何驳回了上诉？", "zh", "why"), ("Why was the match called off?", "en", "why"),
     ("How did the company cut its costs?", "en", "how"), ("How many people were hurt?", "en", ""),
     ("How long is the bridge?", "en", ""), ("大桥全长多少米？", "zh", ""), ("谁获得了冠军？", "zh", "")],
)
def test_why_and_how_questions_are_told_from_questions_for_a_name_or_a_number(question, language, kind):
    from rag.answering.question import asks_reason

    assert asks_reason(question, language) == kind


def test_a_why_question_gets_the_sentence_that_gives_the_reason(model):
    """The reader proposes phrases; for a why question the sentence around them competes too, and
    the fitted weight (CMRC 2018 trial's even half, XQuAD) lets the reason's sentence win."""
    text = ("受强冷空气影响，本市昨夜出现大范围降雪。由于路面结冰严重，绕城高速公路东段自今晨起临时封闭。"
            "交警部门提醒市民尽量选择公共交通出行。")
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    cands = reader.candidates("绕城高速公路东段为什么临时封闭？", [_passage(text)], "zh")
    assert any(c.sentence for c in cands) and not any(c.sentence for c in reader.candidates(
        "绕城高速公路东段什么时候临时封闭？", [_passage(text)], "zh"))
    answer = reader.answer("绕城高速公路东段为什么临时封闭？", [_passage(text)], language="zh")
    assert "路面结冰" in answer.short_answer and not answer.refused
    # a question for a name or a number still gets the bare value
    when = reader.answer("绕城高速公路东段从什么时候起临时封闭？", [_passage(text)], language="zh")
    assert "今晨" in when.short_answer and "路面结冰" not in when.short_answer


def test_the_reason_weight_is_learned_from_why_questions_only(tmp_path):
    """Made-up why questions whose right candidate is the sentence: the fitted weight of sentence
    answers is positive; with no why question read it stays 0."""
    from eval.calibrate import fit_reason_weight

    questions = []
    for i in range(40):
        span = {"f": {"lp": 1.0, "reason_sentence": 0.0}, "right": False}
        sentence = {"f": {"lp": 0.5, "reason_sentence": 1.0}, "right": True}
        questions.append({"answerable": True, "rows": [span, sentence]})
    assert fit_reason_weight(questions, {"lp": 1.0}) > 0.5
    plain = [{"answerable": True, "rows": [{"f": {"lp": 1.0}, "right": True}]}]
    assert fit_reason_weight(plain, {"lp": 1.0}) == 0.0


@pytest.mark.parametrize(
    "question, language, expected",
    [("今年的马拉松比赛是否如期举行？", "zh", True), ("这座小镇有桥梁吗？", "zh", True), ("新馆能否在年底开放？", "zh", True),
     ("什么是素数吗？", "zh", False), ("内蒙古已建成多少个社工站？", "zh", False),
     ("Did the court accept the appeal?", "en", True), ("Is the bridge open to traffic?", "en", True),
     ("What did the court decide?", "en", False), ("How many people were hurt?", "en", False),
     ("Can you tell me how many social work stations Inner Mongolia has?", "en", False),
     ("你知道内蒙古有多少个社工站吗？", "zh", False),
     # a request worded as a question asks for what it names, unless that is itself a whether
     ("能告诉我该市社工站的数量吗？", "zh", False), ("请介绍一下新馆的开放时间好吗？", "zh", False),
     ("你知道这座小镇是否有桥梁吗？", "zh", True), ("警方是否知道嫌疑人的身份？", "zh", True),
     ("Can you tell me the number of stations in the city?", "en", False),
     ("Do you know the date of the final?", "en", False),
     ("Can you tell me whether the court accepted the appeal?", "en", True),
     ("Do you know if the bridge is open?", "en", True)],
)
def test_yes_no_questions_are_told_apart(question, language, expected):
    from rag.answering.question import asks_yes_no

    assert asks_yes_no(question, language) is expected


@pytest.mark.parametrize(
    "question, text, verdict",
    [
        ("今年的马拉松比赛是否如期举行？", "受台风影响，原定于10月举行的马拉松比赛未能如期举行，改至11月。", "否"),
        ("这座小镇有桥梁吗？", "这座小镇并不是一个水乡，但它却拥有二十多座桥梁，多建于清代。", "是"),
        ("城市羽毛球公开赛每年都举办吗？", "城市羽毛球公开赛始于1990年，由市体育局主办，但并不是每年都举办。", "否"),
        ("这种新药能否在家中使用？", "这种新药目前尚未获准在家中使用，只能在医院由医生注射。", "否"),
        ("这家公司今年的营收是否增长了？", "据公司年报，这家公司今年的营收同比增长了12%，利润略有下降。", "是"),
    ],
)
def test_a_yes_no_question_gets_a_verdict_and_its_evidence(model, question, text, verdict):
    """The verdict comes from the clause that answers (the one sharing the question's predicate),
    negated or not; the sentence follows as evidence and the passage is cited."""
    answer = ReaderAnswerer(model=model, min_confidence=0.0).answer(question, [_passage(text)], language="zh")
    assert not answer.refused and answer.citations
    assert answer.short_answer.startswith(verdict + "，"), answer.short_answer
    assert len(answer.short_answer) > 6  # the evidence follows the verdict


def test_a_request_worded_as_a_question_gets_the_fact_not_a_verdict(model):
    text = "据市民政局介绍，目前该市已建成社工站58个，服务群众4.2万人次。"
    answer = ReaderAnswerer(model=model, min_confidence=0.0).answer(
        "能告诉我该市社工站的数量吗？", [_passage(text)], language="zh")
    assert not answer.refused and not answer.short_answer.startswith(("是，", "否，")), answer.short_answer


@pytest.mark.parametrize(
    "question, language, verdict",
    [("该市的社工站是否超过50个？", "zh", "是"), ("该市的社工站是否超过60个？", "zh", "否"),
     ("该市建成的社工站是否不到100个？", "zh", "是"), ("该市是否已建成社工站80个以上？", "zh", "否"),
     ("Has the city built more than 60 social work stations?", "en", "No"),
     ("Has the city built at least 50 social work stations?", "en", "Yes")],
)
def test_a_yes_no_question_comparing_a_number_is_judged_by_the_number(model, question, language, verdict):
    """"是否超过60个" against "已建成社工站58个" is a no though nothing is negated; the year is no count."""
    text = "据市民政局介绍，2021年以来该市已建成社工站58个，服务群众4.2万人次。"
    answer = ReaderAnswerer(model=model, min_confidence=0.0).answer(question, [_passage(text)], language=language)
    assert answer.short_answer.startswith(verdict), answer.short_answer
    assert "58个" in answer.short_answer


def test_comparisons_are_read_from_the_question():
    from rag.numbers import asked_comparison

    c = asked_comparison("受伤人数是否少于10人？")
    assert (c.relation, c.value, c.unit) == ("<", 10.0, "人")
    c = asked_comparison("是否不超过800个")
    assert (c.relation, c.value) == ("<=", 800.0) and c.holds(800) and not c.holds(801)
    c = asked_comparison("Were fewer than ten people hurt?")
    assert (c.relation, c.value) == ("<", 10.0)
    assert asked_comparison("是否有800个？") is None and asked_comparison("比赛是否在2020年举行？") is None


def test_negation_words_are_found_by_word_not_by_character():
    from rag.answering.question import negated

    assert negated("但并不强制所有人参加", "zh") and negated("目前尚未开放", "zh") and negated("it did not open", "en")
    assert not negated("工作不断推进", "zh") and not negated("不少市民前来参观", "zh") and not negated("it opened", "en")


def test_a_sentence_answer_has_its_own_confidence_offset(tmp_path):
    cal = Calibration(threshold=0.1, languages={"zh": Scorer(a=1.0, c=0.0, ranker={"lp": 1.0}, sentence_offset=-1.0)})
    cal.save(tmp_path / "c.json")
    again = Calibration.load(tmp_path / "c.json")
    assert again.scorer("zh").sentence_offset == -1.0 and again.scorer("en").sentence_offset == 0.0
    span = {"lp": 0.5, "reason_sentence": 0.0}
    sentence = {"lp": 0.5, "reason_sentence": 1.0}
    assert again.score(span, "zh") == again.score(sentence, "zh")  # the offset calibrates, it does not rank
    assert again.confidence(sentence, "zh") < again.confidence(span, "zh")


def test_the_shipped_file_weighs_sentence_answers_to_why_questions():
    zh = Calibration.load().scorer("zh")
    assert zh.ranker.get("reason_sentence", 0.0) > 0 and "reason_sentence" in FEATURES
    assert "CMRC" in Calibration.load().source or "cmrc2018-trial" in Calibration.load().source


def test_the_holder_of_an_office_is_not_its_deputy(model):
    """"Who is the 总裁" is not answered with the 副总裁 the passage names (refused when no one
    else holds the title); asking for the deputy still finds them."""
    from rag.answering.question import asked_titles

    assert asked_titles("该公司总经理是谁？") == {"总经理"} and asked_titles("该公司副总经理是谁？") == set()
    assert asked_titles("首都师范大学副校长是谁？") == set() and asked_titles("谁是研究院院长？") == {"院长"}
    only_deputy = "发布会上，该集团副总裁陈立介绍了今年的海外业务，营收同比增长12%。"
    reader = ReaderAnswerer(model=model)
    assert reader.answer("该集团总裁是谁？", [_passage(only_deputy)], language="zh").refused
    assert "陈立" in reader.answer("该集团副总裁是谁？", [_passage(only_deputy)], language="zh").short_answer
    assert {"总裁", "主席"} <= asked_titles("Who is the president of the group?") and not asked_titles(
        "Who is the vice president of the group?")
    # a title joined to another word by a hyphen is another office: no 部长 is asked for
    assert not asked_titles("Who attended as the embassy's minister-counsellor?")
    assert asked_titles("Who is the secretary-general of the association?") == {"秘书长"}
    assert reader.answer("Who is the president of the group", [_passage(only_deputy)], language="en").refused
    both = "该公司副总经理张华介绍，今年营收增长12%。总经理刘伟出席了发布会并致辞。"
    assert ReaderAnswerer(model=model, min_confidence=0.0).answer(
        "该公司总经理是谁？", [_passage(both)], language="zh").short_answer == "刘伟"


def test_a_date_cut_after_its_month_gets_its_day():
    from rag.answering.reader.answerer import _with_day

    text = "4月29日上午，代表团来到集团总部。2020年4月，他来到北京。"
    assert text.__getitem__(slice(*_with_day(text, 0, 2))) == "4月29日"
    later = text.index("2020")
    assert text.__getitem__(slice(*_with_day(text, later, later + 7))) == "2020年4月"  # no day follows


@pytest.mark.parametrize(
    "text, span, whole",
    [("明天白天最高气温8至12℃，有小雨。", "12℃", "8至12℃"), ("预计工期3到5年，总投资10亿元。", "3", "3到5年"),
     ("全年气温在-5~30℃之间。", "30℃", "-5~30℃"), ("该市已建成社工站58个，服务4.2万人次。", "58个", "58个")],
)
def test_a_number_at_one_end_of_a_range_gets_the_whole_range(text, span, whole):
    from rag.answering.reader.answerer import _with_range

    i = text.index(span)
    a, b = _with_range(text, i, i + len(span))
    assert text[a:b] == whole


def test_a_yes_no_answer_cites_the_sentence_that_bears_on_its_predicate(model):
    text = ("据悉，城市博物馆是市文化局和师范大学共同建设的以地方历史研究与展示为主要任务的文化机构。"
            "自2012年开馆以来，博物馆举办各类展览300余场，接待观众超过500万人次。")
    answer = ReaderAnswerer(model=model, min_confidence=0.0).answer("城市博物馆是否于2012年开馆？", [_passage(text)], language="zh")
    assert answer.short_answer.startswith("是，") and "2012年开馆" in answer.short_answer


@pytest.mark.parametrize(
    "args, said",
    [(["--reason-set", "qa.jsonl@third"], "give FILE, FILE@even or FILE@odd"),
     (["--reason-set", "no/such/qa.jsonl@even"], "no such file"), (["--answerable", "no/such/qa.jsonl"], "no such file")],
)
def test_eval_calibrate_names_a_bad_set_before_reading_anything(tmp_path, capsys, args, said):
    from eval.calibrate import main

    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"id": "q1", "lang": "zh", "question": "为什么？", "type": "entity", "expect": [["因为"]]}\n', encoding="utf-8")
    args = [a.replace("qa.jsonl@third", f"{qa}@third") for a in args]
    with pytest.raises(SystemExit):
        main(["--home", str(tmp_path / "home"), "--answerable", str(qa), *args])
    assert said in capsys.readouterr().err


def test_how_many_is_not_answered_without_a_number(model):
    """A count the passage never gives is refused, not answered with the places it lists."""
    from rag.answering.question import question_kind

    text = "今年的试点工作在长沙市岳麓区、株洲市芦淞区和湘潭市雨湖区等地的乡镇展开，由省民政厅统一部署。"
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    assert reader.answer("试点工作在多少个乡镇展开？", [_passage(text)], language="zh").refused
    assert not reader.answer("试点工作在哪些地方展开？", [_passage(text)], language="zh").refused
    assert question_kind("达曼的卫星城有哪几座？", "zh") != "number" and question_kind("有几座桥？", "zh") == "number"


@pytest.mark.parametrize(
    "question, language, first, second, more",
    [
        ("全国新开工项目和竣工项目，哪个更多？", "zh", "全国新开工项目", "竣工项目", True),
        ("主场观众多还是客场观众多？", "zh", "主场观众", "客场观众", True),
        ("Were there more new projects or completed projects this year?", "en", "new projects", "completed projects", True),
        ("Which is smaller, the number of stations or the number of lines?", "en", "stations", "lines", False),
        ("In Xiamen, which is more numerous: runners or volunteers?", "en", "runners", "volunteers", True),
        ("开展讲座的人次，和培训乡村教师、校医的人次相比，哪个更多？", "zh", "开展讲座的人次", "培训乡村教师、校医的人次", True),
        ("What does the county have more of: apple farms or fruit shops?", "en", "apple farms", "fruit shops", True),
        # the two are whose count is weighed: the answer names one of them
        ("Which city has fewer metro lines, Chengdu or Xi'an?", "en", "Chengdu", "Xi'an", False),
        ("成都和西安，哪个城市的地铁线路更多？", "zh", "成都", "西安", True),
    ],
)
def test_which_is_more_questions_name_their_two_things(question, language, first, second, more):
    from rag.answering.question import asked_alternatives

    alt = asked_alternatives(question, language)
    assert (alt.first, alt.second, alt.more) == (first, second, more)
    assert alt.subjects == (first in ("Chengdu", "成都"))
    assert second in alt.second_question and ("多少" in alt.first_question or "how many" in alt.first_question.lower())


@pytest.mark.parametrize(
    "question, first_question, second_question",
    [
        ("Does Jingning have more apple farms or more (online) fruit shops?",
         "How many apple farms does Jingning have?", "How many (online) fruit shops does Jingning have?"),
        ("In Xiamen, were there more runners or more volunteers?", "In Xiamen, how many runners?", "In Xiamen, how many volunteers?"),
        ("Which city has more metro lines, Chengdu or Xi'an?",
         "How many metro lines does Chengdu have?", "How many metro lines does Xi'an have?"),
        ("In 2023, what did Jingning have more of: apple farms or fruit shops?",
         "In 2023, how many apple farms did Jingning have?", "In 2023, how many fruit shops did Jingning have?"),
    ],
)
def test_each_count_is_asked_of_the_question_s_subject(question, first_question, second_question):
    # "How many apple farms?" alone is asked of every place in the archive
    from rag.answering.question import asked_alternatives

    alt = asked_alternatives(question, "en")
    assert (alt.first_question, alt.second_question) == (first_question, second_question)


@pytest.mark.parametrize(
    "question, language",
    [("哪个省份的社工站最多？", "zh"), ("Are there more social workers than teachers?", "en"), ("How many more stations were built?", "en")],
)
def test_other_questions_weigh_nothing(question, language):
    from rag.answering.question import asked_alternatives

    assert asked_alternatives(question, language) is None


def test_a_which_is_more_question_names_the_larger_with_both_numbers(model):
    text = "国家发展改革委介绍，今年前三季度，全国新开工项目1.2万个，竣工项目8600个，完成投资同比增长4.1%。"
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    zh = reader.answer("全国新开工项目和竣工项目，哪个更多？", [_passage(text)], language="zh")
    assert zh.short_answer == "全国新开工项目更多"
    assert "1.2万个" in zh.answer and "8600个" in zh.answer and zh.citations
    fewer = reader.answer("全国新开工项目和竣工项目，哪个更少？", [_passage(text)], language="zh")
    assert fewer.short_answer == "竣工项目更少"
    en = reader.answer("Were there more new projects or completed projects in the first three quarters?",
                       [_passage(text)], language="en")
    assert en.short_answer == "More new projects" and "8600" in en.answer


def test_two_counts_asked_in_two_clauses_are_read_each_on_its_own(model):
    """"How many …, and how many …?" in English: the second count stands in another passage, so
    each clause is read as its own question and the answer gives both."""
    from rag.answering.reader.answerer import _english_parts

    runners = _passage("1月7日，2024厦门马拉松赛在环岛路鸣枪起跑，来自42个国家和地区的3万名跑者参赛。", "run.txt", 1)
    helpers = _passage("赛事组委会介绍，本届赛事共招募志愿者5000名，分布在沿途各个服务点。", "help.txt", 2)
    question = "How many runners took part in the Xiamen Marathon, and how many volunteers did the organisers recruit?"
    assert _english_parts(question) == ["How many runners took part in the Xiamen Marathon?",
                                        "How many volunteers did the organisers recruit?"]
    answer = ReaderAnswerer(model=model, min_confidence=0.0).answer(question, [runners, helpers], language="en")
    assert not answer.refused
    assert "3万名" in answer.answer and "5000名" in answer.answer
    assert _english_parts("How many stations and how many lines does the metro have?") == [
        "How many stations and how many lines does the metro have?"]  # one clause: its subject is at the end


def test_a_share_is_answered_with_a_share_and_a_size_with_a_quantity(model):
    """"What share" wants a percentage or a ratio, not the head count next to it; "what salary" a
    sum of money; "规模有多大" an amount, not the day the fund was set up. When the passage gives none, the question is
    refused instead of answered with its neighbour."""
    from rag.answering.question import question_kind

    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    counts = _passage("据市卫健委统计，全市注册护士已超过2.6万名，其中男护士约1800名，分布在全市各级医院。")
    shares = _passage("据市卫健委统计，全市注册护士已超过2.6万名，其中男护士占比约为6.9%，比五年前提高了两个百分点。")
    for question, language in (("What share of the city's registered nurses are men?", "en"), ("男护士在注册护士中的占比是多少？", "zh")):
        assert reader.answer(question, [counts], language=language).refused, question
        answer = reader.answer(question, [shares], language=language)
        assert not answer.refused and "6.9%" in answer.short_answer, question
    assert reader.answer("What is the average monthly salary of the city's nurses?", [counts], language="en").refused
    paid = _passage("据市卫健委统计，全市注册护士的平均月薪为8600元，比五年前提高了两成。")
    assert "8600元" in reader.answer("What is the average monthly salary of the city's nurses?", [paid], language="en").short_answer
    founded = _passage("2021年5月12日，这只乡村教育基金在第一届乡村教育论坛上设立，由市教育局负责管理。")
    sized = _passage("这只乡村教育基金由市教育局负责管理，目前基金规模已达3.2亿元，资助了两百多所乡村学校。")
    assert reader.answer("乡村教育基金目前的规模有多大？", [founded], language="zh").refused
    assert "3.2亿元" in reader.answer("乡村教育基金目前的规模有多大？", [sized], language="zh").short_answer
    assert question_kind("大桥有多长？", "zh") == question_kind("How far is the airport from the city?", "en") == "number"
    assert "number" not in {question_kind(q, "zh") for q in ("这项政策产生了多大的影响？", "许多大学参加了吗？", "他多久回一次家？")}


def test_a_rank_question_is_answered_with_the_rank(model):
    """"比例在全省排第几" asks for a place in a ranking: the ordinal is the answer, not a share."""
    text = "今年全市共有1426人通过考试，通过人数占全市人口的比例居全省第二，仅次于省会城市。"
    answer = ReaderAnswerer(model=model, min_confidence=0.0).answer("通过人数占人口的比例在全省排第几？", [_passage(text)], language="zh")
    assert not answer.refused and "第二" in answer.short_answer


def test_a_count_of_people_is_not_answered_with_organisations_cut_before_their_measure_word(model):
    """"How many volunteers": the passage counts hospitals and communities only, so the question is
    refused (a span ending on "23" still counts the "个社区" that follow it in the passage)."""
    text = "组委会将组织12家医疗机构与沿线全部23个社区合作，为参赛选手提供医疗和补给服务。"
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    assert reader.answer("How many volunteers will the organisers recruit?", [_passage(text)], language="en").refused
    assert reader.answer("组委会将招募多少名志愿者？", [_passage(text)], language="zh").refused


@pytest.mark.parametrize("text, span, whole", [
    ("核心保护区面积约22平方公里，缓冲区另有15平方公里。", "22平方公里", "约22平方公里"),
    ("来自各地的近200名专家学者参加了论坛。", "200名", "近200名"),
    ("The city has more than 1.3 million residents.", "1.3 million", "more than 1.3 million"),
    ("离他最近200米的地方", "200米", "200米"),  # 最近 is "nearest", no qualifier
    ("全市共22个社区参与。", "22个", "22个"),
])
def test_a_number_keeps_the_qualifier_the_passage_gives_it(text, span, whole):
    from rag.answering.reader.answerer import _with_qualifier

    start = text.index(span)
    assert text[_with_qualifier(text, start, start + len(span)) : start + len(span)] == whole


@pytest.mark.parametrize("question, kind", [
    ("男护士的占比是多少？", "number"), ("赞成的比例为多少？", "number"), ("决赛的最终比分是多少？", "number"),
    ("今年的游客比去年多吗？", "comparison"), ("主队和客队相比，谁的得分高？", "comparison"),
])
def test_the_bi_of_a_share_or_a_score_is_no_comparison(question, kind):
    from rag.answering.question import question_kind

    assert question_kind(question, "zh") == kind


def test_a_count_is_asked_of_the_place_the_question_names(model):
    """"How many … does Kunshan have": the province's total, whose clause names the province and
    mentions the city only afterwards, is not the city's count; the city's own clause is."""
    province = _passage("截至去年底，江苏省已建成养老服务站1280个，覆盖率达到91%，其中昆山、太仓实现全覆盖。")
    city = _passage("截至去年底，江苏省已建成养老服务站1280个。昆山市建成养老服务站46个，实现全覆盖。")
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    for question, language in (("昆山市建成了多少个养老服务站？", "zh"), ("江苏省建成了多少个养老服务站？", "zh")):
        assert not reader.answer(question, [city], language=language).refused, question
    assert "46个" in reader.answer("昆山市建成了多少个养老服务站？", [city], language="zh").short_answer
    assert "1280个" in reader.answer("江苏省建成了多少个养老服务站？", [province], language="zh").short_answer
    assert reader.answer("昆山市建成了多少个养老服务站？", [province], language="zh").refused


def test_a_coverage_rate_is_a_share_and_a_year_is_no_duration(model):
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    counts = _passage("全县共建成村级卫生室47个，另有12个正在建设。")
    assert reader.answer("全县村级卫生室的覆盖率是多少？", [counts], language="zh").refused
    dated = _passage("6月29日,2023年全省乡村教育论坛在兰州开幕，来自各地的代表参加了会议。")
    assert reader.answer("这次论坛筹备了多长时间？", [dated], language="zh").refused


def test_an_office_is_held_in_the_organisation_the_question_asks_about(model):
    """"Who is the party secretary of Suzhou?" is not the party secretary of Suzhou's transport
    bureau; asked about the bureau, he is. A name right after another office ("顾问委员会主任委员")
    holds that office, not the one asked ("校长"); an "执行校长" is not the 校长."""
    from rag.answering.question import asked_titles, office_elsewhere, titled_otherwise

    bureau = "在苏州市交通运输局党委书记、局长王立新的陪同下，调研组先后走访了三个公交枢纽。"
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    assert reader.answer("苏州市的党委书记是谁？", [_passage(bureau)], language="zh").refused
    assert reader.answer("Who is the Communist Party secretary of Suzhou city?", [_passage(bureau)], language="en").refused
    assert "王立新" in reader.answer("苏州市交通运输局的党委书记是谁？", [_passage(bureau)], language="zh").short_answer
    at = bureau.index("王立新")
    assert office_elsewhere("苏州市的党委书记是谁？", bureau, at, at + 3, {"书记"})
    assert not office_elsewhere("苏州市交通运输局的党委书记是谁？", bureau, at, at + 3, {"书记"})
    # an English question bridged loosely ("Normal University" -> 大学) still asks about the university
    university = "江南师范大学党委书记张军在致辞时介绍，学校社会工作专业已有三十年历史。"
    at = university.index("张军")
    assert not office_elsewhere("Who is the Party secretary of Jiangnan Normal University? 书记 大学 正常", university, at, at + 2, {"书记"})
    school = "江南大学顾问委员会主任委员刘明，江南大学副书记、校长陈华等出席了开学典礼。"
    answer = reader.answer("江南大学的校长是谁？", [_passage(school)], language="zh")
    assert not answer.refused and "陈华" in answer.short_answer and "刘明" not in answer.short_answer
    assert titled_otherwise(school, school.index("刘明"), {"校长"}) and not titled_otherwise(school, school.index("陈华"), {"校长"})
    assert asked_titles("江南大学的执行校长是谁？") == {"执行校长"} and titled_otherwise(school, school.index("陈华"), {"执行校长"})
    assert asked_titles("Who is the executive president of Jiangnan University?") == {"执行" + t for t in asked_titles("the president")}
    # a village's party branch secretary is not another village's
    villages = "座谈会上，城东镇李家村党支部书记王海、赵家村村民刘平分别发言，介绍了村里的果园合作社。"
    at = villages.index("王海")
    assert office_elsewhere("赵家村的党支部书记是谁？", villages, at, at + 2, {"书记"})
    assert not office_elsewhere("李家村的党支部书记是谁？", villages, at, at + 2, {"书记"})
    assert reader.answer("赵家村的党支部书记是谁？", [_passage(villages)], language="zh").refused


def test_a_place_or_a_person_is_not_answered_with_a_count(model):
    """"首家…设在哪个街道": a place, not "八个街道"; "谁…": a person, not "10余人"."""
    from rag.numbers import is_count

    assert [is_count(t) for t in ("八个街道", "10余人", "三个社区图书馆", "2022年", "6月", "新桥街道", "第三个")] == [
        True, True, True, False, False, False, False]
    text = "该区计划三年内在八个街道建设社区图书馆，首家社区图书馆设在新桥街道，10余人参加了开馆仪式。"
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    for question in ("首家社区图书馆设在哪个街道？", "In which sub-district is the first community library?",
                     "谁参加了开馆仪式？"):
        answer = reader.answer(question, [_passage(text)], language="en" if question.isascii() else "zh")
        assert answer.refused or not is_count(answer.short_answer)


def test_a_head_count_is_not_answered_with_person_times(model):
    text = "今年以来，该养老服务中心为辖区老人提供上门服务3500余人次，中心现有专职护理员120人。"
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    for question, language in (("该中心有多少人从事护理工作？", "zh"), ("How many people work as carers at the centre?", "en")):
        answer = reader.answer(question, [_passage(text)], language=language)
        assert answer.refused or "人次" not in answer.short_answer
    assert "3500" in reader.answer("该中心提供了多少人次的上门服务？", [_passage(text)], language="zh").short_answer


def test_a_person_is_chosen_by_the_titles_the_passage_gives_them(model):
    """"Which Jiangnan University professor spoke" (English, with its bridged Chinese terms): of the
    speakers the passage lists, the one whose own titles hold the question's words ("江南大学教授李明"),
    not the first one named."""
    from rag.answering.reader.answerer import _by_role

    text = "会上，中国环境科学学会理事长王强做主题演讲；江南大学教授李明分享了太湖水污染治理的经验。"
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    bridged = "Which Jiangnan University professor shared his experience at the meeting? 江南大学 教授 经验 会议"
    answer = reader.answer(bridged, [_passage(text)], language="en")
    assert not answer.refused and "李明" in answer.short_answer
    first, second = (Candidate(_passage(text), text.index(n), text.index(n) + 2, n, 0.5, 1.0, confidence=c)
                     for n, c in (("王强", 0.6), ("李明", 0.3)))
    question = "哪位江南大学教授在会上分享了经验？"
    assert _by_role(question, [first, second], 0.2)[0] is second
    assert _by_role(question, [first, second], 0.4)[0] is first  # below the threshold it does not answer
    assert _by_role("会上谁做了主题演讲？", [first, second], 0.2)[0] is first  # no title of the question's


def test_an_english_question_is_not_answered_with_what_it_names_itself():
    """"Which association counts the China Film Association among its members?": the answer is
    another body than the one named (its bridged Chinese form, appended to the question), when
    the reader proposes one above the threshold; nothing is refused for it."""
    from rag.answering.reader.answerer import _past_echo

    text = "中国电影家协会作为国际电影制片人协会的会员，积极参与国际交流。"
    echo, other = (Candidate(_passage(text), text.index(n), text.index(n) + len(n), n, 0.5, 1.0, confidence=c)
                   for n, c in (("中国电影家协会", 0.6), ("国际电影制片人协会", 0.3)))
    question = "Which association counts the China Film Association among its members? 中国电影家协会 会员"
    assert _past_echo(question, [echo, other], 0.2)[0] is other
    assert _past_echo(question, [echo, other], 0.4)[0] is echo  # below the threshold: the order stays
    assert _past_echo("Which association is the China Film Association a member of?", [echo, other], 0.2)[0] is echo  # no bridged terms


def test_an_order_question_is_answered_by_the_order_the_articles_tell(model):
    """"先去了宁波还是舟山": the stop the report numbers first ("首站…", "第二站…"), else the one a
    sentence naming both names first ("先后考察了…"), else the one the article tells of first."""
    from rag.answering.question import asked_order

    assert asked_order("Which city did the team visit first: Ningbo or Zhoushan?", "en").first == "Ningbo"
    assert asked_order("Did they go to the port or to the museum first?", "en").second == "museum"
    assert asked_order("考察组先去了宁波还是舟山？", "zh").earlier and not asked_order("宁波和舟山，哪个后去？", "zh").earlier
    assert asked_order("Which city is larger, Ningbo or Zhoushan?", "en") is None
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    numbered = [_passage("第二站舟山市：海岛养老服务走在前列。舟山市民政局介绍了经验。", "a.txt", 1),
                _passage("首站宁波市：社区养老服务中心全覆盖。宁波市还介绍了社区食堂。", "a.txt", 2)]
    answer = reader.answer("考察组先去了舟山还是宁波？", numbered, language="zh")
    assert not answer.refused and answer.short_answer == "宁波"
    assert reader.answer("考察组后去了舟山还是宁波？", numbered, language="zh").short_answer == "舟山"
    listed = [_passage("考察组先后考察了湖州市安吉县、嘉兴市桐乡市的乡村养老服务站。", "b.txt", 1)]
    assert reader.answer("考察组先考察了桐乡还是安吉？", listed, language="zh").short_answer == "安吉"


def test_two_numbers_are_weighed_only_in_the_same_unit(model):
    """"讲座的人次和培训的人次，哪个更多": the training's 2500余人次 is weighed, not the 18期 (sessions)
    written before it in the same clause."""
    text = "今年全区开展科普讲座3200余人次，覆盖中小学校46所；培训乡村教师、校医18期2500余人次。"
    answer = ReaderAnswerer(model=model, min_confidence=0.0).answer(
        "开展科普讲座的人次，和培训乡村教师、校医的人次相比，哪个更多？", [_passage(text)], language="zh")
    assert answer.short_answer == "开展科普讲座的人次更多" and "2500余人次" in answer.answer


def test_a_count_of_things_is_not_answered_with_a_share(model):
    """"How many levels", "多少个": the passage gives only a coverage rate, so the question is
    refused rather than answered "83%"; a question asking for the rate gets it."""
    from rag.answering.question import asks_count

    text = "目前，全县已建成村卫生室212个，村卫生室覆盖率达到83%，群众就医更加方便。"
    rate = _passage("目前，全县村卫生室覆盖率达到83%，群众就医更加方便。")
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    assert reader.answer("How many levels does the county's rural medical network have?", [rate], language="en").refused
    assert reader.answer("全县的医疗服务网络有多少个层级？", [rate], language="zh").refused
    assert "83%" in reader.answer("村卫生室覆盖率是多少？", [_passage(text)], language="zh").short_answer
    assert asks_count("How many levels are there?", "en") and asks_count("建成了几个？", "zh")
    assert not asks_count("How much carbon is stored there?", "en") and not asks_count("人口是多少？", "zh")
    assert not asks_count("What percentage of the villages, and how many are covered?", "en")


def test_a_deputy_asked_for_is_someone_named_with_that_title(model):
    """"哪位副院长": not the hospital's therapist who spoke first; with no deputy named, refused."""
    from rag.answering.question import asked_deputy_titles, asked_titles

    assert asked_deputy_titles("市人民医院的哪位副院长介绍了新院区？") == {"副院长"}
    assert "副总裁" in asked_deputy_titles("Who is the vice president of the group?")
    assert asked_deputy_titles("市人民医院院长是谁？") == set()
    # an English question's Chinese is its bridged terms: "deputy mayor" is not asking for the 市长
    assert asked_titles("Which deputy mayor briefed the meeting? 副 代表 市长 会议") == set()
    assert asked_deputy_titles("Which deputy mayor briefed the meeting? 副 代表 市长 会议") == {"副市长"}
    therapist = "市人民医院心理治疗师李梅介绍说，音乐治疗能帮助患者放松情绪。"
    both = therapist + "市人民医院副院长周强介绍，新院区将于年底启用，设置床位800张。"
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    assert "周强" in reader.answer("介绍新院区的是市人民医院的哪位副院长？", [_passage(both)], language="zh").short_answer
    assert reader.answer("介绍音乐治疗的是市人民医院的哪位副院长？", [_passage(therapist)], language="zh").refused


def test_a_when_question_is_answered_with_a_time_or_refused(model):
    """"哪一年开设的": a passage telling who opened the programme but not when gives no answer, not
    the phrase the reader likes best; the year, when the passage has it, is the answer."""
    reader = ReaderAnswerer(model=model, min_confidence=0.0)
    undated = _passage("该校社会工作专业由民政部门和学校共同建设，与地方政府开展“校地合作”，培养了大批基层人才。")
    dated = _passage("该校社会工作专业开设于2004年，由民政部门和学校共同建设，培养了大批基层人才。")
    assert reader.answer("该校的社会工作专业是哪一年开设的？", [undated], language="zh").refused
    assert "2004年" in reader.answer("该校的社会工作专业是哪一年开设的？", [dated], language="zh").short_answer
    assert reader.answer("In what year was the school's social work programme set up?", [undated], language="en").refused


def test_a_person_is_named_whole_not_by_the_last_characters_of_the_name():
    """The reader's cut may start inside a name ("康" of "副市长顾建康"): a person's answer runs from
    the title, a name of at most three characters; other spans keep their start."""
    from rag.answering.reader.answerer import _name_start

    text = "在研讨交流会上，太仓市政府副市长顾建康介绍了全市社会工作的发展情况。"
    at = text.index("康")
    assert text[_name_start(text, at, at + 1) : at + 1] == "顾建康"
    assert text[_name_start(text, at - 1, at + 1) : at + 1] == "顾建康"
    assert _name_start(text, text.index("顾"), at + 1) == text.index("顾")
    later = text.index("全市")
    assert _name_start(text, later, later + 2) == later
