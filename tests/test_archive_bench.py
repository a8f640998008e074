"""eval.archive_bench at a tiny size: every figure is in the JSON and the fused search finds what
exact search finds."""

from __future__ import annotations

import json

from eval import archive_bench

ROWS = {"add_s", "remove_s", "query_p95_ratio", "recall_before_merge", "recall_after_merge", "add_peak_rss_mb",
        "disk_ratio"}


def test_generated_page_is_three_articles_of_chunks(tmp_path):
    from rag.chunking import TokenCounter
    from rag.loading import load_document
    from rag.segmentation import segment

    text = archive_bench.NewsText(0)
    path = archive_bench.write_page(tmp_path, text, 0)
    assert path.read_text(encoding="utf-8") == archive_bench.page_markdown(text.page((10_000_000,)))
    articles = segment(load_document(path))
    assert len(articles) == 3 and all(a.title and a.kind == "article" for a in articles)
    chunks = archive_bench.chunk_all(articles, TokenCounter())
    assert 6 <= len(chunks) <= 16
    vectors = archive_bench.Vectors(0).for_file((1,), len(chunks))
    assert vectors.shape == (len(chunks), archive_bench.DIM)
    assert abs(float((vectors**2).sum(axis=1).max()) - 1.0) < 1e-4


def test_tiny_archive_bench_writes_every_row(tmp_path, capsys):
    out = tmp_path / "figures.json"
    archive_bench.main([
        "--sizes", "3000", "--commits", "5", "--repeat", "1", "--queries", "40", "--no-vocabulary",
        "--out", str(tmp_path / "cache"), "--json", str(out),
    ])
    printed = capsys.readouterr().out
    assert "add one 3-article page" in printed and "full rewrite" in printed
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert ROWS <= {c["key"] for c in doc["checks"]}
    (size,) = doc["sizes"]
    assert size["chunks"] >= 3000 and size["add"]["chunks"] > 0
    assert size["query_before_merge"]["recall_at_10"] >= 0.95
    assert size["query_after_merge"]["recall_at_10"] >= 0.95
    assert size["disk"]["fresh_bytes"] > 0 and size["rewrite_s"] > 0
    # the base archive is cached: a second run reuses it
    cached = list((tmp_path / "cache").glob("base-3000-*/meta.json"))
    assert len(cached) == 1


def test_rag_bench_scale_flag():
    from rag.cli import build_parser

    args = build_parser().parse_args(["bench", "--scale", "--sizes", "3000", "30000"])
    assert args.scale and args.sizes == [3000, 30000]
    assert build_parser().parse_args(["bench"]).scale is False
