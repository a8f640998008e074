"""Concurrency: one writer at a time, any number of readers; a running server follows other writers."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from eval.reliability import record
from reliability_helpers import (
    IM_ANSWER,
    IM_QUESTION,
    ROOT,
    clean_env,
    copy_home,
    index_contents,
    rag_command,
    run_rag,
    start_server,
    stop_server,
    write_pages,
)

N_REQUESTS = 100
CLIENT_THREADS = 8
PROBES = (
    (IM_QUESTION, IM_ANSWER),
    ("How many social work stations are there in Inner Mongolia?", IM_ANSWER),
    ("How many universities in China offer a social work major?", "398"),
)
HOLD_LOCK = """
import sys, time
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _hold_lock(index_dir: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the writer lock for ``seconds``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(index_dir / ".lock"), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.mark.slow
def test_a_second_writer_waits_with_a_message_then_runs(built_home, tmp_path) -> None:
    home = copy_home(built_home, tmp_path / "home")
    pages = tmp_path / "pages"
    write_pages(pages, 1, offset=40, prefix="waiting")
    holder = _hold_lock(home / "index", 4.0)
    started = time.monotonic()
    try:
        result = run_rag(home, "ingest", str(pages))
    finally:
        holder.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert "another process is writing the index" in result.stderr.lower() and "waiting" in result.stderr.lower()
    assert time.monotonic() - started >= 3.0  # it waited for the lock instead of writing beside it
    assert "waiting_040.txt" in index_contents(home)


def test_a_writer_that_cannot_get_the_lock_exits_with_a_clear_message(tmp_path) -> None:
    from rag.errors import IndexLockedError
    from rag.store import IndexWriter

    index_dir = tmp_path / "index"
    index_dir.mkdir()
    holder = _hold_lock(index_dir, 5.0)
    try:
        writer = IndexWriter(index_dir, shape={}, model_id="m", dim=4, lock_timeout=0.5)
        with pytest.raises(IndexLockedError, match="Another process is writing the index"):
            writer.open()
    finally:
        holder.kill()
        holder.wait(timeout=10)
    IndexWriter(index_dir, shape={}, model_id="m", dim=4, lock_timeout=5).open()  # the dead holder's lock is free


@pytest.mark.slow
def test_server_answers_100_concurrent_asks_while_another_process_ingests(built_home, tmp_path) -> None:
    home = copy_home(built_home, tmp_path / "home")
    pages = tmp_path / "pages"
    facts = write_pages(pages, 6, offset=20, prefix="live")
    server = start_server(home, tmp_path / "server.log")
    try:
        generation_before = (home / "index" / "CURRENT").read_text()

        during_ingest = []

        def ask(i: int) -> tuple[bool, str]:
            question, answer = PROBES[i % len(PROBES)]
            during_ingest.append(writer.poll() is None)
            try:
                status, body = server.post_json("/api/ask", {"question": question}, timeout=90)
            except OSError as err:
                return False, f"{question}: {type(err).__name__}: {err}"
            ok = status == 200 and answer in body.get("answer", "") and not body.get("refused")
            return ok, f"{question}: {status} {str(body)[:200]}"

        writer = subprocess.Popen(
            rag_command(home, "ingest", str(pages)),
            cwd=ROOT,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
            results = list(pool.map(ask, range(N_REQUESTS)))
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        right = sum(ok for ok, _ in results)
        record("concurrent_asks", right, N_REQUESTS, f"{CLIENT_THREADS} client threads, ingest in another process")
        assert right == N_REQUESTS, [msg for ok, msg in results if not ok][:5]
        assert (home / "index" / "CURRENT").read_text() != generation_before
        assert sum(during_ingest) >= 10, "the asks did not overlap the other process's ingest"

        # The running server serves the new pages without a restart.
        _, listed = server.request("GET", "/api/files")
        assert {f.source for f in facts} <= {a["source"] for a in listed["articles"]}
        for fact in facts:
            status, body = server.post_json("/api/ask", {"question": fact.question})
            assert status == 200 and fact.answer in body["answer"], body
            assert body["citations"][0]["source"] == fact.source
    finally:
        stop_server(server)
    assert "Traceback" not in server.log.read_text(errors="replace")
