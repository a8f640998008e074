"""rag bench: child-process measurement, the figures table and the --json file."""

from __future__ import annotations

import json

import pytest

from eval.bench import Figure, bench_document, run_rag, table

KEYS = {"warm_p50_ms", "warm_p95_ms", "cold_ask_s", "cold_ask_peak_rss_mb", "torch_imported", "ingest_s", "reingest_s"}


def test_child_run_reports_time_memory_and_no_torch():
    run = run_rag(["ask", "--help"])
    assert run.returncode == 0
    assert run.seconds > 0 and run.peak_rss_mb is not None and 10 < run.peak_rss_mb < 2000
    assert run.torch_imported is False


def test_table_marks_missed_targets():
    figures = [
        Figure("cold_ask_s", "cold `rag ask`", 2.5, "s", "≤ 3 s", True),
        Figure("ingest_s", "ingest", 42.0, "s", "≤ 30 s", False),
        Figure("torch_imported", "torch imported", False, "", "no", True),
    ]
    text = table(figures)
    assert "2.5 s" in text and "MISSED" in text and "| no " in text
    doc = bench_document(figures)
    assert doc["cold_ask_s"] == 2.5 and doc["all_ok"] is False and doc["machine"]["cpus"]


@pytest.mark.slow
def test_rag_bench_json_writes_every_figure(tmp_path, capsys):
    from rag.cli import main

    out = tmp_path / "bench.json"
    assert main(["bench", "--json", str(out), "--home", str(tmp_path / "home")]) == 0
    printed = capsys.readouterr().out
    assert "warm answer latency p95" in printed and "target" in printed
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert KEYS <= set(doc)
    assert doc["torch_imported"] is False
    assert doc["warm_p95_ms"] > 0 and doc["ingest_s"] > doc["reingest_s"] > 0
    assert {f["key"] for f in doc["figures"]} == KEYS
