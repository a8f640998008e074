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
