"""rag eval: metrics on hand-made cases with known answers, configs, reports, the real CLI run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from eval.configs import DEFAULT_SET, resolve_configs
from eval.datasets import QAItem
from eval.evaluators import (
    AnswerEvaluator,
    RetrievalEvaluator,
    SequentialEvaluator,
    is_relevant,
    ranx_scores,
)
from rag.errors import InputError
from rag.models import Answer, Chunk, Citation, Passage
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "rag" / "data" / "corpus"
DEV_SET = ROOT / "rag" / "data" / "dev_qa.jsonl"
GOLD = "gold.txt"


def chunk(cid: str, text: str, source: str = GOLD) -> Chunk:
    return Chunk(cid, source, 0, "", "", text, 0, len(text), 10)


def item(qid: str, kind: str = "number", lang: str = "zh", evidence: str = "社工站850个", **kw) -> QAItem:
    if kind == "unanswerable":
        return QAItem(qid, lang, f"question {qid}", kind)
    extra = {"values": (850.0,)} if kind == "number" else {"expect": (("张三",),)}
    return QAItem(qid, lang, f"question {qid}", kind, doc=GOLD, evidence=evidence, **{**extra, **kw})


class ToySystem:
    """Retrieves fixed rankings and gives fixed answers, per question."""

    def __init__(self, rankings: dict[str, list[Chunk]] | None = None, answers: dict[str, Answer] | None = None):
        self.rankings = rankings or {}
        self.answers = answers or {}

    def retrieve(self, question, k=None):
        return [Passage(c, 1.0 / r, r) for r, c in enumerate(self.rankings.get(question, [])[:k], 1)]

    def ask(self, question):
        return self.answers[question]


class RefuseAll:
    def retrieve(self, question, k=None):
        return []

    def ask(self, question):
        return Answer(question, "资料中没有相关信息。", True, "zh", "extractive")


def answer(text: str, *sources: str, refused: bool = False) -> Answer:
    cites = tuple(Citation(n, s, "", "…", 0, 1, 1.0) for n, s in enumerate(sources, 1))
    return Answer("q", text, refused, "zh", "extractive", cites, {"analyze": 1.0, "retrieve": 2.0, "total": 5.0})


# ----------------------------------------------------------------------------- relevance
def test_relevance_needs_gold_doc_and_whole_evidence_whitespace_insensitive():
    it = item("a", evidence="全区已建成 社工站850个")
    assert is_relevant(chunk("1", "目前，全区已建成社工站\n850个，覆盖"), it)
    assert not is_relevant(chunk("2", "目前，全区已建成社工站850个", source="other.txt"), it)
    assert not is_relevant(chunk("3", "全区已建成社工站"), it)  # evidence cut off
    assert not is_relevant(chunk("4", "全区已建成社工站850个"), item("u", "unanswerable"))


# ----------------------------------------------------------------------------- ranx metrics
def test_ranx_scores_on_a_toy_run_with_known_hit_and_mrr():
    qrels = {"q1": {"g1": 1}, "q2": {"g2": 1}, "q3": {"g3": 1}}
    ranking = {"q1": ["g1", "x", "y"], "q2": ["x", "g2", "y"], "q3": ["x", "y", "z"]}
    scores = ranx_scores(qrels, ranking)
    assert scores["hit@1"] == {"q1": 1.0, "q2": 0.0, "q3": 0.0}
    assert scores["hit@5"] == {"q1": 1.0, "q2": 1.0, "q3": 0.0}
    assert scores["mrr@10"] == {"q1": 1.0, "q2": 0.5, "q3": 0.0}
    assert scores["ndcg@10"]["q2"] == pytest.approx(1 / 1.5849625, rel=1e-5)  # 1/log2(3)


def test_ranx_recall_counts_every_relevant_passage():
    scores = ranx_scores({"q": {"a": 1, "b": 1}}, {"q": ["a", "x", "y", "z", "w", "b"]})
    assert scores["recall@5"]["q"] == 0.5 and scores["recall@10"]["q"] == 1.0


def test_retrieval_evaluator_known_values_per_language_and_type():
    gold = chunk("g", "全区已建成社工站850个")
    other = chunk("o", "无关的内容", source="other.txt")
    items = [item("a", lang="zh"), item("b", lang="en"), item("c", "entity", lang="en"), item("u", "unanswerable")]
    system = ToySystem({"question a": [gold, other], "question b": [other, gold], "question c": [other]})
    evaluator = RetrievalEvaluator(items)
    metrics = evaluator(system)
    assert evaluator.primary_metric == "mrr@10"
    assert metrics["n_retrieval"] == 3  # the unanswerable question is not scored for retrieval
    assert metrics["hit@1"] == pytest.approx(1 / 3)
    assert metrics["hit@5"] == pytest.approx(2 / 3)
    assert metrics["mrr@10"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert metrics["zh/mrr@10"] == 1.0 and metrics["en/mrr@10"] == pytest.approx(0.25)
    assert metrics["entity/hit@5"] == 0.0 and metrics["number/hit@5"] == 1.0
    records = {r.item.id: r for r in evaluator.evaluate(system).records}
    assert (records["a"].gold_rank, records["b"].gold_rank, records["c"].gold_rank) == (1, 2, None)


# ----------------------------------------------------------------------------- answers
def test_answer_evaluator_refusals_false_refusals_and_citation_precision():
    items = [item("right"), item("refused"), item("wrongnum"), item("u1", "unanswerable"), item("u2", "unanswerable")]
    system = ToySystem(
        answers={
            "question right": answer("共850个[1]", GOLD, "other.txt"),  # correct, precision 0.5
            "question refused": answer("资料中没有相关信息。", refused=True),
            "question wrongnum": answer("共3万人[1]", GOLD),  # wrong value, precision 1.0
            "question u1": answer("资料中没有相关信息。", refused=True),
            "question u2": answer("大约100个[1]", "other.txt"),  # answered the unanswerable
        }
    )
    evaluator = AnswerEvaluator(items)
    m = evaluator(system)
    assert evaluator.primary_metric == "accuracy"
    assert m["accuracy"] == pytest.approx(2 / 5)
    assert m["answerable_accuracy"] == pytest.approx(1 / 3)
    assert m["refusal_rate"] == 0.5
    assert m["false_refusal_rate"] == pytest.approx(1 / 3)
    assert m["citation_hit"] == pytest.approx(2 / 3)
    assert m["citation_precision"] == pytest.approx((0.5 + 1.0) / 2)  # a refusal cites nothing: not counted
    assert m["unanswerable/accuracy"] == 0.5 and m["number/accuracy"] == pytest.approx(1 / 3)
    assert m["retrieval_ms_p50"] == 3.0  # analyze + retrieve from the answer's timings
    assert m["answer_ms_p95"] >= m["answer_ms_p50"] >= 0


def test_streamed_answers_report_first_token_latency_and_others_do_not():
    from dataclasses import replace

    items = [item("a"), item("b")]
    timed = {
        "question a": replace(answer("共850个[1]", GOLD), timings_ms={"first_token": 3000.0, "total": 6000.0}),
        "question b": replace(answer("共850个[1]", GOLD), timings_ms={"first_token": 5000.0, "total": 9000.0}),
    }
    m = AnswerEvaluator(items)(ToySystem(answers=timed))
    assert m["first_token_ms_p50"] == pytest.approx(4000.0) and m["first_token_ms_p95"] <= 5000.0
    plain = AnswerEvaluator(items)(ToySystem(answers={q: answer("共850个[1]", GOLD) for q in timed}))
    assert "first_token_ms_p50" not in plain


def test_refusing_everything_scores_zero_on_answerable_and_full_refusal_on_unanswerable():
    items = [item("a"), item("b", "entity", lang="en"), item("u", "unanswerable"), item("v", "unanswerable", lang="en")]
    m = SequentialEvaluator([AnswerEvaluator(items), RetrievalEvaluator(items)])(RefuseAll())
    assert m["answerable_accuracy"] == 0.0
    assert m["number/accuracy"] == 0.0 and m["entity/accuracy"] == 0.0
    assert m["refusal_rate"] == 1.0 and m["false_refusal_rate"] == 1.0
    assert m["unanswerable/accuracy"] == 1.0
    assert m["accuracy"] == 0.5  # only the unanswerable half
    assert m["citation_hit"] == 0.0 and "citation_precision" not in m
    assert m["hit@5"] == 0.0 and m["mrr@10"] == 0.0


# ----------------------------------------------------------------------------- configs
def test_named_configs_resolve_and_unknown_names_are_rejected():
    assert [c.name for c in resolve_configs(None)] == list(DEFAULT_SET)
    assert [c.name for c in resolve_configs(["bm25", "bm25", "chunks-120"])] == ["bm25", "chunks-120"]
    with pytest.raises(InputError, match="nonsense.*default"):
        resolve_configs(["nonsense"])
    base = Settings(home=Path("/tmp/x"), mode="llm")
    (bm25,) = resolve_configs(["bm25"])
    assert bm25.settings(base).retrieval == "lexical" and bm25.settings(base).mode == "extractive"
    (default,) = resolve_configs(["default"])
    assert default.settings(base).mode == "llm"  # the product as configured
    (llm,) = resolve_configs(["llm"])
    assert "RAG_LLM_BASE_URL" in llm.skip_reason(Settings(home=Path("/tmp/x")))
    assert llm.skip_reason(base.replace(llm_base_url="http://h/v1", llm_model="m")) is None


def test_naive_splitter_keeps_raw_text_and_offsets():
    from eval.naive import split_raw
    from rag.loading import load_document

    path = sorted(CORPUS.glob("*.txt"))[0]
    raw = load_document(path).raw_text
    chunks = split_raw([path])
    assert len(chunks) > 10
    assert all(len(c.text) <= 250 and raw[c.start : c.end] == c.text and c.title == "" for c in chunks)


# ----------------------------------------------------------------------------- reports
def test_report_and_metrics_json_from_hand_made_results(tmp_path):
    from eval.cli import write_report
    from eval.report import ConfigResult, comparison_table

    items = [item("a"), item("u", "unanswerable")]
    system = ToySystem({"question a": [chunk("g", "全区已建成社工站850个")]}, {"question a": answer("3万人[1]", GOLD), "question u": answer("不知道", refused=True)})
    ev = SequentialEvaluator([AnswerEvaluator(items), RetrievalEvaluator(items)])
    by_name, merged = ev.evaluate_each(system)
    results = [
        ConfigResult("toy", "a toy", merged.metrics, by_name["answers"].records, by_name["retrieval"].records),
        ConfigResult("llm", "llm", {}, skipped="skipped: set RAG_LLM_BASE_URL"),
    ]
    table = comparison_table(results)
    assert "| toy " in table and "50.0%" in table and "| llm " in table and "skipped" in table
    assert "1st token" not in table  # nothing was streamed
    streamed = ConfigResult("s", "streamed", {**merged.metrics, "first_token_ms_p50": 4200.0})
    assert "1st token p50" in comparison_table([*results, streamed]) and "4200" in comparison_table([streamed])
    written = write_report(results, tmp_path, dataset="d.jsonl", corpus=["c"], n=2)
    assert {p.name for p in written} == {"metrics.json", "report.md", "accuracy.png", "latency.png"}
    doc = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    toy = doc["configs"]["toy"]
    assert toy["overall"]["accuracy"] == 0.5 and toy["by_lang"]["zh"]["n"] == 2
    assert toy["by_type"]["unanswerable"]["refusal_rate"] == 1.0
    assert toy["questions"][0]["answer"] == "3万人[1]" and toy["questions"][0]["mode"] == "extractive"
    assert doc["configs"]["llm"]["skipped"].startswith("skipped")
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "question a" in md and "expected: 850" in md and "got: 3万人" in md and "✔ gold" in md
    assert (tmp_path / "accuracy.png").read_bytes()[:4] == b"\x89PNG"


# ----------------------------------------------------------------------------- CLI
def test_bad_dataset_exits_2_and_names_the_lines(tmp_path, capsys):
    from rag.cli import main

    bad = tmp_path / "bad.jsonl"
    good = DEV_SET.read_text(encoding="utf-8").splitlines()[0]
    bad.write_text("\n".join([good, "{not json", good.replace('"dev-01"', '"x"').replace('"zh"', '"fr"')]) + "\n", encoding="utf-8")
    assert main(["eval", "--dataset", str(bad), "--home", str(tmp_path / "home")]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "line 3" in err and "'lang'" in err


def test_unknown_config_exits_2(tmp_path, capsys):
    from rag.cli import main

    assert main(["eval", "--config", "fastest", "--home", str(tmp_path / "home")]) == 2
    assert "fastest" in capsys.readouterr().err


@pytest.mark.slow
def test_rag_eval_on_the_dev_set_writes_the_report_with_naive_and_default(tmp_path, built_home, capsys):
    from rag.cli import main

    home = tmp_path / "home"
    shutil.copytree(built_home / "cache", home / "cache")  # the shared embedding cache, as a user's home has
    out = tmp_path / "out"
    assert main(["eval", "--dataset", str(DEV_SET), "--out", str(out), "--home", str(home)]) == 0
    printed = capsys.readouterr().out
    assert "| naive " in printed and "| default " in printed
    assert {"metrics.json", "report.md", "accuracy.png", "latency.png"} <= {p.name for p in out.iterdir()}
    doc = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert list(doc["configs"]) == list(DEFAULT_SET)
    default, naive = doc["configs"]["default"], doc["configs"]["naive"]
    for config in (default, naive):
        assert {"accuracy", "refusal_rate", "false_refusal_rate", "citation_hit", "hit@1", "hit@5", "mrr@10",
                "ndcg@10", "answer_ms_p50", "answer_ms_p95"} <= set(config["overall"])  # fmt: skip
        assert set(config["by_lang"]) == {"zh", "en"}
    assert default["overall"]["accuracy"] >= naive["overall"]["accuracy"]
    assert default["overall"]["hit@5"] >= 0.8
    # each answer records the passage its short answer was cut from, and where (eval.clause_fit)
    cut = [q for q in default["questions"] if q["answer_span"]]
    assert cut and all(q["answer_span"]["text"][slice(*q["answer_span"]["span"])].strip() for q in cut)
    assert any(q["answer_span"]["text"][slice(*q["answer_span"]["span"])] == q["short_answer"] for q in cut)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## naive" in report and "## default" in report
    # each distinct index shape was built once under <home>/eval-indexes, sharing <home>/cache
    (index_home,) = (home / "eval-indexes").iterdir()
    assert (index_home / "cache").resolve() == (home / "cache").resolve()


# ----------------------------------------------------------------------------- span scoring, curve
def test_span_scoring_and_coverage_curve_from_confidence():
    from dataclasses import replace as dc_replace

    from eval.evaluators import AnswerEvaluator, coverage_curve

    items = [dc_replace(item(f"q{i}"), expect=(("850",),), type="entity") for i in range(4)]
    shorts = [("850个", 0.9), ("850", 0.7), ("1435", 0.6), ("全区已建成社工站850个，覆盖率达83%，开展服务", 0.3)]
    answers = {
        it.question: dc_replace(answer(f"{s} [1]", "a.txt"), short_answer=s, confidence=c)
        for it, (s, c) in zip(items, shorts)
    }
    result = AnswerEvaluator(items, scoring="span").evaluate(ToySystem(answers=answers))
    m = result.metrics
    assert m["accuracy"] == 0.5  # the sentence-long fourth answer is not a span
    assert m["lenient_accuracy"] == 0.75 and m["em"] == 0.25
    curve = {round(p["threshold"], 2): p for p in coverage_curve(result.records)}
    assert curve[0.0]["coverage"] == 1.0 and curve[0.0]["accuracy"] == 0.5
    assert curve[0.65]["coverage"] == 0.5 and curve[0.65]["accuracy"] == 1.0  # confident answers are right


@pytest.mark.parametrize("name", [f"bundled-fresh-{s}.jsonl" for s in [*"abcdefghijklmnopqrstuvwxyz", "aa", "ab", "ac", "ad"]])
def test_the_fresh_question_sets_hold_their_evidence_in_the_bundled_pages(name):
    """The 1,200 questions written for the bundled pages after the dev set: both languages, near-miss
    unanswerables, and every answerable one's evidence in the page it names."""
    from eval.datasets import load_dataset
    from eval.evaluators import squash
    from rag.pipeline import bundled_corpus_dir

    items = load_dataset(ROOT / "eval" / "data" / name)
    assert len(items) == 40 and {i.lang for i in items} == {"zh", "en"}
    assert sum(not i.answerable for i in items) == 12
    pages = {p.name: squash(p.read_text(encoding="utf-8")) for p in bundled_corpus_dir().glob("*.txt")}
    for item in items:
        if item.answerable:
            assert squash(item.evidence) in pages[item.doc], item.id


def test_the_retrieval_fit_weighs_each_corpus_alike_and_names_a_missing_dataset(tmp_path, capsys):
    from eval.retrieval_fit import main, score

    rule, other = (0.3, 1.0), (0.0, 0.1)
    bench = [{rule: 1, other: 5}] * 10  # one benchmark of ten questions
    pages = [{rule: 5, other: 1}]  # and one set of one question
    assert score([bench, pages], rule) == (0.5, 0.5) and score([bench, pages], other) == (0.5, 0.5)
    assert main(["--home", str(tmp_path), "--dataset", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl" in capsys.readouterr().err
