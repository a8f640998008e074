"""The reader's training data loaders: a CAIL 2019-format file of our own (not the real data) is
read as span questions and unanswerable ones; its yes / no questions are skipped."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.answering.reader import train
from rag.answering.reader.encoder_weights import E5Image
from rag.answering.reader.tokenizer import UnigramTokenizer

CONTEXT = "经审理查明：原告李某与被告张某于2015年3月签订借款合同，约定借款金额为50000元，月利率1%。被告到期未还。"


def _cail_file(tmp_path):
    qas = [
        {"id": "1_1", "is_impossible": "false", "question": "借款金额是多少？",
         "answers": [{"answer_start": CONTEXT.index("50000元"), "text": "50000元"}]},
        # a wrong offset: the loader finds the answer text in the context
        {"id": "1_2", "is_impossible": "false", "question": "借款合同何时签订？",
         "answers": [{"answer_start": 3, "text": "2015年3月"}]},
        {"id": "1_3", "is_impossible": "true", "question": "被告为何未还款？", "answers": []},
        {"id": "1_4", "is_impossible": "false", "question": "被告是否到期还款？",
         "answers": [{"answer_start": -1, "text": "NO"}]},
        {"id": "1_5", "is_impossible": "false", "question": "担保人是谁？",
         "answers": [{"answer_start": 0, "text": "王某"}]},  # not in the context: dropped
    ]
    path = tmp_path / "cail.json"
    path.write_text(json.dumps({"data": [{"paragraphs": [{"context": CONTEXT, "qas": qas}]}]}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def test_cail_spans_and_unanswerable_questions_are_read_and_verdicts_skipped(tmp_path):
    examples = train.load_cail([_cail_file(tmp_path)])
    assert [e.question for e in examples] == ["借款金额是多少？", "借款合同何时签订？", "被告为何未还款？"]
    amount, date, none = examples
    assert CONTEXT[amount.start : amount.end] == "50000元"
    assert CONTEXT[date.start : date.end] == "2015年3月"
    assert (none.start, none.end, none.group) == (-1, -1, "cail-none")


def test_an_unanswerable_question_labels_every_window_no_answer(tmp_path):
    tok = UnigramTokenizer(E5Image.bundled())
    amount, _, none = train.load_cail([_cail_file(tmp_path)])
    assert [(s, e) for _, s, e in train.label_windows(tok, none, 32, 16)] == [(0, 0)] * len(
        list(train.label_windows(tok, none, 32, 16)))
    labels = [(s, e) for _, s, e in train.label_windows(tok, amount, 256, 128)]
    assert labels and all(0 < s <= e for s, e in labels)


def test_training_can_start_from_the_shipped_reader():
    torch = pytest.importorskip("torch")
    from rag.answering.reader.model import WEIGHTS, SpanModel
    from rag.answering.reader.features import build_windows

    image = E5Image.bundled()
    with np.load(WEIGHTS) as shipped:
        depth = json.loads(bytes(shipped["meta"]).decode())["trainable_layers"]
    bottom, top = train.build_model(image, depth)
    top.load_state_dict(train.init_state(torch, WEIGHTS))
    tok = UnigramTokenizer(image)
    window = build_windows(tok, "借款金额是多少？", CONTEXT)[0]
    start_np, _ = SpanModel(WEIGHTS, image).logits([window])[0]
    with torch.no_grad():
        ids, lengths = train.pad_batch([window.ids], tok.pad)
        word = torch.from_numpy(image.word_embeddings(ids.reshape(-1)).reshape(1, -1, image.hidden))
        mask = train.additive_mask(torch, lengths, ids.shape[1])
        start_t, _ = top(bottom(word, mask), mask)
    assert np.abs(start_t[0].numpy() - start_np).max() < 1e-3


def test_a_missing_data_file_is_named_before_anything_is_read(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        train.main(["--cail", str(tmp_path / "dev_ground_truth.json"), "--work", str(tmp_path / "w"),
                    "--out", str(tmp_path / "reader.npz")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--cail" in err and "dev_ground_truth.json: no such file" in err
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00binary", b'{"version": "1.0"}', b'{"data": 3}'])
def test_a_file_that_is_not_cail_json_is_named_with_the_reason(tmp_path, content):
    path = tmp_path / "dev_ground_truth.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="dev_ground_truth.json is not a CAIL 2019 reading-comprehension file"):
        train.load_cail([path])


def test_a_share_of_windows_outside_zero_to_one_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        train.main(["--unanswerable", "30", "--work", str(tmp_path / "w"), "--out", str(tmp_path / "r.npz")])
    assert "--unanswerable 30.0: a share of windows kept, between 0 and 1" in capsys.readouterr().err


def _dureader_file(tmp_path):
    context = "爬行垫根据中间材料的不同可以分为XPE爬行垫、EPE爬行垫和EVA爬行垫，其中XPE爬行垫品质较好。"
    qas = [
        # DuReader-robust writes answer_start -1: the first occurrence is used
        {"id": "a", "question": "爬行垫什么材质的好", "answers": [{"text": "XPE", "answer_start": -1}]},
        {"id": "b", "question": "爬行垫有几种", "answers": []},  # no answer given: skipped
        {"id": "c", "question": "爬行垫多少钱", "answers": [{"text": "100元", "answer_start": -1}]},  # not there
    ]
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"data": [{"paragraphs": [{"context": context, "qas": qas}]}]}, ensure_ascii=False),
                    encoding="utf-8")
    return path, context


def test_dureader_answers_without_an_offset_are_found_in_the_context(tmp_path):
    path, context = _dureader_file(tmp_path)
    examples = train.load_dureader([path])
    assert [(e.question, context[e.start : e.end], e.group) for e in examples] == [
        ("爬行垫什么材质的好", "XPE", "dureader")]
    assert examples[0].start == context.index("XPE")


def test_a_file_that_is_not_dureader_json_is_named_with_the_reason(tmp_path):
    path = tmp_path / "dev.json"
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(ValueError, match="dev.json is not a DuReader-robust file"):
        train.load_dureader([path])


def _shallow_export(tmp_path, depth: int):
    """A reader export that fine-tuned only the top ``depth`` layers (its weights: the encoder's own
    plus a random head), as ``train.export`` writes one."""
    image = E5Image.bundled()
    _, top = train.build_model(image, depth)
    out = tmp_path / f"reader-{depth}.npz"
    train.export(top, {"format": 1, "frozen_layers": image.layers - depth, "trainable_layers": depth}, out)
    return out


def test_a_deeper_model_starts_from_a_shallower_export_at_its_top(tmp_path):
    torch = pytest.importorskip("torch")

    shallow = _shallow_export(tmp_path, 4)  # fine-tuned layers 8-11
    image = E5Image.bundled()
    _, top6 = train.build_model(image, 6)  # layers 6-11 fine-tuned
    with torch.no_grad():
        for p in top6.parameters():
            p.add_(1.0)  # so that a layer left alone is told from one loaded from the export
    before = {k: v.clone() for k, v in top6.state_dict().items()}
    state = train.init_state(torch, shallow, first_trainable=6)
    missing, unexpected = top6.load_state_dict(state, strict=False)
    assert not unexpected and sorted({k.split(".")[1] for k in missing}) == ["0", "1"]
    with np.load(shallow) as exported:
        assert torch.allclose(top6.layers[2].q.weight, torch.from_numpy(exported["top0.q.w"].astype(np.float32)))
        assert torch.allclose(top6.head.weight, torch.from_numpy(exported["head.w"]))
    assert torch.equal(top6.layers[0].q.weight, before["layers.0.q.weight"])  # not from the export


def test_a_shallower_model_cannot_start_from_a_deeper_export(tmp_path):
    torch = pytest.importorskip("torch")

    deeper = _shallow_export(tmp_path, 4)
    with pytest.raises(ValueError, match="use --trainable 4 or more"):
        train.init_state(torch, deeper, first_trainable=10)


def test_bfloat16_is_used_only_where_the_cpu_computes_it():
    torch = pytest.importorskip("torch")
    assert train.compute_dtype(torch, "float32") is torch.float32
    assert train.compute_dtype(torch, "bfloat16") is torch.bfloat16
    native = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    assert train.compute_dtype(torch, "auto") is (torch.bfloat16 if native else torch.float32)


def _xquad_and_squad_zh(tmp_path):
    """An XQuAD-shaped directory of five articles (ids only matter) and a translated SQuAD 2.0 file
    with one article per XQuAD article, plus one that no id ties to XQuAD."""
    xdir = tmp_path / "xquad"
    xdir.mkdir()
    xquad = {"data": [{"paragraphs": [{"context": "…", "qas": [{"id": f"x{i}", "question": "?",
                                                              "answers": [{"text": "…", "answer_start": 0}]}]}]}
                      for i in range(5)]}
    (xdir / "xquad.zh.json").write_text(json.dumps(xquad), encoding="utf-8")
    context = "华沙是波兰的首都，人口约一百七十万。"
    articles = []
    for i in range(5):
        qas = [{"id": f"x{i}", "question": f"第{i}篇：华沙是哪国的首都？", "is_impossible": False,
                "answers": [{"text": "波兰", "answer_start": context.index("波兰")}]},
               {"id": f"n{i}", "question": f"第{i}篇：华沙的市长是谁？", "is_impossible": True, "answers": []}]
        articles.append({"title": str(i), "paragraphs": [{"context": context, "qas": qas}]})
    articles.append({"title": "untied", "paragraphs": [{"context": context, "qas": [
        {"id": "zz", "question": "无关：华沙是哪国的首都？", "is_impossible": False,
         "answers": [{"text": "波兰", "answer_start": 3}]}]}]})
    path = tmp_path / "dev-v2.0-zh.json"
    path.write_text(json.dumps({"data": articles}, ensure_ascii=False), encoding="utf-8")
    return xdir, path, context


def test_translated_squad_is_read_only_for_the_articles_xquad_trains_on(tmp_path):
    xdir, path, context = _xquad_and_squad_zh(tmp_path)
    examples = train.load_squad_zh(path, xdir, val_from=4)
    # article 0 and 2 are training articles; 1 and 3 are XQuAD's held-out half, 4 is validation,
    # and the article no id ties to XQuAD is not read either
    assert sorted(e.question[:3] for e in examples) == ["第0篇", "第0篇", "第2篇", "第2篇"]
    answered = [e for e in examples if e.start >= 0]
    assert {context[e.start : e.end] for e in answered} == {"波兰"}
    assert {e.group for e in examples if e.start < 0} == {"squad-zh-none"}


def test_translated_squad_without_xquad_is_refused_before_reading(tmp_path, capsys):
    _, path, _ = _xquad_and_squad_zh(tmp_path)
    with pytest.raises(SystemExit):
        train.main(["--squad-zh", str(path), "--work", str(tmp_path / "w"), "--out", str(tmp_path / "r.npz")])
    assert "--squad-zh needs --xquad-dir" in capsys.readouterr().err
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize("content", ["", "\x00\x01binary", '{"data": [{"paragraphs": [{"qas": [{"question": "?"}]}]}]}'])
def test_a_file_that_is_not_squad_json_is_named_with_the_reason(tmp_path, content):
    xdir, _, _ = _xquad_and_squad_zh(tmp_path)
    path = tmp_path / "dev-v2.0-zh.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="dev-v2.0-zh.json is not a SQuAD 2.0 file"):
        train.load_squad_zh(path, xdir, val_from=4)


def test_a_negative_replay_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        train.main(["--replay", "-5", "--work", str(tmp_path / "w"), "--out", str(tmp_path / "r.npz")])
    assert "--replay -5" in capsys.readouterr().err


def test_the_translated_validation_articles_become_a_span_benchmark(tmp_path, capsys):
    """``eval.squad_zh`` writes the even XQuAD articles at or above --min-article (never trained on)
    as qa.jsonl + corpus/, answerable questions only, in the format ``rag eval`` and
    ``eval.calibrate`` read; training articles, the held-out odd half and untied articles are left out."""
    from eval import squad_zh
    from eval.datasets import load_dataset

    xdir, path, context = _xquad_and_squad_zh(tmp_path)
    out = tmp_path / "bench"
    assert squad_zh.main(["--squad-zh", str(path), "--xquad-dir", str(xdir), "--min-article", "4", "--out", str(out)]) == 0
    items = load_dataset(out / "qa.jsonl")
    assert [i.question for i in items] == ["第4篇：华沙是哪国的首都？"]
    assert items[0].expect == (("波兰",),)
    assert items[0].doc == "sqzh04_4.txt" and items[0].evidence == context
    assert [p.name for p in (out / "corpus").iterdir()] == ["sqzh04_4.txt"]
    assert "1 questions over 1 articles" in capsys.readouterr().out


def test_near_misses_and_english_questions_join_the_benchmark_on_request(tmp_path, capsys):
    """``--near-misses`` adds SQuAD 2.0's unanswerable questions of the same articles (a user asking
    for the mayor over a paragraph on the capital must be refused); ``--english`` adds SQuAD's own
    English wording of every question, tied by id, over the same Chinese paragraph."""
    from eval import squad_zh
    from eval.datasets import load_dataset

    xdir, path, _ = _xquad_and_squad_zh(tmp_path)
    english = tmp_path / "dev-v2.0.json"
    english.write_text(json.dumps({"data": [{"paragraphs": [{"context": "Warsaw is the capital of Poland.", "qas": [
        {"id": "x4", "question": "Warsaw is the capital of which country?", "answers": [{"text": "Poland", "answer_start": 25}]},
        {"id": "n4", "question": "Who is the mayor of Warsaw?", "answers": [], "is_impossible": True}]}]}]}), encoding="utf-8")
    out = tmp_path / "bench"
    assert squad_zh.main(["--squad-zh", str(path), "--xquad-dir", str(xdir), "--min-article", "4", "--out", str(out),
                          "--near-misses", "--english", str(english)]) == 0
    items = {i.question: i for i in load_dataset(out / "qa.jsonl")}
    assert set(items) == {"第4篇：华沙是哪国的首都？", "Warsaw is the capital of which country?",
                          "第4篇：华沙的市长是谁？", "Who is the mayor of Warsaw?"}
    assert not items["Who is the mayor of Warsaw?"].answerable and not items["第4篇：华沙的市长是谁？"].answerable
    assert items["Warsaw is the capital of which country?"].expect == (("波兰",),)  # the Chinese span
    assert items["Warsaw is the capital of which country?"].lang == "en"
    assert "(2 of them unanswerable near-misses); 2 in English" in capsys.readouterr().out


def test_english_questions_of_a_resplit_copy_are_tied_by_position_where_the_paragraph_matches(tmp_path):
    """A copy of SQuAD's English dev set with new ids (re-split into dev and test halves) is tied by
    article title and position, only where the paragraph's questions match the translation's one for
    one: a paragraph that lost a question in translation gives no English question at all."""
    from eval import squad_zh

    xdir, path, _ = _xquad_and_squad_zh(tmp_path)
    titles = {"data": [{"title": f"Article_{i}", "paragraphs": []} for i in range(5)]}
    (xdir / "xquad.en.json").write_text(json.dumps(titles), encoding="utf-8")
    q = lambda qid, text, answerable: {"id": qid, "question": text, "is_impossible": not answerable,  # noqa: E731
                                       "answers": [{"text": "Poland", "answer_start": 25}] if answerable else []}
    dev = {"data": [{"title": "Article_4", "paragraphs": [{"context": "…", "qas": [
        q("h1", "Warsaw is the capital of which country?", True), q("h2", "Who is the mayor of Warsaw?", False)]}]}]}
    test = {"data": [{"title": "Article_2", "paragraphs": [{"context": "…", "qas": [  # one question fewer
        q("h3", "Warsaw is the capital of which country?", True)]}]}]}
    (tmp_path / "dev.json").write_text(json.dumps(dev), encoding="utf-8")
    (tmp_path / "test.json").write_text(json.dumps(test), encoding="utf-8")
    english = squad_zh.english_questions([tmp_path / "dev.json", tmp_path / "test.json"], path, xdir)
    assert english == {"x4": "Warsaw is the capital of which country?", "n4": "Who is the mayor of Warsaw?"}


def test_the_benchmark_writer_names_a_missing_input(tmp_path, capsys):
    from eval import squad_zh

    with pytest.raises(SystemExit):
        squad_zh.main(["--squad-zh", str(tmp_path / "nope.json"), "--xquad-dir", str(tmp_path), "--out", str(tmp_path / "o")])
    assert "--squad-zh" in capsys.readouterr().err and not (tmp_path / "o").exists()


@pytest.mark.parametrize("content, why", [
    ("", "not a SQuAD 2.0 file"),
    ("\x00\x01binary", "not a SQuAD 2.0 file"),
    ('{"data": [{"paragraphs": [{"qas": [{"question": "?"}]}]}]}', "not a SQuAD 2.0 file"),
    ('{"data": [{"paragraphs": [{"context": "华沙", "qas": [{"id": "x4", "question": "?", "answers": [{}]}]}]}]}',
     "not a SQuAD 2.0 file"),
])
def test_the_benchmark_writer_names_a_broken_squad_file_and_writes_nothing(tmp_path, capsys, content, why):
    from eval import squad_zh

    xdir, _, _ = _xquad_and_squad_zh(tmp_path)
    path = tmp_path / "dev-v2.0-zh.json"
    path.write_bytes(content.encode("utf-8") if "\x00" not in content else b"\x00\x01\xff\xfe")
    out = tmp_path / "bench"
    assert squad_zh.main(["--squad-zh", str(path), "--xquad-dir", str(xdir), "--min-article", "4", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "dev-v2.0-zh.json" in err and why in err and str(tmp_path) not in err
    assert not out.exists()


def test_the_benchmark_writer_names_a_broken_xquad_file_and_a_file_in_place_of_out(tmp_path, capsys):
    from eval import squad_zh

    xdir, path, _ = _xquad_and_squad_zh(tmp_path)
    taken = tmp_path / "taken"
    taken.write_text("keep me", encoding="utf-8")
    with pytest.raises(SystemExit):
        squad_zh.main(["--squad-zh", str(path), "--xquad-dir", str(xdir), "--out", str(taken)])
    assert "a file is there" in capsys.readouterr().err and taken.read_text(encoding="utf-8") == "keep me"
    (xdir / "xquad.zh.json").write_text('{"data": [{"title": "no paragraphs"}]}', encoding="utf-8")
    assert squad_zh.main(["--squad-zh", str(path), "--xquad-dir", str(xdir), "--out", str(tmp_path / "o")]) == 2
    assert "xquad.zh.json is not XQuAD's Chinese file" in capsys.readouterr().err and not (tmp_path / "o").exists()
