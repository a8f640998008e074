"""`python -m eval.clause_fit`: the clause rule fitted from `rag eval` answers, as a user refits it."""

from __future__ import annotations

import json

import pytest

from eval.clause_fit import main
from rag.answering.reader.calibration import Calibration
from rag.answering.reader.extent import ClauseRule

TOWER = "富国银行广场是明尼阿波利斯的一座摩天大楼，建于1988年，共有57层，是该市第二高的建筑。"
MUSEUM = "该馆位于北京，馆内藏书30万册，其中古籍善本约有两千余种之多。"


def _dataset(folder, rows, question="问题？"):
    """A span benchmark (qa.jsonl) and the metrics.json of a run over it (clause rule off)."""
    folder.mkdir()
    items, records = [], []
    for i, (text, gold, span) in enumerate(rows):
        qid = f"{folder.name}-{i}"
        items.append({"id": qid, "lang": "zh", "question": question, "type": "entity", "expect": [[gold]],
                      "doc": "page.txt", "evidence": text})
        start = text.index(span)
        records.append({"id": qid, "refused": False, "short_answer": span,
                        "answer_span": {"text": text, "span": [start, start + len(span)]}})
    (folder / "qa.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in items) + "\n", encoding="utf-8")
    metrics = folder / "metrics.json"
    metrics.write_text(json.dumps({"configs": {"default": {"questions": records}}}, ensure_ascii=False), encoding="utf-8")
    return folder / "qa.jsonl", metrics


def test_the_fit_widens_where_annotators_mark_clauses_and_spares_the_rest(tmp_path, capsys):
    # one set marks the short clause ("建于1988年"), the other the bare value inside long clauses
    clauses = _dataset(tmp_path / "clauses", [(TOWER, "建于1988年", "1988年"), (TOWER, "共有57层", "57层"), (MUSEUM, "位于北京", "北京")])
    bare = _dataset(tmp_path / "bare", [(TOWER, "第二", "第二"), (MUSEUM, "两千余种", "两千余种"), (MUSEUM, "30万册", "30万册")])
    out = tmp_path / "calibration.json"
    Calibration.load().save(out)
    assert main(["--fit", str(clauses[0]), str(clauses[1]), "--fit", str(bare[0]), str(bare[1]), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    rule = Calibration.load(out).clause
    assert rule != ClauseRule() and rule.chars >= 6
    assert "clauses/zh" in printed and "accuracy   0.0 -> 100.0" in printed
    assert "bare/zh" in printed and "accuracy 100.0 -> 100.0" in printed
    # the rest of the calibration is kept
    assert Calibration.load(out).languages == Calibration.load().languages


FISH = "本鱼分布于西太平洋区，包括菲律宾、印尼、琉球群岛、台湾等海域，栖息深度可达200米。"
BRIDGE = "该桥横跨钱塘江，全长2.7公里，连接杭州与萧山，沿线设有多个服务区。"


def test_a_kind_of_question_marked_wider_gets_a_rule_of_its_own(tmp_path, capsys):
    # lists are marked as their whole clause; names and numbers asked otherwise as the bare value
    lists = _dataset(tmp_path / "lists", [(FISH, "包括菲律宾、印尼、琉球群岛、台湾等海域", "菲律宾"),
                                          (BRIDGE, "连接杭州与萧山", "杭州")] * 2, question="它包括哪些地方？")
    bare = _dataset(tmp_path / "bare", [(TOWER, "第二", "第二"), (MUSEUM, "两千余种", "两千余种"), (BRIDGE, "钱塘江", "钱塘江"),
                                        (FISH, "西太平洋区", "西太平洋区")])
    out = tmp_path / "calibration.json"
    Calibration.load().save(out)
    assert main(["--fit", str(lists[0]), str(lists[1]), "--fit", str(bare[0]), str(bare[1]), "--min-kind", "4", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    rule = Calibration.load(out).clause
    assert "list" in dict(rule.kinds) and "list" in printed
    assert "lists/zh" in printed and "accuracy   0.0 -> 100.0" in printed
    assert "bare/zh" in printed and "accuracy 100.0 -> 100.0" in printed
    assert rule.for_kind("what").extent(BRIDGE, BRIDGE.index("钱塘江"), BRIDGE.index("钱塘江") + 3) == (
        BRIDGE.index("钱塘江"), BRIDGE.index("钱塘江") + 3)


def test_a_run_missing_questions_is_named(tmp_path, capsys):
    qa, metrics = _dataset(tmp_path / "clauses", [(TOWER, "建于1988年", "1988年")])
    metrics.write_text(json.dumps({"configs": {"default": {"questions": []}}}), encoding="utf-8")
    assert main(["--fit", str(qa), str(metrics)]) == 2
    err = capsys.readouterr().err
    assert "clauses-0" in err and "run `rag eval`" in err and str(tmp_path) not in err


@pytest.mark.parametrize("content", [b'{"configs":', b"\x00\xff\xfe binary", b"{}"])
def test_a_file_that_is_not_a_run_is_named_with_the_fix(tmp_path, capsys, content):
    qa, _ = _dataset(tmp_path / "clauses", [(TOWER, "建于1988年", "1988年")])
    metrics = tmp_path / "broken.json"
    metrics.write_bytes(content)
    assert main(["--fit", str(qa), str(metrics)]) == 2
    err = capsys.readouterr().err
    assert "broken.json is not the metrics.json of a `rag eval` run" in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["0", "-5"])
def test_a_min_kind_below_one_is_named_with_the_fix(tmp_path, capsys, value):
    qa, metrics = _dataset(tmp_path / "clauses", [(TOWER, "建于1988年", "1988年")])
    assert main(["--fit", str(qa), str(metrics), "--min-kind", value]) == 2
    err = capsys.readouterr().err
    assert f"--min-kind {value} must be at least 1" in err and "Traceback" not in err
