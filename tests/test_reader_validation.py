"""`python -m rag.answering.reader.validate`: the reader alone on gold paragraphs, on a benchmark
in `rag eval`'s format (a small one of our own here, news of several topics, not the dev set)."""

from __future__ import annotations

import json

import pytest

from rag.answering.reader import validate
from rag.answering.reader.model import load_span_model
from rag.answering.reader.train import Example

PARAGRAPHS = {
    "court.txt": "经审理查明：原告李某与被告张某于2015年3月签订借款合同，约定借款金额为50000元，月利率1%。",
    "weather.txt": "中央气象台预计，明天北京晴转多云，最高气温18℃，北风三四级。",
    "sport.txt": "在昨晚的决赛中，主教练王明率领的上海队以3比1战胜广州队，夺得冠军。",
}
QUESTIONS = [
    ("court.txt", "借款金额是多少？", "50000元"),
    ("weather.txt", "明天北京最高气温是多少？", "18℃"),
    ("sport.txt", "上海队的主教练是谁？", "王明"),
]


def _benchmark(tmp_path):
    (tmp_path / "corpus").mkdir()
    for name, text in PARAGRAPHS.items():
        (tmp_path / "corpus" / name).write_text(text, encoding="utf-8")
    rows = [{"id": f"q{i}", "lang": "zh", "question": q, "type": "entity", "expect": [[a]], "doc": doc}
            for i, (doc, q, a) in enumerate(QUESTIONS)]
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_benchmark_items_become_gold_paragraph_examples(tmp_path):
    examples = validate.cmrc_examples(_benchmark(tmp_path))
    assert [ex.context[ex.start : ex.end] for ex in examples] == [a for _, _, a in QUESTIONS]


def test_the_shipped_reader_finds_plain_facts_in_their_paragraph(tmp_path, capsys):
    out = tmp_path / "figures.json"
    assert validate.main(["--cmrc", str(_benchmark(tmp_path)), "--json", str(out)]) == 0
    figures = json.loads(out.read_text())["sets"]["cmrc"]
    assert figures["questions"] == 3 and figures["f1"] >= 0.5 and figures["accuracy"] >= 1 / 3
    assert "cmrc" in capsys.readouterr().out


def test_a_span_the_reader_reads_is_scored_against_the_gold_text():
    model = load_span_model()
    context = PARAGRAPHS["court.txt"]
    ex = Example("借款金额是多少？", context, context.index("50000元"), context.index("50000元") + 6, "own")
    assert "50000" in validate.read_best(model, ex)
    assert validate.evaluate(model, []) == {"f1": 0.0, "em": 0.0, "accuracy": 0.0, "questions": 0}


@pytest.mark.parametrize("argv, message", [
    ([], "nothing to validate on"),
    (["--cmrc", "nowhere/qa.jsonl"], "--cmrc nowhere/qa.jsonl: not a qa.jsonl with a corpus/ folder beside it"),
    (["--xquad-dir", "nowhere"], "--xquad-dir nowhere: no xquad.zh.json there"),
])
def test_bad_arguments_are_named(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        validate.main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
