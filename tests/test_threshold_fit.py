"""`python -m eval.threshold_fit`: a language's refusal threshold fitted on question sets over the
archive (answerable and unanswerable questions), as a user refits it."""

from __future__ import annotations

import json
import shutil

import pytest

from eval.threshold_fit import main
from rag.answering.reader.calibration import CALIBRATION, Calibration


def _run(folder, rows):
    """A question set and the metrics.json of a `rag eval` run over it with RAG_MIN_CONFIDENCE=0:
    ``rows`` are (language, unanswerable, confidence, answered right)."""
    folder.mkdir()
    items, records = [], []
    for i, (lang, unanswerable, confidence, right) in enumerate(rows):
        qid = f"{folder.name}-{i}"
        item = {"id": qid, "lang": lang, "question": "How many stations?" if lang == "en" else "有多少个站？",
                "type": "unanswerable" if unanswerable else "number", "doc": "page.txt", "evidence": "12个站"}
        if not unanswerable:
            item["values"] = [12]
        items.append(item)
        records.append({"id": qid, "refused": False, "confidence": confidence, "correct": right and not unanswerable})
    (folder / "qa.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in items) + "\n", encoding="utf-8")
    (folder / "metrics.json").write_text(json.dumps({"configs": {"default": {"questions": records}}}), encoding="utf-8")
    return [str(folder / "qa.jsonl"), str(folder / "metrics.json")]


def test_the_threshold_refuses_the_unanswerables_and_keeps_the_right_answers(tmp_path, capsys):
    # right answers at 0.09 and above, unanswerables read at 0.06 and below: the fit lies between
    rows = [("en", False, c, True) for c in (0.09, 0.12, 0.3, 0.6)] + [("en", True, c, False) for c in (0.02, 0.05, 0.06)]
    rows += [("zh", False, 0.01, True)]  # another language's questions are not read
    a = _run(tmp_path / "a", rows)
    b = _run(tmp_path / "b", rows)
    out = tmp_path / "calibration.json"
    shutil.copy(CALIBRATION, out)
    assert main(["--language", "en", "--fit", *a, "--fit", *b, "--out", str(out)]) == 0
    fitted = Calibration.load(out)
    assert 0.06 < fitted.threshold_for("en") <= 0.09
    assert fitted.threshold_for("zh") == Calibration.load().threshold_for("zh")  # the rest is kept
    assert fitted.scorer("zh").ranker == Calibration.load().scorer("zh").ranker
    assert f"en threshold fitted on {a[0]}, {b[0]}" in fitted.source
    assert main(["--language", "en", "--fit", *a, "--fit", *b, "--out", str(out)]) == 0  # refitted: one note, not two
    assert Calibration.load(out).source.count("en threshold fitted on") == 1
    said = capsys.readouterr().out
    assert "each set left out in turn" in said and "1.000" in said


@pytest.mark.parametrize("content", ["{broken", "[1, 2]"])
def test_a_file_that_is_not_a_run_is_named_with_the_fix(tmp_path, capsys, content):
    qa, metrics = _run(tmp_path / "a", [("en", False, 0.5, True), ("en", True, 0.01, False)])
    (tmp_path / "a" / "metrics.json").write_text(content, encoding="utf-8")
    assert main(["--language", "en", "--fit", qa, metrics]) == 2
    said = capsys.readouterr().err
    assert "metrics.json" in said and "rag eval --out" in said


def test_a_set_without_unanswerable_questions_cannot_fit_a_threshold(tmp_path, capsys):
    qa, metrics = _run(tmp_path / "a", [("en", False, 0.5, True)])
    assert main(["--language", "en", "--fit", qa, metrics]) == 2
    assert "answerable and unanswerable" in capsys.readouterr().err
