"""Crash safety: SIGKILL at any moment of `rag ingest`, `rag remove`, `rag optimize` (a merge of
every segment) or an upload loses nothing.

After every kill the previous (or the new) generation is readable and whole, old answers still
come, the stale lock does not block the next run, and the final uninterrupted run leaves exactly
what a clean build of the same files holds.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from eval.reliability import record
from reliability_helpers import (
    CORPUS,
    IM_ANSWER,
    IM_QUESTION,
    clean_env,
    copy_home,
    index_contents,
    multipart,
    rag_command,
    run_rag,
    start_server,
    stop_server,
    write_pages,
)

pytestmark = pytest.mark.slow

N_EXTRA = 8
# (trigger, value): "time" kills at value x the op's expected run time; "commit" kills `value` s
# after the writer starts its temp generation; "current" kills as soon as CURRENT changes.
KILL_PLAN = [
    ("time", 0.05), ("time", 0.35), ("commit", 0.0), ("time", 0.65), ("time", 0.2),
    ("commit", 0.02), ("time", 0.85), ("current", 0.0), ("time", 0.5), ("commit", 0.06),
    ("time", 0.12), ("time", 0.75), ("commit", 0.01), ("time", 0.95), ("current", 0.0),
    ("time", 0.42), ("commit", 0.1),
]  # fmt: skip
UPLOAD_KILL_DELAYS = (0.4, 1.2, 2.5)


@pytest.fixture(scope="module")
def crash_setup(built_home, tmp_path_factory):
    """A private home holding the sample corpus, and a folder of the corpus plus generated pages."""
    base = tmp_path_factory.mktemp("crash")
    home = copy_home(built_home, base / "home")
    docs = base / "docs"
    docs.mkdir()
    for page in sorted(CORPUS.glob("*.txt")):
        shutil.copy2(page, docs / page.name)
    facts = write_pages(docs, N_EXTRA)
    return base, home, docs, facts


def _reader(home: Path):
    from rag.pipeline import Pipeline
    from rag.settings import load_settings

    return Pipeline(load_settings({"home": home}, environ={}))


def _kill_when(process: subprocess.Popen, index_dir: Path, trigger: str, value: float, expected_s: float) -> bool:
    """SIGKILL ``process`` at the planned moment; True if it was still running then."""
    if trigger == "time":
        deadline = time.monotonic() + value * expected_s
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.002)
    else:
        before = (index_dir / "CURRENT").read_text() if (index_dir / "CURRENT").exists() else ""
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            segments = index_dir / "segments"
            writing = any(p.name.startswith(".tmp-gen-") for p in index_dir.iterdir()) or (
                segments.is_dir() and any(p.name.startswith(".tmp-seg-") for p in segments.iterdir())
            )
            if trigger == "commit" and writing:
                time.sleep(value)
                break
            if trigger == "current" and (index_dir / "CURRENT").exists():
                if (index_dir / "CURRENT").read_text() != before:
                    break
            time.sleep(0.001)
    alive = process.poll() is None
    process.kill()
    process.wait(timeout=30)
    return alive


def _check_after_kill(home: Path, reader, corpus_chunks: dict, facts) -> list[str]:
    """Problems with the index after a kill (empty when it is whole and answers right)."""
    problems = []
    contents = index_contents(home)
    extras = {f.source for f in facts}
    found = set(contents) - set(corpus_chunks)
    if found not in (set(), extras):
        problems.append(f"index holds a partial set of the new pages: {sorted(found)}")
    for source, chunks in corpus_chunks.items():
        if contents.get(source) != chunks:
            problems.append(f"{source}: chunks changed or duplicated")
    check = run_rag(home, "check")
    if check.returncode != 0:
        problems.append(f"rag check failed: {check.stderr.strip()[-500:]}")
    answer = reader.ask(IM_QUESTION)
    if IM_ANSWER not in answer.answer:
        problems.append(f"the Inner Mongolia answer is now {answer.answer!r}")
    if found:
        fact = facts[len(problems) % len(facts)]
        got = reader.ask(fact.question)
        if fact.answer not in got.answer:
            problems.append(f"{fact.question} -> {got.answer!r}, expected {fact.answer}")
    return problems


def test_sigkill_during_ingest_and_remove_loses_nothing(crash_setup) -> None:
    base, home, docs, facts = crash_setup
    index_dir = home / "index"
    corpus_chunks = index_contents(home)
    reader = _reader(home)  # a long-lived reader, like a server: reopens each new generation
    assert IM_ANSWER in reader.ask(IM_QUESTION).answer
    expected = {"ingest": 8.0, "remove": 3.0, "optimize": 3.0}  # first guesses; replaced by measured run times
    extras = [f.source for f in facts]
    survived, interrupted, failures = 0, 0, []
    for n, (trigger, value) in enumerate(KILL_PLAN):
        op = "ingest"
        if set(extras) <= set(index_contents(home)):
            op = "optimize" if n % 3 == 1 else "remove"  # a merge of every segment, or tombstones
        args = {"ingest": ["ingest", str(docs)], "remove": ["remove", *extras], "optimize": ["optimize"]}[op]
        started = time.monotonic()
        process = subprocess.Popen(
            rag_command(home, *args), env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        alive = _kill_when(process, index_dir, trigger, value, expected[op])
        if alive:
            interrupted += 1
        elif process.returncode == 0:
            expected[op] = time.monotonic() - started
        problems = _check_after_kill(home, reader, corpus_chunks, facts)
        if problems:
            failures.append(f"kill {n} ({op}, {trigger} {value}): {problems}")
        else:
            survived += 1

    # The next uninterrupted run finishes the work: not blocked by a stale lock, nothing lost.
    started = time.monotonic()
    final = run_rag(home, "ingest", str(docs))
    assert final.returncode == 0, final.stderr
    assert "waiting" not in final.stderr.lower(), "a killed writer's lock blocked the next run"
    assert time.monotonic() - started < 60
    leftovers = [p.name for p in index_dir.iterdir() if p.name.startswith((".tmp", "CURRENT.tmp"))]
    assert leftovers == [], leftovers
    assert len([p for p in index_dir.iterdir() if p.name.startswith("gen-")]) <= 2

    clean_home = copy_home(home, base / "clean", index=False)
    clean = run_rag(clean_home, "ingest", str(docs))
    assert clean.returncode == 0, clean.stderr
    assert index_contents(home) == index_contents(clean_home)  # same sources, same chunk texts, no duplicates
    for fact in facts[:3]:
        assert fact.answer in reader.ask(fact.question).answer

    record("kill_points", survived, len(KILL_PLAN), f"ingest/remove/optimize, {interrupted} killed mid-run")
    assert failures == [], failures
    assert interrupted >= len(KILL_PLAN) * 2 // 3, f"only {interrupted} of {len(KILL_PLAN)} kills hit a running process"


def test_sigkill_during_upload_keeps_the_index_whole(crash_setup, tmp_path) -> None:
    base, built, _docs, _facts = crash_setup
    home = copy_home(built, tmp_path / "home")
    folder = tmp_path / "pages"
    facts = write_pages(folder, len(UPLOAD_KILL_DELAYS), offset=N_EXTRA, prefix="upload")
    before = index_contents(home)
    reader = _reader(home)
    survived, failures = 0, []

    def upload(server, fact) -> None:
        body, headers = multipart(fact.source, (folder / fact.source).read_bytes())
        try:
            server.request("POST", "/api/files", body, headers, timeout=60)
        except OSError:
            pass  # the server was killed mid-request

    for n, (delay, fact) in enumerate(zip(UPLOAD_KILL_DELAYS, facts)):
        server = start_server(home, tmp_path / f"server-{n}.log")
        sender = threading.Thread(target=upload, args=(server, fact))
        sender.start()
        time.sleep(delay)
        server.process.kill()
        server.process.wait(timeout=30)
        sender.join(timeout=60)
        contents = index_contents(home)
        problems = []
        if set(contents) - set(before) - {f.source for f in facts[: n + 1]}:
            problems.append(f"unexpected sources {sorted(set(contents) - set(before))}")
        if any(contents.get(s) != c for s, c in before.items()):
            problems.append("earlier files changed")
        check = run_rag(home, "check")
        if check.returncode != 0:
            problems.append(f"rag check failed: {check.stderr[-500:]}")
        if IM_ANSWER not in reader.ask(IM_QUESTION).answer:
            problems.append("the Inner Mongolia answer is gone")
        if problems:
            failures.append(f"upload kill {n} after {delay} s: {problems}")
        else:
            survived += 1

    # A fresh server takes every upload again: nothing blocked, nothing duplicated.
    server = start_server(home, tmp_path / "server-final.log")
    try:
        for fact in facts:
            body, headers = multipart(fact.source, (folder / fact.source).read_bytes())
            status, reply = server.request("POST", "/api/files", body, headers, timeout=120)
            assert status == 200, reply
            assert fact.source in reply["added"] + reply["unchanged"] + reply["updated"], reply
        status, answer = server.post_json("/api/ask", {"question": facts[-1].question})
        assert status == 200 and facts[-1].answer in answer["answer"], answer
    finally:
        stop_server(server)
    contents = index_contents(home)
    assert set(contents) == set(before) | {f.source for f in facts}
    assert all(len(contents[f.source]) == len(set(contents[f.source])) for f in facts)
    uploads = home / "uploads"
    assert sorted(p.name for p in uploads.iterdir() if not p.name.startswith(".")) == sorted(f.source for f in facts)

    record("kill_points", survived, len(UPLOAD_KILL_DELAYS), "uploads")
    assert failures == [], failures
