"""The `rag` command as a user runs it (real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def rag(*args: str, home=None, stdin: str | None = None, env_extra: dict | None = None):
    env = {**os.environ, **(env_extra or {})}
    if home is not None:
        env["RAG_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "rag", *args], input=stdin, capture_output=True, text=True, env=env, timeout=300
    )


def test_ask_json_has_the_documented_shape(built_home):
    out = rag("ask", "--json", "How many social work stations are there in Inner Mongolia?", home=built_home)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"question", "answer", "refused", "language", "mode", "citations", "timings_ms"} <= set(data)
    assert "850" in data["answer"] and data["mode"] == "extractive" and data["language"] == "en"
    cite = data["citations"][0]
    assert {"n", "source", "title", "text", "start", "end", "score"} <= set(cite)
    assert cite["source"] == "004_48b25d9ea022bb79.txt"


def test_ask_prints_answer_and_marked_citation(built_home):
    out = rag("ask", "内蒙古已建成多少个社工站？", home=built_home)
    assert out.returncode == 0, out.stderr
    assert "850" in out.stdout and "【850" in out.stdout and "004_48b25d9ea022bb79.txt" in out.stdout


def test_batch_mode_reads_stdin(built_home):
    out = rag("ask", "--json", home=built_home, stdin="内蒙古已建成多少个社工站？\n\nHow many certified social workers are there in Inner Mongolia?\n")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 2 and "850" in lines[0]["answer"]


@pytest.mark.parametrize("question", ["", "   ", "x" * 2001])
def test_bad_question_exits_2_with_a_message(built_home, question):
    out = rag("ask", question, home=built_home)
    assert out.returncode == 2
    assert "error:" in out.stderr and "Traceback" not in out.stderr


def test_list_and_check(built_home):
    out = rag("list", home=built_home)
    assert out.returncode == 0 and "内蒙古自治区民政厅" in out.stdout
    out = rag("check", home=built_home)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")


def test_missing_path_is_bad_input(built_home, tmp_path):
    out = rag("ingest", str(tmp_path / "nope"), home=built_home)
    assert out.returncode == 2 and "nope" in out.stderr


def test_unwritable_home_is_a_clear_error(tmp_path):
    if os.geteuid() == 0:
        blocker = tmp_path / "file"
        blocker.write_text("x")
        home = blocker / "sub"  # a path under a regular file can never be created, even by root
    else:
        home = tmp_path / "ro"
        home.mkdir()
        home.chmod(0o500)
    out = rag("ingest", str(tmp_path), home=home)
    assert out.returncode in (1, 2)
    assert "error:" in out.stderr and "Traceback" not in out.stderr


def _rag_without_env_home(*args: str):
    env = {k: v for k, v in os.environ.items() if k != "RAG_HOME"}
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True, env=env, timeout=300)


def test_global_options_work_before_and_after_the_command(built_home):
    before = _rag_without_env_home("--home", str(built_home), "list", "--json")
    after = _rag_without_env_home("list", "--json", "--home", str(built_home))
    assert before.returncode == 0 and after.returncode == 0, (before.stderr, after.stderr)
    assert json.loads(before.stdout) == json.loads(after.stdout) and json.loads(before.stdout)


def test_home_before_the_command_is_where_ingest_writes(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("内蒙古自治区民政厅\n目前,全区已建成社工站850个。\n", encoding="utf-8")
    home = tmp_path / "home"
    out = _rag_without_env_home("--home", str(home), "ingest", str(page))
    assert out.returncode == 0, out.stderr
    assert (home / "index").is_dir() and "1 added" in out.stdout


def test_the_later_home_wins_and_debug_works_before_the_command(tmp_path):
    from rag.cli import build_parser

    args = build_parser().parse_args(["--home", "A", "ingest", "--home", "B", "x"])
    assert args.home == "B" and args.debug is False
    args = build_parser().parse_args(["--debug", "--home", "A", "list"])
    assert args.home == "A" and args.debug is True
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = _rag_without_env_home("--debug", "--home", str(blocker / "sub"), "ingest", str(tmp_path))
    assert out.returncode != 0 and "Traceback" in out.stderr
