"""Small indexes of news pages on other topics, for end-to-end tests of the reader."""

from __future__ import annotations

from pathlib import Path


def index_pages(root: Path, pages: dict[str, str]):
    """A pipeline over an index of ``pages`` (file name -> text) written under ``root``."""
    from rag.pipeline import Pipeline
    from rag.settings import load_settings

    folder = root / "pages"
    folder.mkdir()
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    pipeline = Pipeline(load_settings({"home": root / "home"}, environ={}))
    pipeline.ingest([folder])
    return pipeline
